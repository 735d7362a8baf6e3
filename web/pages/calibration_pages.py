"""Calibration and review-sample pages, registered on the grading pages' blueprint (`grading_pages`): trainers and
supervisors set up calibration sessions in which every grader grades the same records, see the graders' agreement
(Krippendorff's alpha per criterion), and draw review samples of each agent's records. scoring.calibration and
scoring.sampling do the work; the forms, messages and record helpers are shared with web.pages.grading."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from records.access import PermissionDenied, is_scrubbed_viewer
from records.db import db
from records.models import Record, User
from records.operations import get_record_for
from records.timeutil import format_local, to_local
from scoring.calibration import (
    CALIBRATION_ROLES,
    calibration_report_for,
    can_view_session,
    create_session,
    get_session,
    record_ids_for,
    user_ids_for,
)
from scoring.engine import critical_cap, newest_rubric
from scoring.grading import can_grade, grade_record
from scoring.models import CalibrationSession, Grade
from scoring.operations import record_score
from scoring.sampling import SAMPLER_ROLES, review_period, review_sample, sample_agent_ids
from scoring.schemas import GradeInputSchema, ReviewSampleQuerySchema
from web.auth import roles_required
from web.pages.common import current_user_required
from web.pages.forms import form_errors
from web.pages.grading import (
    GradingForm,
    bp,
    checked_text,
    criteria_rows,
    grading_input,
    labels,
    points_form,
    posted_points,
    save,
    shown_record,
    text_field,
    text_language,
)
from web.pages.record_forms import field_labels

#: Krippendorff's bands (scoring/calibration.py): rely on alpha ≥ 0.8, tentative conclusions from 0.667.
RELIABLE_ALPHA = 0.8
TENTATIVE_ALPHA = 0.667
SAMPLE_FIELDS = ("agent", "team", "from", "to", "per_agent", "lowest", "seed")
#: Seeds the review sample draws when none is given: ReviewSampleQuerySchema's range.
SEED_LIMIT = 2**31


def lines(text: str) -> list[str]:
    return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))


# ----- calibration -------------------------------------------------------------------------------------------------


@bp.get("/calibrations")
@roles_required(*CALIBRATION_ROLES)
def calibrations_page():
    return render_calibrations(current_user_required(), GradingForm())


def render_calibrations(user: User, form: GradingForm, *, status: int = 200):
    sessions = db.session.scalars(sa.select(CalibrationSession).order_by(CalibrationSession.id.desc()))
    graded = dict(
        db.session.execute(
            sa.select(Grade.calibration_id, sa.func.count(Grade.id))
            .where(Grade.calibration_id.is_not(None))
            .group_by(Grade.calibration_id)
        ).all()
    )
    rows = [
        {
            "id": session.id,
            "name": session.name,
            "records": len(session.record_ids),
            "graders": len(session.grader_ids),
            "grades": graded.get(session.id, 0),
            "expected": len(session.record_ids) * len(session.grader_ids),
            "mine": user.id in session.grader_ids,
            "created_local": format_local(session.created_at),
            "closed": session.closed_at is not None,
        }
        for session in sessions
        if can_view_session(user, session)
    ]
    return render_template("grading/calibrations.html", rows=rows, form=form, labels=labels()), status


@bp.post("/calibrations")
@roles_required(*CALIBRATION_ROLES)
def create_calibration_page():
    user = current_user_required()
    form = GradingForm(
        values={name: text_field(name) for name in ("name", "record_numbers", "grader_usernames")},
    )

    def action() -> str:
        errors: dict[str, Any] = {}
        record_ids: list[int] = []
        grader_ids: list[int] = []
        limit = CalibrationSession.__table__.c.name.type.length
        if len(form.value("name")) > limit:
            errors["name"] = [f"Longer than maximum length {limit}."]
        try:
            record_ids = record_ids_for(lines(form.value("record_numbers")))
        except ValidationError as exc:
            errors.update(exc.messages)
        try:
            grader_ids = user_ids_for(lines(form.value("grader_usernames")))
        except ValidationError as exc:
            errors.update(exc.messages)
        if errors:
            raise ValidationError(errors)
        session = create_session(form.value("name"), record_ids, grader_ids, by=user)
        return url_for("grading_pages.calibration_detail", session_id=session.id)

    def refused(errors: dict[str, list[str]]):
        form.errors = errors
        return render_calibrations(user, form, status=422)

    return save(action, _("Calibration session created; every grader grades every record."), refused)


def alpha_band(alpha: float | None) -> tuple[str, str]:
    """What an alpha says, and the badge colour, in Krippendorff's bands."""
    if alpha is None:
        return _("not enough data"), "text-bg-light border"
    if alpha >= RELIABLE_ALPHA:
        return _("reliable"), "text-bg-success"
    if alpha >= TENTATIVE_ALPHA:
        return _("tentative"), "text-bg-warning"
    return _("low agreement"), "text-bg-danger"


