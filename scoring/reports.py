"""Quality reports: how an agent's or a team's records score over a period, and where they fall short.

`score_report` is what the performance page, `GET /api/v1/scores` and `consultkb scoring report` show;
`parse_period` reads the periods people type; scoring.report_exports writes a report as CSV or XLSX.

A record's effective score is its grade when a supervisor graded it (the newest grade outside calibration sessions),
else its automatic score; both are kept. Means, the distribution, the weekly trend, the agents' means and the
best/worst examples use the effective score. The criteria figures use the automatic points, the only ones every
record has, so they say which checks of the rubric agents fail most often.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from records.access import NotFound, can_view_record, is_scrubbed_viewer, record_scope, require
from records.anonymising import trainer_anonymiser
from records.db import db, empty_json_list
from records.enums import Role, Status
from records.masking import mask_text
from records.models import FollowUp, Record, Team, User, record_links
from records.timeutil import local_day_start, local_today, to_local
from scoring.agreement import points_agreement, summarise
from scoring.engine import newest_rubric, unstored_scores
from scoring.grading import counts_for_record_sql, effective, newest_record_grades_sql
from scoring.models import Grade, RecordScore, Rubric
from scoring.operations import scorecard

#: Score bands of the distribution: below 60 fails, as in the usual 100-point QA scorecards.
SCORE_BANDS = ((0, 59), (60, 69), (70, 79), (80, 89), (90, 100))
#: A template field filled in fewer than this share of the records it applies to is flagged: the record-keeping
#: guides the product follows name 50 % as the point to train agents and simplify the form.
FILL_RATE_ALERT = 0.5
#: How many best and worst records a report shows as examples.
EXAMPLES = 5
PERIOD_FORMS = "2026-W46 (ISO week), 2026-10 (month), 2026-Q4 (quarter), 2026 (year) or 2026-10-01..2026-10-31"


# ----- periods -----------------------------------------------------------------------------------------------------

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q(\d)$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")
_DAY = r"\d{4}-\d{1,2}-\d{1,2}"
_RANGE = re.compile(rf"^({_DAY})\s*\.\.\s*({_DAY})$")
_ONE_DAY = re.compile(rf"^({_DAY})$")


def _day(text: str) -> date:
    year, month, day = (int(part) for part in text.split("-"))
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{text} is not a date.") from None


#: Outside these years the timezone arithmetic overflows, and no record is there anyway.
PERIOD_YEARS = "Give a period from 1900 to 9998."


def period_days(text: str) -> tuple[date, date]:
    """The local days of a period: its first day and the day after its last."""
    try:
        return _period_days((text or "").strip())
    except OverflowError:
        # The day after the period is past 9999-12-31 (a week, range or day at the very end of the calendar).
        raise ValueError(PERIOD_YEARS) from None


def _period_days(value: str) -> tuple[date, date]:
    if match := _WEEK.match(value):
        year, week = int(match[1]), int(match[2])
        weeks = date(year, 12, 28).isocalendar().week
        if not 1 <= week <= weeks:
            raise ValueError(f"{year} has ISO weeks 1 to {weeks}; there is no week {week}.")
        first = date.fromisocalendar(year, week, 1)
        return first, first + timedelta(days=7)
    if match := _MONTH.match(value):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(f"Month {month} does not exist; months are 1 to 12.")
        return date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)
    if match := _QUARTER.match(value):
        year, quarter = int(match[1]), int(match[2])
        if not 1 <= quarter <= 4:
            raise ValueError(f"Quarter {quarter} does not exist; quarters are Q1 to Q4.")
        first = date(year, 3 * quarter - 2, 1)
        return first, date(year + quarter // 4, (3 * quarter) % 12 + 1, 1)
    if match := _YEAR.match(value):
        year = int(match[1])
        return date(year, 1, 1), date(year + 1, 1, 1)
    if match := _RANGE.match(value):
        first, last = _day(match[1]), _day(match[2])
        if last < first:
            raise ValueError(f"The period ends ({last}) before it starts ({first}).")
        return first, last + timedelta(days=1)
    if match := _ONE_DAY.match(value):
        first = _day(match[1])
        return first, first + timedelta(days=1)
    raise ValueError(f"Unknown period {value!r}; use {PERIOD_FORMS}.")


def parse_period(text: str) -> tuple[datetime, datetime]:
    """[start, end) in naive UTC for a period of local days: "2026-W46", "2026-10", "2026-Q4", "2026",
    "2026-10-01..2026-10-31" (both days included) or one day "2026-10-05". ValueError says what is wrong."""
    first, after = period_days(text)
    if first.year < 1900 or after.year > 9998:
        # Outside these years the timezone arithmetic overflows, and no record is there anyway.
        raise ValueError(PERIOD_YEARS)
    return local_day_start(first), local_day_start(after)


def this_month() -> str:
    """The current local month as a period, the reports' default."""
    return f"{local_today():%Y-%m}"


