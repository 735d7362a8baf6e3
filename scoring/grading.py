"""Supervisors' grades of records on the rubric, and agents' disputes of them.

A grade overrides the automatic score as the record's score but never replaces it: the automatic score is kept and
shown beside it. Grades are history: grading a record again adds a grade, and the newest grade outside calibration
sessions is the record's grade. Calibration grades (scoring/calibration.py) measure how alike graders read the
rubric and never count as a record's grade.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from records import audit
from records.access import NotFound, PermissionDenied, can_view_record, require
from records.db import db, row_id
from records.enums import Role
from records.models import Record, User
from records.timeutil import utcnow
from scoring.agreement import points_agreement
from scoring.engine import current_rubric, evaluate, weighted_score
from scoring.models import CalibrationSession, Dispute, DisputeStatus, Grade
from scoring.operations import record_score
from scoring.tuning import active_mapping

#: Roles that grade records outside calibration sessions (supervisors only their team's records).
GRADER_ROLES = (Role.SUPERVISOR, Role.ADMIN)
#: Roles that may grade inside a calibration session they are a grader of.
CALIBRATION_GRADER_ROLES = (Role.SUPERVISOR, Role.TRAINER, Role.ADMIN)
DISPUTE_OUTCOMES = (DisputeStatus.UPHELD.value, DisputeStatus.CHANGED.value)
#: The default of DISPUTE_DAYS: a week for the supervisor to rule.
DEFAULT_DISPUTE_DAYS = 7


def dispute_days() -> int:
    """Days a dispute stays open (DISPUTE_DAYS)."""
    days = current_app.config.get("DISPUTE_DAYS", DEFAULT_DISPUTE_DAYS) if has_app_context() else None
    return max(1, int(days or DEFAULT_DISPUTE_DAYS))


# ----- who grades --------------------------------------------------------------------------------------------------


def supervises(user: User, record: Record) -> bool:
    """Administrators, and supervisors of the record's team."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.SUPERVISOR and user.team_id is not None and record.team_id == user.team_id


def can_grade(user: User, record: Record, calibration: CalibrationSession | None = None) -> bool:
    """Outside calibration: supervisors their team's records, administrators any. Inside a session: its graders,
    for its records (trainers grade only there). Nobody grades a record they took themselves."""
    if record.agent_id == user.id:
        return False
    if calibration is not None:
        return (
            user.role in CALIBRATION_GRADER_ROLES
            and user.id in calibration.grader_ids
            and record.id in calibration.record_ids
        )
    return user.role in GRADER_ROLES and supervises(user, record)


# ----- grading -----------------------------------------------------------------------------------------------------


def applicable_criteria(record: Record, definition: dict) -> dict[str, dict]:
    """Criterion key → criterion of the rubric, for the criteria that apply to this record."""
    by_key = {criterion["key"]: criterion for criterion in definition["criteria"]}
    return {item.key: by_key[item.key] for item in evaluate(record, definition).criteria if item.applicable}