@bp.get("/calibrations/<int:session_id>")
@roles_required(*CALIBRATION_ROLES)
def calibration_detail(session_id: int):
    user = current_user_required()
    session = get_session(session_id, user)
    report = calibration_report_for(session, user)
    records = {
        record.id: record for record in db.session.scalars(sa.select(Record).where(Record.id.in_(session.record_ids)))
    }
    graders = {
        person.id: person for person in db.session.scalars(sa.select(User).where(User.id.in_(session.grader_ids)))
    }
    mine = {grade.record_id: grade for grade in session.grades if grade.grader_id == user.id}
    per_record: dict[int, int] = {}
    for grade in session.grades:
        per_record[grade.record_id] = per_record.get(grade.record_id, 0) + 1
    lang = text_language()
    names = {item["key"]: item["name"].get(lang, item["key"]) for item in report["criteria"]}
    body = render_template(
        "grading/calibration.html",
        session=session,
        creator=db.session.get(User, session.created_by_id) if session.created_by_id else None,
        created_local=format_local(session.created_at),
        graders=[graders[grader_id] for grader_id in session.grader_ids if grader_id in graders],
        is_grader=user.id in session.grader_ids,
        records=[
            {
                "number": records[record_id].number,
                "status": records[record_id].status.value,
                "category": records[record_id].category,
                "subcategory": records[record_id].subcategory,
                "graded": per_record.get(record_id, 0),
                "mine": mine[record_id].score if record_id in mine else None,
                "may_grade": can_grade(user, records[record_id], session),
            }
            for record_id in session.record_ids
            if record_id in records
        ],
        report=report,
        criterion_names=names,
        usernames={str(grader_id): person.username for grader_id, person in graders.items()},
        alpha_band=alpha_band,
        reliable=RELIABLE_ALPHA,
        tentative=TENTATIVE_ALPHA,
    )
    return body


def session_record_for(session: CalibrationSession, user: User, ref: str) -> Record:
    record = get_record_for(user, ref)
    if record.id not in session.record_ids:
        abort(404, description=f"{record.number} is not part of this calibration session.")
    return record


@bp.get("/calibrations/<int:session_id>/records/<ref>")
@roles_required(*CALIBRATION_ROLES)
def calibration_grade_page(session_id: int, ref: str):
    user = current_user_required()
    session = get_session(session_id, user)
    record = session_record_for(session, user, ref)
    criteria = criteria_rows(record)
    earlier = next((g for g in session.grades if g.grader_id == user.id and g.record_id == record.id), None)
    form = points_form(criteria, earlier.points if earlier else None, comment=earlier.comment if earlier else "")
    return render_calibration_grade(session, record, user, form, criteria, earlier=earlier)


