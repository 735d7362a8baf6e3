"""Calibration sessions: several graders grade the same records, and Krippendorff's alpha says how alike they read
the rubric, with each other and with the automatic score.

Alpha is 1 for perfect agreement, about 0 for agreement no better than chance, negative for systematic
disagreement. Krippendorff suggests relying on data with alpha ≥ 0.8 and drawing tentative conclusions only from
0.667 up.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from statistics import fmean
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from records import audit
from records.access import NotFound, can_view_record, require
from records.db import db, row_id
from records.enums import Role
from records.models import Record, User
from scoring.engine import newest_rubric
from scoring.models import CalibrationSession, Grade
from scoring.operations import record_score

#: Who creates sessions and who may grade in them.
CALIBRATION_ROLES = (Role.SUPERVISOR, Role.TRAINER, Role.ADMIN)
#: Alpha needs at least two coders per unit to say anything.
MIN_GRADERS = 2
#: Largest session: every grader grades every record, so this bounds the work one session asks for.
MAX_RECORDS = 200
MAX_GRADERS = 20
#: How many of the most disputed record/criterion pairs the report lists.
DISAGREEMENT_LIMIT = 10
LEVELS = ("interval", "nominal")


# ----- Krippendorff's alpha ----------------------------------------------------------------------------------------


def krippendorff_alpha(values: Sequence[Sequence[float | None]], level: str = "interval") -> float | None:
    """Krippendorff's alpha for a reliability data matrix: rows are coders, columns units, None a missing value.

    Follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": only units with two or more values
    are pairable; alpha = 1 - D_o / D_e, the observed disagreement within units over the disagreement expected
    from all pairable values pooled. `interval` uses the squared difference, `nominal` 0/1 for equal/unequal.
    None when fewer than two values are pairable or all of them are equal (no variation: alpha is undefined).
    """
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}; one of {', '.join(LEVELS)}.")
    width = max((len(row) for row in values), default=0)
    units = []
    for column in range(width):
        unit = [row[column] for row in values if column < len(row) and row[column] is not None]
        if len(unit) >= 2:
            units.append([float(value) for value in unit])
    pooled = [value for unit in units for value in unit]
    n = len(pooled)
    if n < 2:
        return None
    disagreement = _interval_pairs if level == "interval" else _nominal_pairs
    expected = disagreement(pooled)
    if expected == 0:
        return None
    observed = math.fsum(disagreement(unit) / (len(unit) - 1) for unit in units)
    return 1.0 - (n - 1) * observed / expected


def _interval_pairs(values: list[float]) -> float:
    """Sum of squared differences over all ordered pairs: 2·n·Σ(x - mean)²."""
    mean = fmean(values)
    return 2 * len(values) * math.fsum((value - mean) ** 2 for value in values)


def _nominal_pairs(values: list[float]) -> float:
    """Number of ordered pairs with different values: n² - Σ n_c²."""
    counts = Counter(values)
    return float(len(values) ** 2 - sum(count * count for count in counts.values()))


# ----- sessions ----------------------------------------------------------------------------------------------------


def create_session(name: str, record_ids: list[int], grader_ids: list[int], *, by: User) -> CalibrationSession:
    """A session in which every grader grades every record.

    Graders are supervisors, trainers or administrators; a supervisor grader must be able to see every record
    (their team's), and the creator must see them too.
    """
    require(by.role in CALIBRATION_ROLES, "Supervisors, trainers and administrators run calibration sessions.")
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_l("Name the session.")]
    record_ids = list(dict.fromkeys(record_ids or []))
    grader_ids = list(dict.fromkeys(grader_ids or []))
    records = {record.id: record for record in db.session.scalars(sa.select(Record).where(Record.id.in_(record_ids)))}
    graders = {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(grader_ids)))}
    if not record_ids:
        errors["record_ids"] = [_l("Choose at least one record.")]
    elif len(record_ids) > MAX_RECORDS:
        errors["record_ids"] = [_l("At most %(num)s records per session.", num=MAX_RECORDS)]
    else:
        unknown = [str(rid) for rid in record_ids if rid not in records or not can_view_record(by, records[rid])]
        if unknown:
            errors["record_ids"] = [_l("Unknown records: %(numbers)s.", numbers=", ".join(unknown))]
    grader_errors = []
    if len(grader_ids) < MIN_GRADERS:
        grader_errors.append(_l("At least %(num)s different graders.", num=MIN_GRADERS))
    elif len(grader_ids) > MAX_GRADERS:
        grader_errors.append(_l("At most %(num)s graders per session.", num=MAX_GRADERS))
    for grader_id in grader_ids:
        grader = graders.get(grader_id)
        if grader is None or not grader.active:
            grader_errors.append(_l("There is no active user %(id)s.", id=grader_id))
        elif grader.role not in CALIBRATION_ROLES:
            grader_errors.append(
                _l(
                    "%(name)s is %(role)s; graders are supervisors, trainers or administrators.",
                    name=grader.username,
                    role=grader.role.label_lazy(),
                )
            )
        elif "record_ids" not in errors:
            hidden = [records[rid].number for rid in record_ids if not can_view_record(grader, records[rid])]
            if hidden:
                grader_errors.append(
                    _l("%(name)s may not see %(numbers)s.", name=grader.username, numbers=", ".join(hidden))
                )
    if grader_errors:
        errors["grader_ids"] = grader_errors
    if errors:
        raise ValidationError(errors)
    session = CalibrationSession(name=name, record_ids=record_ids, grader_ids=grader_ids, created_by_id=by.id)
    db.session.add(session)
    db.session.flush()
    audit.log(by, "calibration.create", session, records=len(record_ids), graders=len(grader_ids))
    return session


def record_ids_for(numbers: list[str]) -> list[int]:
    """Record ids for record numbers, in the given order; unknown numbers are a validation error."""
    found = dict(db.session.execute(sa.select(Record.number, Record.id).where(Record.number.in_(numbers))).all())
    unknown = [number for number in numbers if number not in found]
    if unknown:
        raise ValidationError({"record_numbers": [_l("Unknown records: %(numbers)s.", numbers=", ".join(unknown))]})
    return [found[number] for number in numbers]


def user_ids_for(usernames: list[str]) -> list[int]:
    found = dict(db.session.execute(sa.select(User.username, User.id).where(User.username.in_(usernames))).all())
    unknown = [username for username in usernames if username not in found]
    if unknown:
        raise ValidationError({"grader_usernames": [_l("Unknown users: %(names)s.", names=", ".join(unknown))]})
    return [found[username] for username in usernames]


def can_view_session(user: User, session: CalibrationSession) -> bool:
    """Administrators, trainers, the session's creator and its graders."""
    return user.role in (Role.ADMIN, Role.TRAINER) or user.id == session.created_by_id or user.id in session.grader_ids


def get_session(session_id: int, viewer: User) -> CalibrationSession:
    session = db.session.get(CalibrationSession, session_id) if row_id(session_id) else None
    if session is None:
        raise NotFound(f"No calibration session {session_id}.")
    require(can_view_session(viewer, session), "Only the session's graders and its creator see it.")
    return session


def session_record(session: CalibrationSession, record: Record) -> Record:
    if record.id not in session.record_ids:
        raise ValidationError({"record": [f"{record.number} is not part of this session."]})
    return record


# ----- the report --------------------------------------------------------------------------------------------------


def _rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def calibration_report(session: CalibrationSession) -> dict[str, Any]:
    """How alike the graders graded, per criterion and overall, with and without the automatic score as one more
    coder; each grader's mean score and distance from the automatic score; the most disputed records/criteria."""
    graders = {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(session.grader_ids)))}
    grader_ids = [grader_id for grader_id in session.grader_ids if grader_id in graders]
    records = {
        record.id: record for record in db.session.scalars(sa.select(Record).where(Record.id.in_(session.record_ids)))
    }
    record_ids = [record_id for record_id in session.record_ids if record_id in records]
    grades: dict[tuple[int, int], Grade] = {}
    for grade in session.grades:
        grades[(grade.grader_id, grade.record_id)] = grade
    autos = {record_id: record_score(records[record_id]) for record_id in record_ids}

    definition = newest_rubric().definition
    scales = {criterion["key"]: float(criterion["scale"]) for criterion in definition["criteria"]}
    names = {
        criterion["key"]: {"zh": criterion.get("zh", criterion["key"]), "en": criterion.get("en", criterion["key"])}
        for criterion in definition["criteria"]
    }
    graded_keys = {key for grade in grades.values() for key in grade.points}
    keys = [key for key in scales if key in graded_keys] + sorted(graded_keys - scales.keys())

    def points_matrix(key: str) -> list[list[float | None]]:
        return [[grades[(g, r)].points.get(key) if (g, r) in grades else None for r in record_ids] for g in grader_ids]

    criteria = []
    disagreements = []
    for key in keys:
        matrix = points_matrix(key)
        auto_row = [autos[r].points.get(key) for r in record_ids]
        criteria.append(
            {
                "key": key,
                "name": names.get(key, {"zh": key, "en": key}),
                "alpha": _rounded(krippendorff_alpha(matrix)),
                "alpha_with_auto": _rounded(krippendorff_alpha([*matrix, auto_row])),
                "records": sum(1 for column in zip(*matrix, strict=True) if _count(column) >= 2),
            }
        )
        scale = scales.get(key) or max((v for row in matrix for v in row if v is not None), default=1.0) or 1.0
        for index, record_id in enumerate(record_ids):
            disagreements.append(
                _disagreement(
                    records[record_id], key, [row[index] for row in matrix], scale, auto_row[index], grader_ids
                )
            )

    score_matrix = [[grades[(g, r)].score if (g, r) in grades else None for r in record_ids] for g in grader_ids]
    auto_scores = [autos[r].score for r in record_ids]
    for index, record_id in enumerate(record_ids):
        disagreements.append(
            _disagreement(
                records[record_id], None, [row[index] for row in score_matrix], 100.0, auto_scores[index], grader_ids
            )
        )

    per_grader = []
    for grader_id, row in zip(grader_ids, score_matrix, strict=True):
        given = [(score, auto) for score, auto in zip(row, auto_scores, strict=True) if score is not None]
        per_grader.append(
            {
                "grader_id": grader_id,
                "username": graders[grader_id].username,
                "graded": len(given),
                "mean_score": _rounded(fmean(score for score, _ in given) if given else None, 1),
                "mean_abs_diff_from_auto": _rounded(fmean(abs(s - a) for s, a in given) if given else None, 1),
            }
        )

    disagreements = [item for item in disagreements if item is not None and item["spread"] > 0]
    disagreements.sort(key=lambda item: (-item["spread"], item["record_id"], item["criterion"] or ""))
    return {
        "records": len(record_ids),
        "graders": len(grader_ids),
        "grades": len(grades),
        "complete": len(grades) >= len(record_ids) * len(grader_ids),
        "score": {
            "alpha": _rounded(krippendorff_alpha(score_matrix)),
            "alpha_with_auto": _rounded(krippendorff_alpha([*score_matrix, auto_scores])),
            "records": sum(1 for column in zip(*score_matrix, strict=True) if _count(column) >= 2),
        },
        "criteria": criteria,
        "per_grader": per_grader,
        "disagreements": disagreements[:DISAGREEMENT_LIMIT],
    }


