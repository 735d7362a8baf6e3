"""What the case library suggests: records worth turning into cases, and the pack for an agent's weak criterion.

Both are computed in the database (aggregates, ORDER BY … LIMIT) rather than by loading records into Python: a
trainer's suggestion list over a quarter of a large centre's records, or a team's criterion means, must not read
every record.

Every criterion is a value from 0 to 1 per record (`criterion_value`): a rubric check's points divided by its scale
in the rubric version that scored the record; the resolution rate's 1 (resolved) or 0 (transferred, unresolvable;
open and pending records are not decided yet); a satisfaction rating mapped from 1-5 to 0-1.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy.orm import aliased, selectinload

from records.access import record_scope, require
from records.db import db
from records.enums import Emotion, Role, Status
from records.models import Record, Team, User
from records.timeutil import local_day_start, local_today
from scoring.cases.anonymising import anonymiser_for, staff_names
from scoring.cases.dimensions import OUTCOME_CRITERIA, dimension_by_key, dimensions, known_criteria
from scoring.cases.models import (
    CaseCollection,
    CaseKind,
    CollectionAssignment,
    CollectionItem,
    CollectionReading,
    PackStatus,
    TrainingCase,
)
from scoring.cases.operations import CURATORS
from scoring.cases.packs import teaches
from scoring.cases.training import LEARNERS
from scoring.grading import counts_for_record_sql
from scoring.models import Grade, RecordScore, Rubric

#: What the suggestion list offers, and the kind of case each suggests.
SUGGESTION_KINDS = {
    "top": CaseKind.EXEMPLARY,
    "bottom": CaseKind.CAUTIONARY,
    "angry_resolved": CaseKind.EXEMPLARY,
    "transfers": CaseKind.CAUTIONARY,
}
#: Criteria that make a suggestion kind fit a dimension (the dimensions listing any of them are pre-selected).
SUGGESTION_CRITERIA = {
    "angry_resolved": {"complaint_emotion", "satisfaction_attitude", "satisfaction"},
    "transfers": {"resolution_rate", "related_when_transferred"},
}
#: Suggestions and weaknesses look at this many days back by default: a quarter, one training cycle.
DEFAULT_DAYS = 90
DEFAULT_LIMIT = 10
MAX_LIMIT = 50
#: "Angry customers": the template's emotions of an upset customer (愤怒, 不满, 急躁).
UPSET_EMOTIONS = (Emotion.ANGRY, Emotion.DISSATISFIED, Emotion.IMPATIENT)
#: "High satisfaction": 满意 (4) or 非常满意 (5) on the template's five levels.
HIGH_SATISFACTION = 4
#: "Many transfers": handed to at least this many departments (内部协作 entries); one hand-over is routine.
MANY_TRANSFERS = 2
#: An agent is weak on a criterion when their mean is this far (on the 0-1 scale) below their team's: 15 points of
#: 100, one and a half bands of the quality report's score distribution, a gap a supervisor notices in a month's
#: report rather than noise between colleagues. Override with CASE_WEAKNESS_MARGIN.
WEAKNESS_MARGIN = 0.15
#: ...and has at least this many records the criterion applies to: with fewer, one bad record moves the mean by
#: more than the margin. Override with CASE_WEAKNESS_MIN_RECORDS.
WEAKNESS_MIN_RECORDS = 5
#: How many packs a weakness lists besides the one suggested.
OTHER_PACKS = 3
#: Characters of the scrubbed problem description a suggestion shows.
EXCERPT_LENGTH = 120


def period_of_days(first: date | None = None, last: date | None = None) -> tuple[datetime, datetime]:
    """[start, end) in naive UTC for local days first..last (both included); the last DEFAULT_DAYS days ending
    today by default."""
    last = last or local_today()
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    return local_day_start(first), local_day_start(last + timedelta(days=1))


def _setting(name: str, default: float) -> float:
    from flask import current_app, has_app_context

    return float(current_app.config.get(name, default)) if has_app_context() else default


# ----- per-record criterion values ---------------------------------------------------------------------------------


def rubric_scales() -> dict[int, dict[str, float]]:
    """Per rubric version id, each criterion's scale."""
    return {
        rubric_id: {item["key"]: float(item["scale"]) for item in definition["criteria"]}
        for rubric_id, definition in db.session.execute(sa.select(Rubric.id, Rubric.definition))
    }