# ----- the record template's fields --------------------------------------------------------------------------------


def _text(value: str | None) -> bool:
    return bool(value and value.strip())


def _text_sql(column: sa.ColumnElement) -> sa.ColumnElement[bool]:
    return sa.and_(column.is_not(None), sa.func.trim(column) != "")


def _has_links_sql() -> sa.ColumnElement[bool]:
    return sa.select(sa.literal(1)).where(record_links.c.record_id == Record.id).exists()


def _has_follow_ups_sql() -> sa.ColumnElement[bool]:
    return sa.select(sa.literal(1)).where(FollowUp.record_id == Record.id).exists()


@dataclass(frozen=True)
class TemplateField:
    """A field of the record template (客户交流记录表) whose fill rate a report shows.

    "Filled" is written twice, side by side: for a loaded record (`filled`) and as SQL over the records table
    (`filled_sql`), for reports that count in the database; tests/scoring/test_rules.py checks that they agree."""

    key: str
    zh: str
    en: str
    filled: Callable[[Record], bool]
    filled_sql: sa.ColumnElement[bool] = field(compare=False)
    #: Only records in these statuses are expected to have the field; None: every record.
    statuses: frozenset[Status] | None = None

    def applies(self, record: Record) -> bool:
        return self.statuses is None or record.status in self.statuses

    def applies_sql(self) -> sa.ColumnElement[bool]:
        return Record.status.in_(sorted(self.statuses)) if self.statuses is not None else sa.true()


CLOSED = frozenset({Status.RESOLVED, Status.UNRESOLVABLE})
WAITING = frozenset({Status.PENDING, Status.TRANSFERRED})

TEMPLATE_FIELDS = (
    TemplateField(
        "problem_description",
        "问题描述",
        "Problem description",
        lambda r: _text(r.problem_description),
        _text_sql(Record.problem_description),
    ),
    TemplateField(
        "category",
        "问题类型及二级标签",
        "Problem type and subcategory",
        lambda r: bool(r.category and r.subcategory),
        sa.and_(_text_sql(Record.category), _text_sql(Record.subcategory)),
    ),
    TemplateField(
        "customer_request",
        "客户诉求",
        "Customer request",
        lambda r: _text(r.customer_request),
        _text_sql(Record.customer_request),
    ),
    TemplateField(
        "key_details",
        "关键细节/附件",
        "Key details / attachments",
        lambda r: _text(r.key_details) or bool(r.attachments),
        sa.or_(_text_sql(Record.key_details), ~empty_json_list(Record.attachments)),
    ),
    TemplateField(
        "emotion", "客户情绪状态", "Customer emotion", lambda r: r.emotion is not None, Record.emotion.is_not(None)
    ),
    TemplateField(
        "duration_minutes",
        "沟通时长",
        "Duration",
        lambda r: r.duration_minutes is not None,
        Record.duration_minutes.is_not(None),
    ),
    TemplateField(
        "handling_steps",
        "客服响应措施",
        "Handling steps",
        lambda r: _text(r.handling_steps),
        _text_sql(Record.handling_steps),
    ),
    TemplateField(
        "collaboration",
        "内部协作情况（需转交）",
        "Internal collaboration (transferred)",
        lambda r: bool(r.collaboration or r.related),
        sa.or_(~empty_json_list(Record.collaboration), _has_links_sql()),
        frozenset({Status.TRANSFERRED}),
    ),
    TemplateField(
        "resolution",
        "解决方案（已结案）",
        "Resolution (closed)",
        lambda r: _text(r.resolution),
        _text_sql(Record.resolution),
        CLOSED,
    ),
    TemplateField(
        "satisfaction",
        "客户满意度（已结案）",
        "Customer satisfaction (closed)",
        lambda r: r.satisfaction is not None,
        Record.satisfaction.is_not(None),
        CLOSED,
    ),
    TemplateField(
        "follow_ups",
        "后续跟进计划（待跟进/需转交）",
        "Follow-up plan (pending/transferred)",
        lambda r: bool(r.follow_ups),
        _has_follow_ups_sql(),
        WAITING,
    ),
)