def render_calibration_grade(
    session: CalibrationSession,
    record: Record,
    user: User,
    form: GradingForm,
    criteria: list[dict[str, Any]],
    *,
    earlier: Grade | None = None,
    status: int = 200,
):
    numbers = dict(
        db.session.execute(sa.select(Record.id, Record.number).where(Record.id.in_(session.record_ids))).all()
    )
    position = session.record_ids.index(record.id)
    following = [numbers[rid] for rid in session.record_ids[position + 1 :] if rid in numbers]
    body = render_template(
        "grading/calibration_grade.html",
        session=session,
        record=shown_record(record, user),
        record_labels=field_labels(),
        scrubbed=is_scrubbed_viewer(user),
        criteria=criteria,
        critical_cap=critical_cap(newest_rubric().definition),
        may_grade=can_grade(user, record, session) and session.closed_at is None,
        earlier=earlier,
        next_number=following[0] if following else None,
        form=form,
        labels=labels(),
    )
    return body, status


@bp.post("/calibrations/<int:session_id>/records/<ref>")
@roles_required(*CALIBRATION_ROLES)
def calibration_grade_save(session_id: int, ref: str):
    user = current_user_required()
    session = get_session(session_id, user)
    record = session_record_for(session, user, ref)
    criteria = criteria_rows(record)
    form = points_form(criteria, None, comment=text_field("comment"))
    points = posted_points(criteria, form)

    def action() -> str:
        comment = checked_text("comment", form.value("comment"), GradeInputSchema)
        grade_record(record, points, comment, by=user, calibration=session)
        return url_for("grading_pages.calibration_detail", session_id=session.id)

    def refused(errors: dict[str, list[str]]):
        form.errors = errors
        return render_calibration_grade(session, record, user, form, criteria, status=422)

    return save(action, _("Calibration grade of %(number)s saved.", number=record.number), refused)


# ----- review sample -----------------------------------------------------------------------------------------------


@bp.get("/review-sample")
@roles_required(*SAMPLER_ROLES)
def review_sample_page():
    user = current_user_required()
    form = GradingForm(values={name: request.args.get(name, "").strip() for name in SAMPLE_FIELDS})
    defaults = ReviewSampleQuerySchema().fields
    for name in ("per_agent", "lowest"):
        form.values[name] = form.value(name) or str(defaults[name].load_default)
    samples: list[dict[str, Any]] | None = None
    period = permalink = None
    try:
        args = ReviewSampleQuerySchema().load({name: value for name, value in form.values.items() if value})
        agent_ids = sample_agent_ids(user, agent=args.get("agent"), team=args.get("team"))
        start, end = review_period(args.get("date_from"), args.get("date_to"))
        # Without a seed the random part differs on every visit; the link with the seed used shows this sample again.
        seed = args.get("seed", random.randrange(SEED_LIMIT))
        sample = review_sample(
            agent_ids=agent_ids,
            start=start,
            end=end,
            per_agent=args["per_agent"],
            lowest=args["lowest"],
            seed=seed,
        )
    except (ValidationError, PermissionDenied) as exc:
        db.session.rollback()
        form.errors = form_errors(exc, input_for=grading_input)
    else:
        agents = {agent.id: agent for agent in db.session.scalars(sa.select(User).where(User.id.in_(agent_ids)))}
        samples = [
            {"agent": agents[agent_id], "records": [sample_row(record) for record in records]}
            for agent_id, records in sample.items()
        ]
        # The period is [start, end): its last day is the one before `end`.
        period = (to_local(start).date(), to_local(end - timedelta(seconds=1)).date())
        shown = {name: value for name, value in form.values.items() if value and name != "seed"}
        permalink = url_for("grading_pages.review_sample_page", **shown, seed=seed)
    return render_template(
        "grading/review_sample.html", form=form, samples=samples, period=period, permalink=permalink, labels=labels()
    )


def sample_row(record: Record) -> dict[str, Any]:
    return {
        "number": record.number,
        "contacted_local": format_local(record.contacted_at),
        "channel": record.channel.value,
        "status": record.status.value,
        "category": record.category,
        "subcategory": record.subcategory,
        "auto_score": record_score(record).score,
    }