def criterion_value(key: str, scales: dict[int, dict[str, float]]) -> sa.ColumnElement | None:
    """The record's 0-1 value on a criterion, NULL where it does not apply (needs RecordScore joined)."""
    if key == "resolution_rate":
        return sa.case(
            (Record.status == Status.RESOLVED, 1.0),
            (Record.status.in_((Status.TRANSFERRED, Status.UNRESOLVABLE)), 0.0),
            else_=sa.null(),
        )
    if key in OUTCOME_CRITERIA:
        return (sa.cast(getattr(Record, key), sa.Float) - 1.0) / 4.0
    whens = {rubric_id: scale for rubric_id, by_key in scales.items() if (scale := by_key.get(key))}
    if not whens:
        return None
    return RecordScore.points[key].as_float() / sa.case(whens, value=RecordScore.rubric_id, else_=sa.null())


def dimension_value(criteria: tuple[str, ...], scales: dict[int, dict[str, float]]) -> sa.ColumnElement | None:
    """The mean of a record's values on a dimension's criteria, over those that apply."""
    values = [value for key in criteria if (value := criterion_value(key, scales)) is not None]
    if not values:
        return None
    total = sum((sa.func.coalesce(value, 0.0) for value in values), sa.literal(0.0))
    counted = sum((sa.case((value.is_(None), 0), else_=1) for value in values), sa.literal(0))
    return total / sa.func.nullif(counted, 0)


def effective_score_columns() -> tuple[sa.ColumnElement, sa.ColumnElement, Any, Any]:
    """(effective score, grade score, latest-grade subquery, grade alias): the newest grade outside calibration
    sessions overrides the automatic score, as in the quality reports."""
    latest = (
        sa.select(Grade.record_id, sa.func.max(Grade.id).label("grade_id"))
        .where(counts_for_record_sql())
        .group_by(Grade.record_id)
        .subquery()
    )
    graded = aliased(Grade)
    return sa.func.coalesce(graded.score, RecordScore.score), graded.score, latest, graded


# ----- records worth a case ----------------------------------------------------------------------------------------