def validate_points(record: Record, definition: dict, points: Any) -> dict[str, float]:
    """Points for every applicable criterion and only those, each from 0 to the criterion's scale."""
    if not isinstance(points, dict):
        raise ValidationError({"points": ["Give points as an object: criterion key → number."]})
    criteria = applicable_criteria(record, definition)
    known = {criterion["key"] for criterion in definition["criteria"]}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, float] = {}
    for key, criterion in criteria.items():
        scale = float(criterion["scale"])
        if key not in points or points[key] is None:
            errors[key] = [_l("This criterion applies to the record; give 0 to %(scale)s points.", scale=f"{scale:g}")]
            continue
        value = points[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            errors[key] = [_l("Enter a number from 0 to %(scale)s.", scale=f"{scale:g}")]
        elif not 0 <= value <= scale:
            errors[key] = [_l("%(value)s is not from 0 to %(scale)s.", value=f"{value:g}", scale=f"{scale:g}")]
        else:
            cleaned[key] = float(value)
    for key in points:
        if key not in criteria:
            errors[str(key)] = [
                "Does not apply to this record; leave it out."
                if key in known
                else "Not a criterion of the current rubric; leave it out."
            ]
    if errors:
        raise ValidationError({"points": errors})
    return cleaned


def grade_record(
    record: Record,
    points: dict[str, float],
    comment: str | None,
    *,
    by: User,
    calibration: CalibrationSession | None = None,
) -> Grade:
    """Grade the record on the current rubric.

    Outside calibration every grading adds a grade (history); the newest is the record's grade. Inside a
    calibration session a grader has one grade per record: grading again corrects it.
    """
    if calibration is not None and calibration.closed_at is not None:
        raise ValidationError({"calibration": [_l("This calibration session is closed.")]})
    if calibration is not None:
        require(can_grade(by, record, calibration), "Only the session's graders grade its records.")
    else:
        require(
            can_grade(by, record),
            "Supervisors grade their own team's records and administrators any record; not one's own records.",
        )
    rubric = current_rubric()
    if calibration is None:
        current = current_grade(record)
        if current is not None and current.locked_at is not None:
            raise ValidationError(
                {"grade": [_l("A dispute's final ruling locked this record's grade; it can no longer be changed.")]}
            )
    cleaned = validate_points(record, rubric.definition, points)
    score, _ = weighted_score(rubric.definition, cleaned)
    # What the automatic score said at grading time, tuned as stored scores are and as the checks gave it: the
    # grade is then both a measure of agreement and a labelled example for the tuning (scoring.tuning).
    automatic = evaluate(record, rubric.definition, tuning=active_mapping()).criteria
    auto_points = {item.key: item.points for item in automatic if item.applicable and item.points is not None}
    check_points = {
        item.key: item.check_points if item.check_points is not None else item.points
        for item in automatic
        if item.applicable and item.points is not None
    }
    scales = {item.key: item.scale for item in automatic}
    comment = (comment or "").strip() or None
    grade = None
    if calibration is not None:
        grade = db.session.scalar(
            sa.select(Grade).where(
                Grade.calibration_id == calibration.id, Grade.record_id == record.id, Grade.grader_id == by.id
            )
        )
    if grade is None:
        grade = Grade(record=record, grader=by, calibration_id=calibration.id if calibration else None)
        db.session.add(grade)
    grade.rubric_id = rubric.id
    grade.points = cleaned
    grade.score = score
    grade.comment = comment
    grade.auto_points = auto_points
    grade.check_points = check_points
    grade.agreement = points_agreement(auto_points, cleaned, scales)
    grade.created_at = utcnow()
    db.session.flush()
    audit.log(
        by,
        "grade.create",
        record,
        grade_id=grade.id,
        score=score,
        calibration_id=calibration.id if calibration else None,
    )
    return grade


def critical_failed(grade: Grade) -> bool:
    return weighted_score(grade.rubric.definition, grade.points)[1]


def get_grade(grade_id: int) -> Grade:
    grade = db.session.get(Grade, grade_id) if row_id(grade_id) else None
    if grade is None:
        raise NotFound(f"No grade {grade_id}.")
    return grade


# ----- the record's grade, in Python and in SQL --------------------------------------------------------------------
# A record's grade is the newest one given outside calibration sessions (those grade the graders); it replaces the
# automatic score. Both forms of the rule are here, side by side; tests/scoring/test_rules.py checks that they agree.


def counts_for_record(grade: Grade) -> bool:
    """The grade may be the record's grade: it was given outside calibration sessions."""
    return grade.calibration_id is None


def counts_for_record_sql() -> sa.ColumnElement[bool]:
    """`counts_for_record` as a condition on Grade rows."""
    return Grade.calibration_id.is_(None)


def newest_record_grade(grades: Iterable[Grade]) -> Grade | None:
    """Of a record's grades, the one that replaces its automatic score: the newest (last given) that counts."""
    return max((grade for grade in grades if counts_for_record(grade)), key=lambda grade: grade.id, default=None)


def newest_record_grades_sql() -> sa.Subquery:
    """`newest_record_grade` of every graded record, as a subquery of (record_id, grade_id, score)."""
    newest = sa.select(sa.func.max(Grade.id)).where(counts_for_record_sql()).group_by(Grade.record_id)
    return (
        sa.select(Grade.record_id, Grade.id.label("grade_id"), Grade.score)
        .where(Grade.id.in_(newest.scalar_subquery()))
        .subquery("record_grades")
    )


def effective(auto: float | None, grade: Grade | None) -> float | None:
    """The score that counts: the record's grade if it has one, else its automatic score."""
    return grade.score if grade is not None else auto


def effective_sql(auto: sa.ColumnElement, grade_score: sa.ColumnElement) -> sa.ColumnElement:
    """`effective` over an automatic score column and the record's grade's score column (NULL when ungraded)."""
    return sa.func.coalesce(grade_score, auto)


def current_grade(record: Record) -> Grade | None:
    """The record's grade: the newest one given outside calibration sessions."""
    return db.session.scalar(
        sa.select(Grade).where(Grade.record_id == record.id, counts_for_record_sql()).order_by(Grade.id.desc()).limit(1)
    )


def grades_for(record: Record, viewer: User) -> list[Grade]:
    """The record's grades, newest first, for someone who may see the record (agents: their own records).

    Agents do not see calibration grades: those grade the graders, not the agent."""
    require(can_view_record(viewer, record), "You may not see this record.")
    query = sa.select(Grade).where(Grade.record_id == record.id).order_by(Grade.id.desc())
    if viewer.role == Role.AGENT:
        query = query.where(counts_for_record_sql())
    return list(db.session.scalars(query))


def effective_score(record: Record) -> dict[str, Any]:
    """The automatic score, the record's grade if it has one, and which of them counts (the grade)."""
    auto = record_score(record).score
    grade = current_grade(record)
    return {
        "auto": auto,
        "grade": grade.score if grade else None,
        "effective": effective(auto, grade),
        "grade_id": grade.id if grade else None,
        "graded_by": grade.grader.username if grade else None,
        "locked": grade is not None and grade.locked_at is not None,
    }


# ----- disputes ----------------------------------------------------------------------------------------------------


def dispute_grade(grade: Grade, reason: str, *, by: User) -> Dispute:
    """The record's agent disagrees with its grade; a supervisor of the team or an administrator resolves it."""
    require(grade.record.agent_id == by.id, "Only the agent who took the contact disputes its grade.")
    if not counts_for_record(grade):
        raise ValidationError(
            {"grade": [_l("Calibration grades do not count as the record's grade; they cannot be disputed.")]}
        )
    if grade.dispute is not None:
        raise ValidationError({"grade": [_l("This grade is already disputed.")]})
    if grade.locked_at is not None:
        raise ValidationError({"grade": [_l("This grade is final: a dispute's ruling locked it.")]})
    current = current_grade(grade.record)
    if current is None or current.id != grade.id:
        raise ValidationError({"grade": [_l("A newer grade replaced this one; dispute the record's current grade.")]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_l("Say why you disagree with the grade.")]})
    now = utcnow()
    dispute = Dispute(
        grade=grade,
        agent=by,
        reason=reason,
        status=DisputeStatus.OPEN,
        created_at=now,
        due_at=now + timedelta(days=dispute_days()),
    )
    db.session.add(dispute)
    db.session.flush()
    audit.log(by, "grade.dispute", grade.record, grade_id=grade.id, dispute_id=dispute.id)
    return dispute


