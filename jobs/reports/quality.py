"""The report's figures about record quality: scores by team and agent, the weakest rubric criteria, the template's
field fill rates with alerts, and the period's exemplary and negative cases.

Scores as in scoring.reports: a record's effective score is its newest grade outside calibration sessions, else its
automatic score; criteria figures use the automatic points (the only ones every record has). Fill rates use the
template fields of scoring.reports.TEMPLATE_FIELDS, counted in SQL by their `filled_sql`. One grouped scan
per (period, team, agent) gives counts, automatic scores and fill rates; grades (few) and criteria (from each
distinct points value) are read apart and added in.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from jobs.reports.common import CURRENT, PREVIOUS, Window, compare, example, mean, rate
from jobs.reports.days import DayPart, DaySpan, add_up, day_rows
from jobs.reports.records import example_columns, example_rows
from records.enums import Status
from records.models import Customer, Record, Team, User
from scoring.grading import counts_for_record_sql, newest_record_grades_sql
from scoring.models import Grade, RecordScore, Rubric
from scoring.reports import FILL_RATE_ALERT, TEMPLATE_FIELDS, agreement_summary

#: Contact times are kept as seconds since this moment (plain JSON numbers that sort).
EPOCH = datetime(1970, 1, 1)
#: How many exemplary and negative cases the report quotes.
CASES = 3
#: An exemplary case: resolved, rated 非常满意 (5) and scoring at least this (the top band of the score distribution).
EXEMPLARY_SCORE = 90.0
#: A negative case: rated at most this (不满意 or 非常不满意), or failing a critical criterion.
NEGATIVE_SATISFACTION = 2


def _criteria(session: Session) -> tuple[dict[str, dict[str, str]], dict[str, dict[int, float]]]:
    """Criterion names (newest wording) and, per criterion, its scale in each rubric version."""
    names: dict[str, dict[str, str]] = {}
    scales: dict[str, dict[int, float]] = defaultdict(dict)
    for rubric in session.scalars(sa.select(Rubric).order_by(Rubric.version)):
        for item in rubric.definition["criteria"]:
            names[item["key"]] = {"zh": item.get("zh", item["key"]), "en": item.get("en", item["key"])}
            scales[item["key"]][rubric.id] = float(item["scale"])
    return names, scales


def _measures() -> list[sa.ColumnElement]:
    columns = [
        sa.func.count().label("records"),
        sa.func.count(RecordScore.record_id).label("scored"),
        sa.func.sum(RecordScore.score).label("auto_sum"),
        sa.func.count(sa.case((RecordScore.critical_failed.is_(True), 1))).label("critical"),
    ]
    for field in TEMPLATE_FIELDS:
        applies = field.applies_sql()
        columns.append(sa.func.count(sa.case((applies, 1))).label(f"fill_{field.key}_n"))
        columns.append(sa.func.count(sa.case((sa.and_(applies, field.filled_sql), 1))).label(f"fill_{field.key}"))
    return columns


def _grades(
    session: Session, window: Window, where: sa.ColumnElement[bool] | None = None
) -> list[tuple[str, int | None, int, int, float | None, float]]:
    """(which, team_id, agent_id, record_id, automatic score, grade) of the window's graded records (or those
    matching `where`) by their newest grade given outside calibration sessions. Grades are few; reading them apart
    keeps the grouped scans plain joins."""
    which = window.which().label("which")
    grades = newest_record_grades_sql()
    query = (
        sa.select(which, Record.team_id, Record.agent_id, grades.c.record_id, RecordScore.score, grades.c.score)
        .select_from(grades)
        .join(Record, Record.id == grades.c.record_id)
        .outerjoin(RecordScore, RecordScore.record_id == Record.id)
        .where(where if where is not None else window.contacted())
        .order_by(grades.c.grade_id)
    )
    return [tuple(row) for row in session.execute(query)]


def agreement_figures(session: Session, window: Window) -> dict[str, Any]:
    """Agreement of the automatic points with the period's grades, per criterion and team (scoring.agreement)."""
    current = window.which() == CURRENT
    return agreement_summary([window.contacted(), current], session)


