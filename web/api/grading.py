"""Grades, disputes, calibration sessions and review samples.

Supervisors grade their team's records (administrators any); a grade overrides the automatic score, which is kept.
Agents see their own records' grades and dispute them; supervisors resolve. Calibration sessions let several
graders grade the same records and report how alike they read the rubric.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask_smorest import Blueprint

from records.access import require
from records.db import db
from records.enums import Role
from records.models import Record, User
from records.operations import get_record_for
from records.presenting import iso_utc, record_summary
from scoring.calibration import (
    CALIBRATION_ROLES,
    calibration_report_for,
    create_session,
    get_session,
    record_ids_for,
    session_record,
    user_ids_for,
)
from scoring.grading import (
    GRADER_ROLES,
    critical_failed,
    dispute_grade,
    effective_score,
    get_dispute,
    get_grade,
    grade_record,
    grades_for,
    list_disputes,
    resolve_dispute,
)
from scoring.models import CalibrationSession, Dispute, Grade
from scoring.operations import record_score
from scoring.sampling import SAMPLER_ROLES, review_period, review_sample, sample_agent_ids
from scoring.schemas import (
    CalibrationGradeInputSchema,
    CalibrationInputSchema,
    CalibrationOutSchema,
    DisputeInputSchema,
    DisputeListSchema,
    DisputeOutSchema,
    DisputeQuerySchema,
    GradeCreatedSchema,
    GradeInputSchema,
    RecordGradesSchema,
    ResolveInputSchema,
    ReviewSampleQuerySchema,
    ReviewSampleSchema,
)
from web.api.articles import current_user
from web.api.common import StaffView

blp = Blueprint(
    "grading",
    __name__,
    url_prefix="/api/v1",
    description="Supervisors' grades of records, agents' disputes, calibration sessions and review samples.",
)


def roles_only(*roles: Role, message: str) -> Callable:
    """403 for other roles, checked before the body is read so they learn nothing from 422s."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require(current_user().role in roles, message)
            return view(*args, **kwargs)

        return wrapper

    return decorator


graders_only = roles_only(*GRADER_ROLES, message="Supervisors and administrators grade records.")
supervisors_only = roles_only(*SAMPLER_ROLES, message="Supervisors and administrators do this.")


def person(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "username": user.username, "display_name": user.display_name}


def grade_dict(grade: Grade) -> dict[str, Any]:
    return {
        "id": grade.id,
        "record_id": grade.record_id,
        "record_number": grade.record.number,
        "grader": person(grade.grader),
        "rubric_version": grade.rubric.version,
        "points": grade.points,
        "score": grade.score,
        "critical_failed": critical_failed(grade),
        "comment": grade.comment,
        "calibration_id": grade.calibration_id,
        "created_at": iso_utc(grade.created_at),
        "dispute": {"id": grade.dispute.id, "status": grade.dispute.status.value} if grade.dispute else None,
        "auto_points": grade.auto_points,
        "agreement": grade.agreement,
        "locked_at": iso_utc(grade.locked_at),
    }


def dispute_dict(dispute: Dispute) -> dict[str, Any]:
    return {
        "id": dispute.id,
        "grade": grade_dict(dispute.grade),
        "agent": person(dispute.agent),
        "reason": dispute.reason,
        "status": dispute.status.value,
        "resolution_note": dispute.resolution_note,
        "resolved_by": person(dispute.resolved_by),
        "resolved_at": iso_utc(dispute.resolved_at),
        "due_at": iso_utc(dispute.due_at),
        "created_at": iso_utc(dispute.created_at),
        "effective": effective_score(dispute.grade.record),
    }


def session_dict(session: CalibrationSession) -> dict[str, Any]:
    records = {
        record.id: record for record in db.session.scalars(sa.select(Record).where(Record.id.in_(session.record_ids)))
    }
    graders = {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(session.grader_ids)))}
    return {
        "id": session.id,
        "name": session.name,
        "record_ids": session.record_ids,
        "records": [record_summary(records[rid]) for rid in session.record_ids if rid in records],
        "graders": [person(graders[uid]) for uid in session.grader_ids if uid in graders],
        "created_by": person(db.session.get(User, session.created_by_id) if session.created_by_id else None),
        "created_at": iso_utc(session.created_at),
        "closed_at": iso_utc(session.closed_at),
        "report": calibration_report_for(session, current_user()),
    }


def created(grade: Grade) -> dict[str, Any]:
    return {**grade_dict(grade), "effective": effective_score(grade.record)}


# ----- grades and disputes -----------------------------------------------------------------------------------------


@blp.route("/records/<string:ref>/grades")
class RecordGrades(StaffView):
    @blp.response(200, RecordGradesSchema)
    def get(self, ref: str):
        """A record's grades, newest first, and its effective score (the newest grade, else the automatic score).

        Agents see their own records' grades, without calibration grades."""
        user = current_user()
        record = get_record_for(user, ref)
        items = grades_for(record, user)
        return {
            "record_id": record.id,
            "record_number": record.number,
            "effective": effective_score(record),
            "items": [grade_dict(grade) for grade in items],
        }

    @graders_only
    @blp.arguments(GradeInputSchema)
    @blp.response(201, GradeCreatedSchema)
    def post(self, data: dict, ref: str):
        """Grade the record on the current rubric (supervisors of its team, administrators).

        Points for every criterion that applies to the record and only those; a failed critical criterion makes
        the score 0. Grading again adds a grade; the newest is the record's grade."""
        user = current_user()
        grade = grade_record(get_record_for(user, ref), data["points"], data.get("comment"), by=user)
        db.session.commit()
        return created(grade)