def get_dispute(dispute_id: int) -> Dispute:
    dispute = db.session.get(Dispute, dispute_id) if row_id(dispute_id) else None
    if dispute is None:
        raise NotFound(f"No dispute {dispute_id}.")
    return dispute


def resolve_dispute(
    dispute: Dispute,
    outcome: str,
    note: str,
    *,
    by: User,
    points: dict[str, float] | None = None,
) -> Dispute:
    """Uphold the grade, or change it: `changed` grades the record anew (by the resolver) with `points`, and that
    grade becomes the record's grade. The disputed grade stays in the history."""
    record = dispute.grade.record
    require(supervises(by, record), "Supervisors of the record's team and administrators resolve disputes.")
    if dispute.status != DisputeStatus.OPEN:
        raise ValidationError(
            {"dispute": [_l("This dispute is already resolved: %(status)s.", status=dispute.status.label_lazy())]}
        )
    if dispute.due_at is not None and utcnow() > dispute.due_at:
        raise ValidationError(
            {
                "dispute": [
                    _l("This dispute closed unanswered after %(days)s days; the grade stands.", days=dispute_days())
                ]
            }
        )
    errors: dict[str, list[str]] = {}
    if outcome not in DISPUTE_OUTCOMES:
        errors["outcome"] = [_l("Choose whether the grade is upheld or changed.")]
    note = (note or "").strip()
    if not note:
        errors["note"] = [_l("Explain the decision to the agent.")]
    if outcome == DisputeStatus.CHANGED.value and points is None:
        errors["points"] = [_l("Changing the grade needs the new points.")]
    if outcome == DisputeStatus.UPHELD.value and points is not None:
        errors["points"] = [_l("An upheld grade keeps its points.")]
    if errors:
        raise ValidationError(errors)
    new_grade = None
    if outcome == DisputeStatus.CHANGED.value:
        new_grade = grade_record(record, points or {}, note, by=by)
    dispute.status = DisputeStatus(outcome)
    dispute.resolution_note = note
    dispute.resolved_by = by
    dispute.resolved_at = utcnow()
    # The ruling is final: the grade it leaves as the record's grade is locked.
    (new_grade or dispute.grade).locked_at = dispute.resolved_at
    db.session.flush()
    audit.log(
        by,
        "grade.dispute_resolve",
        record,
        dispute_id=dispute.id,
        outcome=outcome,
        new_grade_id=new_grade.id if new_grade else None,
    )
    return dispute