def scores_hidden(session: CalibrationSession, viewer: User, report: dict[str, Any]) -> bool:
    """A grader of an open session sees nobody else's scores until every grader has graded every record: knowing
    them first would pull their own grades towards the others' and hide the disagreement calibration is to find."""
    return viewer.id in session.grader_ids and session.closed_at is None and not report["complete"]


def calibration_report_for(session: CalibrationSession, viewer: User) -> dict[str, Any]:
    """The session's report as `viewer` may see it: without scores, alphas and disagreements while they are hidden
    from a grader (scores_hidden); how many grades are in is always shown."""
    report = calibration_report(session)
    if not scores_hidden(session, viewer, report):
        return {**report, "hidden": False}
    return {
        "records": report["records"],
        "graders": report["graders"],
        "grades": report["grades"],
        "complete": False,
        "hidden": True,
        "score": {"alpha": None, "alpha_with_auto": None, "records": report["score"]["records"]},
        "criteria": [{**item, "alpha": None, "alpha_with_auto": None} for item in report["criteria"]],
        "per_grader": [
            {**row, "mean_score": None, "mean_abs_diff_from_auto": None} if row["grader_id"] != viewer.id else row
            for row in report["per_grader"]
        ],
        "disagreements": [],
    }


def _count(column: Sequence[float | None]) -> int:
    return sum(1 for value in column if value is not None)


def _disagreement(
    record: Record,
    key: str | None,
    values: list[float | None],
    scale: float,
    auto: float | None,
    grader_ids: list[int],
) -> dict[str, Any] | None:
    """How far apart the graders are on one record (one criterion, or the score when `key` is None), as a share
    of the scale so criteria with different scales compare."""
    given = [value for value in values if value is not None]
    if len(given) < 2:
        return None
    return {
        "record_id": record.id,
        "record_number": record.number,
        "criterion": key,
        "spread": round((max(given) - min(given)) / scale, 3),
        "points": {str(g): value for g, value in zip(grader_ids, values, strict=True) if value is not None},
        "auto": auto,
    }