# ----- grades ------------------------------------------------------------------------------------------------------


def latest_grades(record_ids: Iterable[int] | sa.Select) -> dict[int, Grade]:
    """Each record's grade, the newest one given outside calibration sessions (those grade the graders)."""
    ids = record_ids if isinstance(record_ids, sa.Select) else list(record_ids)
    grades = db.session.scalars(
        sa.select(Grade)
        .where(Grade.record_id.in_(ids), counts_for_record_sql())
        .order_by(Grade.id)
        .options(selectinload(Grade.grader))
    )
    return {grade.record_id: grade for grade in grades}  # later (newer) grades replace earlier ones


def scorecard_for(record: Record, viewer: User) -> dict[str, Any]:
    """The record's scorecard as the viewer may see it, with its effective score.

    Explanations quote the record's text ("not specific: 客户138…"), so personal data in them is masked like the
    record's own text, and anonymised for trainers as the record is.
    """
    require(can_view_record(viewer, record), "You may not see this record.")
    card = scorecard(record)
    # Trainers read the record anonymised (records.anonymising); the quotes in explanations the same way.
    anonymiser = trainer_anonymiser(record) if is_scrubbed_viewer(viewer) else None

    def shown(texts: dict[str, str] | None) -> dict[str, str] | None:
        if not texts:
            return texts
        if anonymiser is not None:
            return {language: anonymiser.text(text) or "" for language, text in texts.items()}
        return {language: mask_text(text) or "" for language, text in texts.items()}

    card["criteria"] = [{**item, "explanation": shown(item["explanation"])} for item in card["criteria"]]
    return {**card, **effective_fields(record, card["score"])}


def effective_fields(record: Record, auto: float) -> dict[str, Any]:
    """The automatic score, the grade if any, and the one that counts."""
    grade = latest_grades([record.id]).get(record.id)
    return {
        "auto": auto,
        "grade": grade.score if grade else None,
        "effective": effective(auto, grade),
        "grade_id": grade.id if grade else None,
        "graded_by": grade.grader.username if grade else None,
    }


# ----- the report --------------------------------------------------------------------------------------------------


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def band_of(score: float) -> int:
    """Index into SCORE_BANDS; scores carry one decimal, so 59.9 is still in 0-59."""
    for index, (_low, high) in enumerate(SCORE_BANDS):
        if score < high + 1:
            return index
    return len(SCORE_BANDS) - 1