def criteria_rows(session: Session, span: DaySpan, _now: datetime) -> Iterable[dict[str, Any]]:
    """Per (day, team): for each criterion the records it applied to, those losing points on it and the sum of the
    shares of points earned (crit_<key>_n, _losing, _sum), from the automatic points. Rubric versions never
    change, so neither do a version's scales.

    Points are JSON; records with the same points are counted together by the database and each distinct value
    is parsed once, which is far cheaper than extracting twelve keys from every record in SQL."""
    _names, scales = _criteria(session)
    day = span.day()
    points = sa.cast(RecordScore.points, sa.Text).label("points")
    query = (
        sa.select(day, Record.team_id, RecordScore.rubric_id, points, sa.func.count())
        .select_from(Record)
        .join(RecordScore, RecordScore.record_id == Record.id)
        .where(span.contacted())
        .group_by(day, Record.team_id, RecordScore.rubric_id, points)
    )
    # (names of the three tallies, share of points earned) per criterion, once per distinct (points, rubric).
    shares: dict[tuple[str, int], list[tuple[str, str, str, float]]] = {}
    counts: dict[tuple[int, int | None], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for position, team_id, rubric_id, text, number in session.execute(query):
        found = shares.get((text, rubric_id))
        if found is None:
            found = []
            for key, value in (json.loads(text) if text else {}).items():
                scale = scales.get(key, {}).get(rubric_id)
                if value is None or not scale:
                    continue
                fraction = min(1.0, max(0.0, float(value) / scale))
                found.append((f"crit_{key}_n", f"crit_{key}_losing", f"crit_{key}_sum", fraction))
            shares[text, rubric_id] = found
        tally = counts[position, team_id]
        for applicable, losing, total, fraction in found:
            tally[applicable] += number
            tally[losing] += number * (fraction < 1.0)
            tally[total] += number * fraction
    return [{"day": position, "team_id": team_id, **tally} for (position, team_id), tally in counts.items()]


CRITERIA = DayPart("criteria", criteria_rows)


def _criteria_counts(session: Session, window: Window, now: datetime) -> dict[tuple[str, int | None], dict[str, float]]:
    """Per (period, team): the criteria tallies of criteria_rows."""
    days = day_rows(session, CRITERIA, window.first_day, window.after_day, now)
    groups = add_up(days, lambda day, row: (window.which_day(day), row["team_id"]), ("team_id",))
    return {group: {key: value for key, value in row.items() if key != "team_id"} for group, row in groups.items()}


def _add(target: dict[str, float], row: dict[str, Any]) -> None:
    for key, value in row.items():
        if key not in ("which", "team_id", "agent_id") and value is not None:
            target[key] += float(value)


def _criteria_rows(pair: dict[str, dict[str, float]], names: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    rows = []
    for key, name in names.items():
        current, previous = pair[CURRENT], pair[PREVIOUS]
        applicable = int(current.get(f"crit_{key}_n", 0))
        if not applicable and not previous.get(f"crit_{key}_n"):
            continue
        losing = int(current.get(f"crit_{key}_losing", 0))
        rows.append(
            {
                "key": key,
                "name": name,
                "applicable": applicable,
                "losing": losing,
                "losing_share": compare(
                    rate(losing, applicable),
                    rate(previous.get(f"crit_{key}_losing", 0), previous.get(f"crit_{key}_n", 0)),
                ),
                "mean_fraction": rate(current.get(f"crit_{key}_sum"), applicable),
                "previous_applicable": int(previous.get(f"crit_{key}_n", 0)),
            }
        )
    # Weakest first: the largest share of records losing points, then the lowest mean share of points.
    return sorted(
        rows,
        key=lambda row: (
            row["losing_share"]["current"] is None,
            -(row["losing_share"]["current"] or 0),
            row["mean_fraction"] if row["mean_fraction"] is not None else 1,
            row["key"],
        ),
    )


def _fill_rows(pair: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    rows = []
    for field in TEMPLATE_FIELDS:
        applicable = int(pair[CURRENT].get(f"fill_{field.key}_n", 0))
        filled = int(pair[CURRENT].get(f"fill_{field.key}", 0))
        current = rate(filled, applicable)
        previous = rate(pair[PREVIOUS].get(f"fill_{field.key}", 0), pair[PREVIOUS].get(f"fill_{field.key}_n", 0))
        rows.append(
            {
                "key": field.key,
                "name": {"zh": field.zh, "en": field.en},
                "applicable": applicable,
                "filled": filled,
                "rate": compare(current, previous),
                "alert": current is not None and current < FILL_RATE_ALERT,
            }
        )
    return rows


def _overall_fill(values: dict[str, float]) -> float | None:
    applicable = sum(values.get(f"fill_{field.key}_n", 0) for field in TEMPLATE_FIELDS)
    return rate(sum(values.get(f"fill_{field.key}", 0) for field in TEMPLATE_FIELDS), applicable)


def _group_row(pair: dict[str, dict[str, float]], names: dict[str, dict[str, str]]) -> dict[str, Any]:
    current, previous = pair[CURRENT], pair[PREVIOUS]
    weakest = next((row for row in _criteria_rows(pair, names) if row["losing"]), None)
    return {
        "records": compare(int(current.get("records", 0)), int(previous.get("records", 0))),
        "scored": int(current.get("scored", 0)),
        "mean_score": compare(
            mean(current.get("score_sum"), int(current.get("effective_n", 0))),
            mean(previous.get("score_sum"), int(previous.get("effective_n", 0))),
            digits=2,
        ),
        "critical_failed": int(current.get("critical", 0)),
        "fill_rate": compare(_overall_fill(current), _overall_fill(previous)),
        "fill_alerts": [row["key"] for row in _fill_rows(pair) if row["alert"]],
        "weakest": None
        if weakest is None
        else {"key": weakest["key"], "name": weakest["name"], "losing_share": weakest["losing_share"]},
    }


def quality_rows(session: Session, span: DaySpan, _now: datetime) -> Iterable[dict[str, Any]]:
    """Per (day, team, agent): records, automatic scores and fill counts (_measures)."""
    day = span.day()
    query = (
        sa.select(day, Record.team_id, Record.agent_id, *_measures())
        .outerjoin(RecordScore, RecordScore.record_id == Record.id)
        .where(span.contacted())
        .group_by(day, Record.team_id, Record.agent_id)
    )
    return session.execute(query)


QUALITY = DayPart("quality", quality_rows)


def quality_figures(session: Session, window: Window, now: datetime) -> dict[str, Any]:
    names, _scales = _criteria(session)
    days = day_rows(session, QUALITY, window.first_day, window.after_day, now)
    groups = add_up(
        days, lambda day, row: (window.which_day(day), row["team_id"], row["agent_id"]), ("team_id", "agent_id")
    )

    def pair() -> dict[str, dict[str, float]]:
        return {CURRENT: defaultdict(float), PREVIOUS: defaultdict(float)}

    total, teams, agents = pair(), defaultdict(pair), defaultdict(pair)
    agent_team: dict[int, int | None] = {}
    for (which, *_group), row in groups.items():
        row = {**row, "which": which, "score_sum": row["auto_sum"], "effective_n": row["scored"]}
        for target in (total, teams[row["team_id"]], agents[row["agent_id"]]):
            _add(target[row["which"]], row)
        if row["which"] == CURRENT or row["agent_id"] not in agent_team:
            agent_team[row["agent_id"]] = row["team_id"]
    # A grade replaces the automatic score in the effective score.
    for period, team_id, agent_id, _record_id, auto, grade in _grades(session, window):
        for target in (total, teams[team_id], agents[agent_id]):
            target[period]["score_sum"] += grade - (auto or 0)
            target[period]["effective_n"] += auto is None
            target[period]["graded"] += 1
    for (period, team_id), counted in _criteria_counts(session, window, now).items():
        for target in (total, teams[team_id]):
            for key, value in counted.items():
                target[period][key] += value
    team_names = dict(session.execute(sa.select(Team.id, Team.name).where(Team.id.in_([t for t in teams if t]))).all())
    people = {
        row.id: row
        for row in session.execute(sa.select(User.id, User.username, User.display_name).where(User.id.in_(agents)))
    }
    summary = _group_row(total, names)
    return {
        "records": summary["records"],
        "scored": compare(int(total[CURRENT].get("scored", 0)), int(total[PREVIOUS].get("scored", 0))),
        "mean_score": summary["mean_score"],
        "mean_auto": compare(
            mean(total[CURRENT].get("auto_sum"), int(total[CURRENT].get("scored", 0))),
            mean(total[PREVIOUS].get("auto_sum"), int(total[PREVIOUS].get("scored", 0))),
            digits=2,
        ),
        "graded": compare(int(total[CURRENT].get("graded", 0)), int(total[PREVIOUS].get("graded", 0))),
        "critical_failed": compare(int(total[CURRENT].get("critical", 0)), int(total[PREVIOUS].get("critical", 0))),
        "weakest_criteria": _criteria_rows(total, names),
        "agreement": agreement_figures(session, window),
        "fill_rates": _fill_rows(total),
        "alert_below": FILL_RATE_ALERT,
        "by_team": sorted(
            (
                {
                    "team_id": team_id,
                    "name": team_names.get(team_id) if team_id else None,
                    **_group_row(values, names),
                    "criteria": _criteria_rows(values, names),
                }
                for team_id, values in teams.items()
            ),
            key=lambda row: (row["name"] is None, row["name"] or ""),
        ),
        "by_agent": sorted(
            (
                {
                    "agent_id": agent_id,
                    "username": people[agent_id].username,
                    "name": people[agent_id].display_name,
                    "team": team_names.get(agent_team.get(agent_id)),
                    **_group_row(values, names),
                }
                for agent_id, values in agents.items()
            ),
            key=lambda row: (row["team"] or "", row["name"], row["agent_id"]),
        ),
    }


def _exemplary() -> sa.ColumnElement[bool]:
    return sa.and_(Record.status == Status.RESOLVED, Record.satisfaction == 5)


def _negative() -> sa.ColumnElement[bool]:
    return sa.or_(Record.satisfaction <= NEGATIVE_SATISFACTION, RecordScore.critical_failed.is_(True))


#: Per kind of case: which records qualify without a grade, and their order by automatic score (best exemplary,
#: worst negative first; records without a score last on every database).
_CASE_ORDERS = {
    "exemplary": (
        lambda: sa.and_(_exemplary(), RecordScore.score >= EXEMPLARY_SCORE),
        lambda: (RecordScore.score.desc(), Record.contacted_at.desc(), Record.id.desc()),
        lambda row: (-row["score"], -row["moment"], -row["id"]),
    ),
    "negative": (
        _negative,
        lambda: (
            sa.func.coalesce(Record.satisfaction, 6),
            sa.nulls_last(RecordScore.score.asc()),
            Record.contacted_at.desc(),
            Record.id.desc(),
        ),
        lambda row: (
            row["satisfaction"] if row["satisfaction"] is not None else 6,
            row["score"] if row["score"] is not None else math.inf,
            -row["moment"],
            -row["id"],
        ),
    ),
}


def case_candidates(session: Session, span: DaySpan, _now: datetime) -> list[dict[str, Any]]:
    """Per day and kind of case, the first CASES ungraded records in its order, with what they are ordered by
    ("moment": the contact time in seconds). The period's first CASES are among its days' first CASES; graded
    records are read apart (a grade bumps its day, records.changes)."""
    day = span.day()
    graded = sa.select(Grade.record_id).where(counts_for_record_sql())
    candidates = []
    for kind, (qualifies, order, _key) in _CASE_ORDERS.items():
        rank = sa.func.row_number().over(partition_by=day, order_by=order()).label("rank")
        ranked = (
            sa.select(day, Record.id, Record.satisfaction, RecordScore.score, Record.contacted_at, rank)
            .outerjoin(RecordScore, RecordScore.record_id == Record.id)
            .where(span.contacted(), qualifies(), Record.id.not_in(graded))
            .subquery()
        )
        query = sa.select(ranked.c.day, ranked.c.id, ranked.c.satisfaction, ranked.c.score, ranked.c.contacted_at)
        for position, record_id, satisfaction, score, contacted_at in session.execute(
            query.where(ranked.c.rank <= CASES)
        ):
            moment = (contacted_at - EPOCH).total_seconds()
            candidates.append(
                {
                    "day": position,
                    "kind": kind,
                    "id": record_id,
                    "satisfaction": satisfaction,
                    "score": score,
                    "moment": moment,
                }
            )
    return candidates


CASE_CANDIDATES = DayPart("cases", case_candidates)


def _ranked(
    session: Session, query: sa.Select, candidates: list[int], graded: dict[int, float], keep, sort_key
) -> list[dict[str, Any]]:
    """The first CASES rows by effective score: grades (few) can only move graded records, so the ungraded best by
    automatic score plus every graded candidate contain the answer."""
    ids = list(graded)
    rows = example_rows(session, query.where(Record.id.in_(candidates))) if candidates else []
    if ids:
        rows += example_rows(session, query.where(Record.id.in_(ids)))
    for row in rows:
        row["score"] = graded.get(row["id"], row["auto"])
    return sorted((row for row in rows if keep(row)), key=sort_key)[:CASES]


def cases(session: Session, window: Window, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """The period's exemplary cases (resolved, 非常满意, scoring EXEMPLARY_SCORE or more; best first) and negative ones
    (rated NEGATIVE_SATISFACTION or less, or failing a critical criterion; worst first), masked. Scores are
    effective scores (a grade replaces the automatic score)."""
    period = window.current
    in_period = sa.and_(Record.contacted_at >= period.starts_at, Record.contacted_at < period.ends_at)
    graded = {
        record_id: grade for _which, _team, _agent, record_id, _auto, grade in _grades(session, window, in_period)
    }
    days = day_rows(session, CASE_CANDIDATES, period.first_day, period.after_day, now)
    first: dict[str, list[int]] = {}
    for kind, (_qualifies, _order, key) in _CASE_ORDERS.items():
        found = [row for _day, rows in days for row in rows if row["kind"] == kind and row["id"] not in graded]
        first[kind] = [row["id"] for row in sorted(found, key=key)[:CASES]]
    base = (
        sa.select(
            *example_columns(), RecordScore.score.label("auto"), RecordScore.critical_failed, Team.name.label("team")
        )
        .join(Customer, Customer.id == Record.customer_id)
        .join(User, User.id == Record.agent_id)
        .outerjoin(Team, Team.id == Record.team_id)
        .outerjoin(RecordScore, RecordScore.record_id == Record.id)
        .where(in_period)
    )
    exemplary = _ranked(
        session,
        base.where(_exemplary()),
        first["exemplary"],
        graded,
        lambda row: row["score"] is not None and row["score"] >= EXEMPLARY_SCORE,
        lambda row: (-row["score"], not row["customer_feedback"], -row["contacted_at"].timestamp(), -row["id"]),
    )
    negative = _ranked(
        session,
        base.where(_negative()),
        first["negative"],
        graded,
        lambda row: True,
        lambda row: (
            row["satisfaction"] if row["satisfaction"] is not None else 6,
            row["score"] if row["score"] is not None else 101,
            -row["contacted_at"].timestamp(),
            -row["id"],
        ),
    )
    return {
        key: [
            example(
                row,
                (row["customer_name"], row["agent_name"]),
                agent=row["agent_name"],
                team=row["team"],
                score=round(row["score"], 1) if row["score"] is not None else None,
                critical_failed=bool(row["critical_failed"]),
            )
            for row in rows
        ]
        for key, rows in (("exemplary", exemplary), ("negative", negative))
    }