def close_overdue_disputes(now: datetime | None = None) -> int:
    """Close the open disputes past their deadline: the grade stands and is locked. Returns how many."""
    now = now or utcnow()
    overdue = db.session.scalars(
        sa.select(Dispute).where(
            Dispute.status == DisputeStatus.OPEN, Dispute.due_at.is_not(None), Dispute.due_at < now
        )
    ).all()
    for dispute in overdue:
        dispute.status = DisputeStatus.EXPIRED
        dispute.resolved_at = now
        dispute.grade.locked_at = now
        audit.log(None, "grade.dispute_expire", dispute.grade.record, dispute_id=dispute.id)
    db.session.flush()
    return len(overdue)


def list_disputes(viewer: User, status: DisputeStatus | str | None = None) -> list[Dispute]:
    """Agents see their own disputes, supervisors their team's, administrators all; newest first."""
    query = sa.select(Dispute).join(Dispute.grade).join(Grade.record).order_by(Dispute.id.desc())
    if viewer.role == Role.AGENT:
        query = query.where(Dispute.agent_id == viewer.id)
    elif viewer.role == Role.SUPERVISOR:
        query = query.where(Record.team_id == viewer.team_id) if viewer.team_id else query.where(sa.false())
    elif viewer.role != Role.ADMIN:
        raise PermissionDenied("Disputes are between agents and their supervisors.")
    if status is not None:
        try:
            query = query.where(Dispute.status == DisputeStatus(status))
        except ValueError as exc:
            raise ValidationError({"status": [f"One of: {', '.join(DisputeStatus.values())}."]}) from exc
    return list(db.session.scalars(query))