class CriterionTally:
    """Per criterion: records it applied to, records that lost points on it, and the sum of fractions earned."""

    def __init__(self) -> None:
        self.counts: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])

    def add(self, points: dict[str, float | None], scales: dict[str, float]) -> None:
        for key, value in points.items():
            if value is None or key not in scales:
                continue
            fraction = min(1.0, max(0.0, float(value) / scales[key]))
            tally = self.counts[key]
            tally[0] += 1
            tally[1] += fraction < 1.0
            tally[2] += fraction

    def rows(self, names: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
        """Weakest first: the largest share of records losing points, then the lowest mean fraction."""
        rows = [
            {
                "key": key,
                "name": names.get(key, {"zh": key, "en": key}),
                "applicable": int(applicable),
                "losing": int(losing),
                "losing_share": _share(int(losing), int(applicable)),
                "mean_fraction": round(total / applicable, 4),
            }
            for key, (applicable, losing, total) in self.counts.items()
            if applicable
        ]
        return sorted(rows, key=lambda row: (-row["losing_share"], row["mean_fraction"], row["key"]))

    def weakest(self, names: dict[str, dict[str, str]]) -> dict[str, Any] | None:
        rows = self.rows(names)
        return {"key": rows[0]["key"], "name": rows[0]["name"]} if rows and rows[0]["losing"] else None


def _iso_weeks(first: date, last: date) -> list[tuple[int, int]]:
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        iso = monday.isocalendar()
        weeks.append((iso.year, iso.week))
        monday += timedelta(days=7)
    return weeks


def _scored_records(conditions: list[sa.ColumnElement[bool]]) -> list[tuple[Record, RecordScore]]:
    query = (
        sa.select(Record, RecordScore)
        .outerjoin(RecordScore, RecordScore.record_id == Record.id)
        .where(*conditions)
        .order_by(Record.contacted_at, Record.id)
        .options(
            selectinload(Record.agent),
            selectinload(Record.team),
            selectinload(Record.follow_ups),
            selectinload(Record.related),
        )
    )
    rows = [(record, score) for record, score in db.session.execute(query)]
    missing = [record for record, score in rows if score is None]
    if missing:
        # Records older than scoring: scored now, as a scorecard would, and not stored (reports are read on GETs).
        fresh = unstored_scores(newest_rubric(), missing)
        rows = [(record, score or fresh[record.id]) for record, score in rows]
    return rows


def record_row(record: Record, score: RecordScore, grade: Grade | None, version: int) -> dict[str, Any]:
    """One record's line of a report: who, when, the automatic score, the grade and the one that counts."""
    return {
        "record_id": record.id,
        "record_number": record.number,
        "agent_id": record.agent_id,
        "agent": record.agent.username,
        "agent_name": record.agent.display_name,
        "team": record.team.name if record.team else None,
        "contacted_at": record.contacted_at,
        "status": record.status.value,
        "auto_score": score.score,
        "grade_score": grade.score if grade else None,
        "effective_score": effective(score.score, grade),
        "graded_by": grade.grader.username if grade else None,
        "critical_failed": score.critical_failed,
        "rubric_version": version,
    }


def score_report(
    *,
    viewer: User,
    agent_id: int | None = None,
    team_id: int | None = None,
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    """Scores of the records contacted in [start, end) that the viewer may see, for one agent, one team or all.

    Agents get their own records only and supervisors their team's (asking for others' is refused). `records`
    holds one row per record, oldest first; the rest is the summary (see the module docstring for which score each
    figure uses). Shares and rates are fractions (0.5, not 50).
    """
    require(
        viewer.role != Role.AGENT or agent_id in (None, viewer.id), "Agents see the scores of their own records only."
    )
    require(
        viewer.role != Role.SUPERVISOR or team_id in (None, viewer.team_id),
        "Supervisors see the scores of their own team only.",
    )
    if viewer.role == Role.AGENT:
        agent_id = viewer.id
    agent = db.session.get(User, agent_id) if agent_id is not None else None
    team = db.session.get(Team, team_id) if team_id is not None else None
    if agent_id is not None and agent is None:
        raise NotFound(f"No agent {agent_id}.")
    if team_id is not None and team is None:
        raise NotFound(f"No team {team_id}.")
    # The summary names the agent: another team's is refused, as their team is.
    require(
        viewer.role != Role.SUPERVISOR or agent is None or agent.team_id == viewer.team_id,
        "Supervisors see the scores of their own team only.",
    )

    conditions = [record_scope(viewer), Record.contacted_at >= start, Record.contacted_at < end]
    if agent is not None:
        conditions.append(Record.agent_id == agent.id)
    if team is not None:
        conditions.append(Record.team_id == team.id)
    scored = _scored_records(conditions)
    grades = latest_grades(sa.select(Record.id).where(*conditions))
    newest = newest_rubric()
    rubrics = {rubric.id: rubric for rubric in db.session.scalars(sa.select(Rubric).order_by(Rubric.version))}
    rubrics.setdefault(newest.id, newest)  # the shipped rubric, unsaved while no record was scored yet
    names: dict[str, dict[str, str]] = {}
    scales: dict[int, dict[str, float]] = {}
    for rubric in rubrics.values():  # by version, so the newest wording of a criterion's name wins
        scales[rubric.id] = {item["key"]: float(item["scale"]) for item in rubric.definition["criteria"]}
        for item in rubric.definition["criteria"]:
            names[item["key"]] = {"zh": item.get("zh", item["key"]), "en": item.get("en", item["key"])}

    first_day = to_local(start).date()
    last_day = (to_local(end) - timedelta(days=1)).date()
    by_week: dict[tuple[int, int], list[float]] = {key: [] for key in _iso_weeks(first_day, last_day)}
    criteria = CriterionTally()
    by_agent: dict[int, AgentTally] = {}
    rows = []
    agreements = []
    for record, score in scored:
        grade = grades.get(record.id)
        row = record_row(record, score, grade, rubrics[score.rubric_id].version)
        rows.append(row)
        if grade is not None:
            agreements.append((row["team"], grade_agreement(grade, score, scales.get(grade.rubric_id, {}))))
        iso = to_local(record.contacted_at).date().isocalendar()
        by_week.setdefault((iso.year, iso.week), []).append(row["effective_score"])
        criteria.add(score.points, scales[score.rubric_id])
        tally = by_agent.setdefault(record.agent_id, AgentTally(record.agent))
        tally.scores.append(row["effective_score"])
        tally.auto.append(row["auto_score"])
        tally.criteria.add(score.points, scales[score.rubric_id])

    best, worst = _examples(rows)
    return {
        "start": start,
        "end": end,
        "first_day": first_day,
        "last_day": last_day,
        "agent": {"id": agent.id, "username": agent.username, "name": agent.display_name} if agent else None,
        "team": {"id": team.id, "name": team.name} if team else None,
        "rubric_version": newest.version,
        "count": len(rows),
        "graded": sum(1 for row in rows if row["grade_score"] is not None),
        "critical_failed": sum(1 for row in rows if row["critical_failed"]),
        "mean_auto": _mean([row["auto_score"] for row in rows]),
        "mean_effective": _mean([row["effective_score"] for row in rows]),
        "distribution": _distribution([row["effective_score"] for row in rows]),
        "weakest_criteria": criteria.rows(names),
        "agreement": summarise(agreements, names, [item["key"] for item in newest.definition["criteria"]]),
        "fill_rates": _fill_rates(record for record, _score in scored),
        "alert_below": FILL_RATE_ALERT,
        "weeks": [
            {
                "week": f"{year}-W{week:02d}",
                "starts": date.fromisocalendar(year, week, 1),
                "count": len(by_week[year, week]),
                "mean": _mean(by_week[year, week]),
            }
            for year, week in sorted(by_week)
        ],
        "best": best,
        "worst": worst,
        # One agent's report has no table of agents.
        "agents": [] if agent is not None else [tally.row(names) for tally in sorted(by_agent.values())],
        "records": rows,
    }


def grade_agreement(grade: Grade, score: RecordScore, scales: dict[str, float]) -> dict[str, float]:
    """The agreement stored with the grade; for grades older than that, the record's automatic points against it."""
    if grade.agreement is not None:
        return grade.agreement
    return points_agreement(score.points, grade.points, scales)


def agreement_summary(conditions: list[sa.ColumnElement[bool]], session=None) -> dict[str, Any]:
    """Agreement (scoring.agreement) of the records matching `conditions` that have a grade (their newest outside
    calibration sessions), per criterion and per team: what the rubric page and the improvement reports show."""
    session = session or db.session
    newest = newest_record_grades_sql()
    query = (
        sa.select(Team.name, Grade, RecordScore)
        .select_from(Grade)
        .join(Record, Record.id == Grade.record_id)
        .outerjoin(Team, Team.id == Record.team_id)
        .outerjoin(RecordScore, RecordScore.record_id == Record.id)
        .where(Grade.id.in_(sa.select(newest.c.grade_id)), *conditions)
        .order_by(Grade.id)
    )
    names: dict[str, dict[str, str]] = {}
    scales: dict[int, dict[str, float]] = {}
    order: list[str] = []
    for rubric in session.scalars(sa.select(Rubric).order_by(Rubric.version)):
        scales[rubric.id] = {item["key"]: float(item["scale"]) for item in rubric.definition["criteria"]}
        names.update(
            {
                item["key"]: {"zh": item.get("zh", item["key"]), "en": item.get("en", item["key"])}
                for item in rubric.definition["criteria"]
            }
        )
        order = [item["key"] for item in rubric.definition["criteria"]]
    graded = [
        (team, grade_agreement(grade, score, scales.get(grade.rubric_id, {})) if score else grade.agreement or {})
        for team, grade, score in session.execute(query)
    ]
    return summarise(graded, names, order)


@dataclass
class AgentTally:
    agent: User
    scores: list[float] = field(default_factory=list)
    auto: list[float] = field(default_factory=list)
    criteria: CriterionTally = field(default_factory=CriterionTally)

    def __lt__(self, other: AgentTally) -> bool:
        return (self.agent.display_name, self.agent.id) < (other.agent.display_name, other.agent.id)

    def row(self, names: dict[str, dict[str, str]]) -> dict[str, Any]:
        return {
            "agent_id": self.agent.id,
            "username": self.agent.username,
            "name": self.agent.display_name,
            "count": len(self.scores),
            "mean": _mean(self.scores),
            "mean_auto": _mean(self.auto),
            "weakest": self.criteria.weakest(names),
        }


def _distribution(scores: list[float]) -> list[dict[str, Any]]:
    counts = [0] * len(SCORE_BANDS)
    for score in scores:
        counts[band_of(score)] += 1
    return [
        {
            "label": f"{low}-{high}",
            "low": low,
            "high": high,
            "count": counts[index],
            "share": _share(counts[index], len(scores)),
        }
        for index, (low, high) in enumerate(SCORE_BANDS)
    ]


def _fill_rates(records: Iterable[Record]) -> list[dict[str, Any]]:
    applicable = dict.fromkeys((item.key for item in TEMPLATE_FIELDS), 0)
    filled = dict(applicable)
    for record in records:
        for item in TEMPLATE_FIELDS:
            if item.applies(record):
                applicable[item.key] += 1
                filled[item.key] += item.filled(record)
    return [
        {
            "key": item.key,
            "name": {"zh": item.zh, "en": item.en},
            "applicable": applicable[item.key],
            "filled": filled[item.key],
            "rate": _share(filled[item.key], applicable[item.key]),
            "alert": applicable[item.key] > 0 and filled[item.key] / applicable[item.key] < FILL_RATE_ALERT,
        }
        for item in TEMPLATE_FIELDS
    ]


def _examples(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The best and the worst records by effective score; with few records they split them, never repeat one."""
    ranked = sorted(rows, key=lambda row: (-row["effective_score"], row["contacted_at"], row["record_id"]))
    shown = min(EXAMPLES, max(1, len(rows) // 2)) if rows else 0
    best = ranked[:shown]
    best_ids = {row["record_id"] for row in best}
    worst = [row for row in reversed(ranked) if row["record_id"] not in best_ids][:shown]
    keys = ("record_id", "record_number", "agent_name", "contacted_at", "effective_score", "auto_score", "grade_score")
    return [{key: row[key] for key in keys} for row in best], [{key: row[key] for key in keys} for row in worst]


def report_summary(report: dict[str, Any]) -> dict[str, Any]:
    """The report without its per-record rows."""
    return {key: value for key, value in report.items() if key != "records"}