def record_suggestions(
    *,
    viewer: User,
    kind: str,
    dimension: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[dict[str, Any]]:
    """Scored records of [start, end) that no case was made from yet, best candidates first:

    top / bottom: the highest / lowest effective scores (by the dimension's criteria first when one is given);
    angry_resolved: upset customers whose record was resolved with 满意 or better; transfers: records handed to
    several departments, most hand-overs first.
    """
    require(viewer.role in CURATORS, "Only trainers and administrators get case suggestions.")
    if kind not in SUGGESTION_KINDS:
        raise ValidationError({"kind": [f"Unknown suggestion {kind!r}; allowed: {', '.join(SUGGESTION_KINDS)}."]})
    chosen = dimension_by_key().get(dimension) if dimension else None
    if dimension and chosen is None:
        raise ValidationError({"dimension": [_l("Choose dimensions from the list.")]})
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError({"limit": [_l("Enter a number from 1 to %(max)s.", max=MAX_LIMIT)]})
    if start is None or end is None:
        start, end = period_of_days()

    scales = rubric_scales()
    effective, grade_score, latest, graded = effective_score_columns()
    transfers = sa.func.json_array_length(Record.collaboration)
    dim_value = dimension_value(chosen.criteria, scales) if chosen else None
    used = sa.select(TrainingCase.source_record_id).where(TrainingCase.source_record_id.is_not(None))
    query = (
        sa.select(
            Record.id,
            effective.label("effective"),
            RecordScore.score.label("auto"),
            grade_score.label("grade"),
            transfers.label("transfers"),
            (dim_value if dim_value is not None else sa.null()).label("dimension_value"),
        )
        .join(RecordScore, RecordScore.record_id == Record.id)
        .outerjoin(latest, latest.c.record_id == Record.id)
        .outerjoin(graded, graded.id == latest.c.grade_id)
        .where(
            record_scope(viewer),
            Record.contacted_at >= start,
            Record.contacted_at < end,
            # Archived records are read-only history, left out of lists like FAQ proposals leave them out.
            Record.archived_at.is_(None),
            Record.id.not_in(used),
        )
    )
    if kind in ("top", "bottom"):
        ascending = kind == "bottom"
        order = [effective.asc() if ascending else effective.desc()]
        if dim_value is not None:
            query = query.where(dim_value.is_not(None))
            order.insert(0, dim_value.asc() if ascending else dim_value.desc())
    elif kind == "angry_resolved":
        query = query.where(
            Record.emotion.in_(UPSET_EMOTIONS),
            Record.status == Status.RESOLVED,
            Record.satisfaction >= HIGH_SATISFACTION,
        )
        order = [Record.satisfaction.desc(), effective.desc()]
    else:
        query = query.where(transfers >= MANY_TRANSFERS)
        order = [transfers.desc(), effective.asc()]
    rows = db.session.execute(query.order_by(*order, Record.contacted_at.desc(), Record.id.desc()).limit(limit)).all()
    return _suggestion_rows(rows, kind, chosen.key if chosen else None)


def _suggested_dimensions(kind: str, dimension: str | None) -> list[str]:
    if dimension:
        return [dimension]
    wanted = SUGGESTION_CRITERIA.get(kind, set())
    return [item.key for item in dimensions() if wanted & set(item.criteria)]


def _suggestion_rows(rows: list[Any], kind: str, dimension: str | None) -> list[dict[str, Any]]:
    records = {
        record.id: record
        for record in db.session.scalars(
            sa.select(Record)
            .where(Record.id.in_([row.id for row in rows]))
            .options(selectinload(Record.customer), selectinload(Record.agent), selectinload(Record.follow_ups))
        )
    }
    staff = staff_names()
    suggested = _suggested_dimensions(kind, dimension)
    result = []
    for row in rows:
        record = records[row.id]
        excerpt = anonymiser_for(record, staff=staff).text(record.problem_description) or ""
        result.append(
            {
                "record_id": record.id,
                "record_number": record.number,
                "contacted_at": record.contacted_at,
                "category": record.category,
                "subcategory": record.subcategory,
                "status": record.status.value,
                "emotion": record.emotion.value if record.emotion else None,
                "satisfaction": record.satisfaction,
                "score": round(float(row.effective), 1),
                "auto_score": round(float(row.auto), 1),
                "grade_score": None if row.grade is None else round(float(row.grade), 1),
                "transfers": int(row.transfers or 0),
                "dimension_value": None if row.dimension_value is None else round(float(row.dimension_value), 3),
                "excerpt": excerpt if len(excerpt) <= EXCERPT_LENGTH else excerpt[: EXCERPT_LENGTH - 1] + "…",
                "suggested_kind": SUGGESTION_KINDS[kind].value,
                "suggested_dimensions": suggested,
            }
        )
    return result


# ----- weak agents and the pack that teaches it --------------------------------------------------------------------


def _criterion_aggregates(values: dict[str, sa.ColumnElement], conditions: list, group: list) -> list[Any]:
    columns = []
    for index, value in enumerate(values.values()):
        columns += [sa.func.avg(value).label(f"m{index}"), sa.func.count(value).label(f"n{index}")]
    query = (
        sa.select(*group, *columns)
        .select_from(Record)
        .outerjoin(RecordScore, RecordScore.record_id == Record.id)
        .where(*conditions)
        .group_by(*group)
    )
    return db.session.execute(query).all()


def weak_agents(
    *,
    viewer: User,
    start: datetime | None = None,
    end: datetime | None = None,
    team_id: int | None = None,
) -> list[dict[str, Any]]:
    """Agents whose mean on a criterion over [start, end) is well below their team's (WEAKNESS_MARGIN, with at
    least WEAKNESS_MIN_RECORDS records), each weakness with the published pack that teaches it.

    Supervisors see their own team; trainers and administrators any team (team_id) or all. A pack teaches a
    criterion when the trainer tagged it with the criterion or one of its cases has a dimension listing it; the pack
    tagged explicitly, then the one with the most such cases, is suggested.
    """
    require(viewer.role in (Role.SUPERVISOR, *CURATORS), "Only supervisors, trainers and administrators see this.")
    if viewer.role == Role.SUPERVISOR:
        require(team_id in (None, viewer.team_id), "Supervisors see their own team only.")
        team_id = viewer.team_id
        if team_id is None:
            return []
    if start is None or end is None:
        start, end = period_of_days()
    margin = _setting("CASE_WEAKNESS_MARGIN", WEAKNESS_MARGIN)
    minimum = _setting("CASE_WEAKNESS_MIN_RECORDS", WEAKNESS_MIN_RECORDS)

    scales = rubric_scales()
    names = known_criteria()
    values = {key: value for key in names if (value := criterion_value(key, scales)) is not None}
    keys = list(values)
    conditions = [
        record_scope(viewer),
        Record.contacted_at >= start,
        Record.contacted_at < end,
        Record.archived_at.is_(None),
    ]
    if team_id is not None:
        conditions.append(Record.team_id == team_id)
    teams = {row.team_id: row for row in _criterion_aggregates(values, conditions, [Record.team_id])}
    per_agent = _criterion_aggregates(values, conditions, [Record.team_id, Record.agent_id])

    agents = {
        user.id: user
        for user in db.session.scalars(
            sa.select(User).where(User.id.in_({row.agent_id for row in per_agent}), User.role.in_(LEARNERS))
        )
    }
    found: dict[int, dict[str, Any]] = {}
    for row in per_agent:
        agent = agents.get(row.agent_id)
        if agent is None or not agent.active:
            continue
        team = teams[row.team_id]
        for index, key in enumerate(keys):
            mine, count, theirs = getattr(row, f"m{index}"), getattr(row, f"n{index}"), getattr(team, f"m{index}")
            if mine is None or theirs is None or count < minimum or float(theirs) - float(mine) < margin:
                continue
            entry = found.setdefault(agent.id, {"agent": agent, "team_id": row.team_id, "weaknesses": []})
            entry["weaknesses"].append(
                {
                    "criterion": key,
                    "name": names[key],
                    "agent_mean": round(float(mine), 3),
                    "team_mean": round(float(theirs), 3),
                    "gap": round(float(theirs) - float(mine), 3),
                    "records": int(count),
                }
            )
    if not found:
        return []
    packs = _packs_for(found)
    team_names = dict(db.session.execute(sa.select(Team.id, Team.name).where(Team.id.in_(teams.keys()))).all())
    result = []
    for entry in found.values():
        agent = entry["agent"]
        weaknesses = sorted(entry["weaknesses"], key=lambda item: (-item["gap"], item["criterion"]))
        for weakness in weaknesses:
            weakness.update(packs(agent.id, weakness["criterion"]))
        result.append(
            {
                "agent_id": agent.id,
                "username": agent.username,
                "name": agent.display_name,
                "team": team_names.get(entry["team_id"]),
                "weaknesses": weaknesses,
            }
        )
    return sorted(result, key=lambda row: (-row["weaknesses"][0]["gap"], row["name"], row["agent_id"]))


def _packs_for(found: dict[int, dict[str, Any]]):
    """A lookup (agent id, criterion) → the suggested pack and the others, with the agent's state for each."""
    collections = list(
        db.session.scalars(
            sa.select(CaseCollection)
            .where(CaseCollection.status == PackStatus.PUBLISHED)
            .options(selectinload(CaseCollection.items).selectinload(CollectionItem.case))
            .order_by(CaseCollection.title, CaseCollection.id)
        )
    )
    taught = {collection.id: teaches(collection) for collection in collections}
    agent_ids = list(found)
    assigned = set(
        db.session.execute(
            sa.select(CollectionAssignment.agent_id, CollectionAssignment.collection_id).where(
                CollectionAssignment.agent_id.in_(agent_ids)
            )
        ).all()
    )
    completed = set(
        db.session.execute(
            sa.select(CollectionReading.user_id, CollectionReading.collection_id).where(
                CollectionReading.user_id.in_(agent_ids), CollectionReading.completed_at.is_not(None)
            )
        ).all()
    )
    by_key = dimension_by_key()

    def rank(collection: CaseCollection, criterion: str) -> tuple:
        cases = [
            case
            for case in collection.cases
            if any(criterion in by_key[key].criteria for key in case.dimensions if key in by_key)
        ]
        exemplary = sum(1 for case in cases if case.kind == CaseKind.EXEMPLARY)
        return (criterion not in (collection.criteria or []), -len(cases), -exemplary, collection.title)

    def lookup(agent_id: int, criterion: str) -> dict[str, Any]:
        candidates = sorted(
            (collection for collection in collections if criterion in taught[collection.id]),
            key=lambda collection: rank(collection, criterion),
        )

        def shown(collection: CaseCollection) -> dict[str, Any]:
            return {
                "id": collection.id,
                "title": collection.title,
                "cases": len(collection.items),
                "assigned": (agent_id, collection.id) in assigned,
                "completed": (agent_id, collection.id) in completed,
            }

        return {
            "pack": shown(candidates[0]) if candidates else None,
            "other_packs": [shown(collection) for collection in candidates[1 : 1 + OTHER_PACKS]],
        }

    return lookup