@blp.route("/grades/<int:grade_id>/dispute")
class DisputeGrade(StaffView):
    @roles_only(Role.AGENT, Role.SUPERVISOR, Role.ADMIN, message="Agents dispute the grades of their records.")
    @blp.arguments(DisputeInputSchema)
    @blp.response(201, DisputeOutSchema)
    def post(self, data: dict, grade_id: int):
        """Dispute the current grade of one of your records, saying why (agents; once per grade)."""
        user = current_user()
        grade = get_grade(grade_id)
        get_record_for(user, grade.record_id)
        dispute = dispute_grade(grade, data["reason"], by=user)
        db.session.commit()
        return dispute_dict(dispute)


@blp.route("/disputes")
class Disputes(StaffView):
    @blp.arguments(DisputeQuerySchema, location="query")
    @blp.response(200, DisputeListSchema)
    def get(self, args: dict):
        """Disputes, newest first: agents their own, supervisors their team's, administrators all."""
        return {"items": [dispute_dict(item) for item in list_disputes(current_user(), args.get("status"))]}


@blp.route("/disputes/<int:dispute_id>/resolve")
class ResolveDispute(StaffView):
    @supervisors_only
    @blp.arguments(ResolveInputSchema)
    @blp.response(200, DisputeOutSchema)
    def post(self, data: dict, dispute_id: int):
        """Uphold the grade or change it (`points` then grade the record anew); supervisors of the team and
        administrators. The note is shown to the agent."""
        user = current_user()
        dispute = get_dispute(dispute_id)
        get_record_for(user, dispute.grade.record_id)
        resolve_dispute(dispute, data["outcome"], data["note"], by=user, points=data.get("points"))
        db.session.commit()
        return dispute_dict(dispute)


# ----- calibration -------------------------------------------------------------------------------------------------


@blp.route("/calibrations")
class Calibrations(StaffView):
    @roles_only(*CALIBRATION_ROLES, message="Supervisors, trainers and administrators run calibration sessions.")
    @blp.arguments(CalibrationInputSchema)
    @blp.response(201, CalibrationOutSchema)
    def post(self, data: dict):
        """Start a calibration session: every grader grades every record (supervisors, trainers, administrators).

        Records by `record_ids` or `record_numbers`, graders by `grader_ids` or `grader_usernames`."""
        record_ids = data.get("record_ids") or record_ids_for(data.get("record_numbers", []))
        grader_ids = data.get("grader_ids") or user_ids_for(data.get("grader_usernames", []))
        session = create_session(data["name"], record_ids, grader_ids, by=current_user())
        db.session.commit()
        return session_dict(session)


@blp.route("/calibrations/<int:session_id>")
class CalibrationItem(StaffView):
    @blp.response(200, CalibrationOutSchema)
    def get(self, session_id: int):
        """The session with its agreement report (its graders, its creator, trainers and administrators)."""
        return session_dict(get_session(session_id, current_user()))


@blp.route("/calibrations/<int:session_id>/grades")
class CalibrationGrades(StaffView):
    @roles_only(*CALIBRATION_ROLES, message="Calibration graders are supervisors, trainers or administrators.")
    @blp.arguments(CalibrationGradeInputSchema)
    @blp.response(201, GradeCreatedSchema)
    def post(self, data: dict, session_id: int):
        """Grade one of the session's records as one of its graders; grading it again corrects your grade.

        Calibration grades never become the record's grade."""
        user = current_user()
        session = get_session(session_id, user)
        record = session_record(session, get_record_for(user, data["record"]))
        grade = grade_record(record, data["points"], data.get("comment"), by=user, calibration=session)
        db.session.commit()
        return created(grade)


# ----- review samples ----------------------------------------------------------------------------------------------


@blp.route("/review-sample")
class ReviewSample(StaffView):
    @supervisors_only
    @blp.arguments(ReviewSampleQuerySchema, location="query")
    @blp.response(200, ReviewSampleSchema)
    def get(self, args: dict):
        """Records to review per agent: the lowest automatic scores plus a random sample stratified by status and
        channel, none graded yet (supervisors for their team, administrators). `seed` makes it repeatable."""
        user = current_user()
        agent_ids = sample_agent_ids(user, agent=args.get("agent"), team=args.get("team"))
        start, end = review_period(args.get("date_from"), args.get("date_to"))
        sample = review_sample(
            agent_ids=agent_ids,
            start=start,
            end=end,
            per_agent=args["per_agent"],
            lowest=args["lowest"],
            seed=args.get("seed"),
        )
        agents = {agent.id: agent for agent in db.session.scalars(sa.select(User).where(User.id.in_(agent_ids)))}
        return {
            "start": iso_utc(start),
            "end": iso_utc(end),
            "items": [
                {
                    "agent": person(agents[agent_id]),
                    "records": [
                        {**record_summary(record), "auto_score": record_score(record).score} for record in records
                    ],
                }
                for agent_id, records in sample.items()
            ],
        }
