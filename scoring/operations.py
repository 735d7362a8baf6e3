"""Service functions for automatic scores and the rubric: read a record's scorecard, edit the rubric, rescore.

Like the other operations modules they validate, change the session and audit-log, flush but never commit.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from records import audit
from records.access import require
from records.db import db
from records.models import Record, User
from scoring.checks import CHECKS
from scoring.engine import critical_cap, current_rubric, default_definition, evaluate, newest_rubric, unstored_scores
from scoring.models import RecordScore, Rubric
from scoring.tuning import RUBRIC_EDITORS, active_mapping


def record_score(record: Record) -> RecordScore:
    """The record's stored automatic score; for a record that has none yet (older than scoring) the score computed
    now and not stored, since pages that show it must not write (`consultkb scoring rescore --missing` stores them)."""
    score = db.session.get(RecordScore, record.id)
    if score is None:
        score = unstored_scores(newest_rubric(), [record])[record.id]
    return score


def scorecard(record: Record) -> dict[str, Any]:
    """The automatic score with every criterion's points, explanation and suggestion, by the rubric version that
    made the stored score."""
    stored = record_score(record)
    evaluation = evaluate(record, stored.rubric.definition, stored.computed_at, active_mapping())
    return {
        "record_id": record.id,
        "record_number": record.number,
        "score": stored.score,
        "critical_failed": stored.critical_failed,
        "critical_cap": critical_cap(stored.rubric.definition),
        "rubric_version": stored.rubric.version,
        "computed_at": stored.computed_at,
        "criteria": [item.as_dict() for item in evaluation.criteria],
    }


def rubric_versions() -> list[Rubric]:
    return list(db.session.scalars(sa.select(Rubric).order_by(Rubric.version.desc())))


def validate_definition(definition: dict) -> dict:
    """A rubric as admins may write it: known criteria, weights 0-100, positive scales; errors say where."""
    criteria = definition.get("criteria")
    if not isinstance(criteria, list) or not criteria:
        raise ValidationError({"criteria": [_l("A rubric needs at least one criterion.")]})
    errors: dict[str, Any] = {}
    criterion_errors: dict[str, dict[str, list]] = {}
    seen = set()
    for index, criterion in enumerate(criteria):
        problems: dict[str, list] = {}  # by input: "weight", "scale", or "_schema" for the criterion as a whole
        key = criterion.get("key")
        if key not in CHECKS:
            problems.setdefault("_schema", []).append(f"Unknown criterion {key!r}; known: {', '.join(sorted(CHECKS))}.")
        if key in seen:
            problems.setdefault("_schema", []).append(f"Criterion {key!r} appears twice.")
        seen.add(key)
        weight = criterion.get("weight")
        if not isinstance(weight, int | float) or not 0 <= weight <= 100:
            problems["weight"] = [_l("Weight must be a number from 0 to 100.")]
        scale = criterion.get("scale")
        if not isinstance(scale, int | float) or scale <= 0:
            problems["scale"] = [_l("Scale must be a positive number.")]
        if problems:
            criterion_errors[str(key or index)] = problems
    if not criterion_errors and not any(criterion.get("weight", 0) > 0 for criterion in criteria):
        criterion_errors["_all"] = {"_schema": [_l("At least one criterion needs a weight above 0.")]}
    if criterion_errors:
        errors["criteria"] = criterion_errors
    minutes = definition.get("timeliness_minutes", 30)
    if not isinstance(minutes, int) or not 1 <= minutes <= 7 * 24 * 60:
        errors["timeliness_minutes"] = [_l("Whole minutes from 1 to 10080.")]
    if errors:
        raise ValidationError(errors)
    return definition


def update_rubric(changes: dict[str, Any], note: str | None, *, by: User) -> Rubric:
    """A new rubric version from the newest one with `changes` applied: `timeliness_minutes`, and per criterion
    key its `weight`, `scale`, `critical` or `enabled` (False removes it). Existing scores keep their version until
    `consultkb scoring rescore`."""
    require(by.role in RUBRIC_EDITORS, "Only administrators change the rubric.")
    latest = current_rubric()
    definition = deepcopy(latest.definition)
    if "timeliness_minutes" in changes:
        definition["timeliness_minutes"] = changes["timeliness_minutes"]
    by_key = {criterion["key"]: criterion for criterion in definition["criteria"]}
    unknown = [key for key in changes.get("criteria", {}) if key not in by_key and key not in CHECKS]
    if unknown:
        raise ValidationError({"criteria": [f"Unknown criterion {unknown[0]!r}."]})
    for key, values in changes.get("criteria", {}).items():
        criterion = by_key.get(key)
        if criterion is None:
            # A check switched back on (or added) starts from its shipped definition: names, scale and where it
            # applies (a critical follow-up check without its statuses would zero every resolved record).
            shipped = {item["key"]: item for item in default_definition()["criteria"]}
            criterion = deepcopy(shipped.get(key) or {"key": key, "kind": "quality", "weight": 0, "scale": 1})
            criterion.setdefault("zh", key)
            criterion.setdefault("en", key)
            definition["criteria"].append(criterion)
            by_key[key] = criterion
        for name in ("weight", "scale", "critical"):
            if name in values:
                criterion[name] = values[name]
        if values.get("enabled") is False:
            definition["criteria"].remove(criterion)
    validate_definition(definition)
    if definition == latest.definition:
        return latest
    rubric = Rubric(version=latest.version + 1, definition=definition, note=note, created_by_id=by.id)
    db.session.add(rubric)
    db.session.flush()
    audit.log(by, "rubric.update", rubric, version=rubric.version, note=note)
    return rubric
