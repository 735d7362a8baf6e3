"""Grading pages: supervisors grade records on the rubric, agents dispute their grades and supervisors resolve the
disputes. scoring.grading does the work; the views read the forms, call it and show the answers (the pages of the
grading API in web/api/grading.py). The blueprint `grading_pages` also holds the calibration and review-sample pages of
web.pages.calibration_pages, which share this module's forms, messages and record helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from records.access import PermissionDenied, is_scrubbed_viewer
from records.anonymising import trainer_anonymiser
from records.db import db
from records.enums import Role
from records.masking import mask_text
from records.models import Record, User
from records.operations import get_record_for
from records.presenting import record_to_dict
from records.timeutil import format_local, utcnow
from scoring.engine import critical_cap, newest_rubric
from scoring.grading import (
    GRADER_ROLES,
    applicable_criteria,
    can_grade,
    dispute_grade,
    effective_score,
    get_dispute,
    get_grade,
    grade_record,
    grades_for,
    list_disputes,
    resolve_dispute,
    supervises,
)
from scoring.models import Dispute, DisputeStatus, Grade
from scoring.operations import scorecard
from scoring.sampling import SAMPLER_ROLES
from scoring.schemas import DisputeInputSchema, GradeInputSchema, ResolveInputSchema
from web.auth import STAFF, roles_required
from web.pages.common import current_user_required
from web.pages.display import is_chinese_ui, ui_locale
from web.pages.forms import PageForm, form_errors
from web.pages.record_forms import field_labels

bp = Blueprint("grading_pages", __name__)

#: Who takes part in disputes: the record's agent and the team's supervisors (administrators any).
DISPUTE_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
DISPUTE_BADGES = {"open": "text-bg-warning", "upheld": "text-bg-secondary", "changed": "text-bg-success"}
#: Service field names → the form inputs that hold them.
INPUT_FOR_KEY = {"record_ids": "record_numbers", "grader_ids": "grader_usernames", "date_from": "from", "date_to": "to"}


@bp.app_template_global()
def dispute_status_label(value: str | None) -> str:
    return DisputeStatus(value).label(ui_locale()) if value else ""


@bp.app_template_global()
def dispute_status_badge(value: str | None) -> str:
    return DISPUTE_BADGES.get(str(value or ""), "text-bg-light")


def text_language() -> str:
    """Which of a criterion's texts ("zh"/"en") the UI shows."""
    return "zh" if is_chinese_ui() else "en"


def labels() -> dict[str, str]:
    return {
        "comment": _("Comment"),
        "reason": _("Reason"),
        "note": _("Note to the agent"),
        "outcome": _("Decision"),
        "points": _("Points"),
        "grade": _("Grade"),
        "dispute": _("Dispute"),
        "calibration": _("Calibration session"),
        "name": _("Session name"),
        "record_numbers": _("Record numbers"),
        "grader_usernames": _("Graders"),
        "agent": _("Agent"),
        "team": _("Team"),
        "from": _("From"),
        "to": _("To"),
        "per_agent": _("Records per agent"),
        "lowest": _("Lowest scores first"),
        "seed": _("Seed"),
        "status": _("Dispute status"),
    }


# ----- forms -------------------------------------------------------------------------------------------------------


class GradingForm(PageForm):
    """A grading, dispute, calibration or review-sample form."""

    def labels(self) -> dict[str, str]:
        return labels()


def grading_input(key: str) -> str:
    """The input behind an error key: a criterion's points ("points.core_fields") are in "points-core_fields"."""
    head, _dot, rest = key.partition(".")
    return f"points-{rest.split('.')[0]}" if head == "points" and rest else INPUT_FOR_KEY.get(head, head)


def text_field(name: str) -> str:
    # Browsers send textarea line breaks as CRLF.
    return request.form.get(name, "").replace("\r\n", "\n").strip()


def criteria_rows(record: Record) -> list[dict[str, Any]]:
    """The current rubric's criteria that apply to the record, as the points inputs show them."""
    lang = text_language()
    return [
        {
            "key": key,
            "name": criterion.get(lang, key),
            "scale": float(criterion["scale"]),
            "critical": bool(criterion.get("critical")),
        }
        for key, criterion in applicable_criteria(record, newest_rubric().definition).items()
    ]


def points_form(criteria: list[dict[str, Any]], points: dict[str, Any] | None, **values: Any) -> GradingForm:
    """A form with one points input per criterion, prefilled from `points` (blank where it has none)."""
    form = GradingForm(values=dict(values), extra_labels={f"points-{c['key']}": c["name"] for c in criteria})
    for criterion in criteria:
        value = (points or {}).get(criterion["key"])
        form.values[f"points-{criterion['key']}"] = "" if value is None else f"{value:g}"
    return form


def posted_points(criteria: list[dict[str, Any]], form: GradingForm) -> dict[str, Any]:
    """criterion key → the number typed; blank is None and anything else stays text, for the service to refuse."""
    points: dict[str, Any] = {}
    for criterion in criteria:
        raw = request.form.get(f"points-{criterion['key']}", "").strip()
        form.values[f"points-{criterion['key']}"] = raw
        try:
            points[criterion["key"]] = float(raw) if raw else None
        except ValueError:
            points[criterion["key"]] = raw
    return points


def checked_text(schema_field: str, value: str, schema: type) -> str:
    """The schema checks the length of a text; a blank one is left to the service, which says what is missing."""
    if value:
        schema(only=(schema_field,)).load({schema_field: value})
    return value


def save(action: Callable[[], str], message: str, refused: Callable[[dict[str, list[str]]], Any]):
    """Run a change: commit, flash and redirect (303) to where `action` says; or roll back and show the page again
    (422) with the messages next to the inputs and what was typed still in them."""
    try:
        location = action()
    except ValidationError as exc:
        db.session.rollback()
        return refused(form_errors(exc, input_for=grading_input))
    db.session.commit()
    flash(message, "success")
    return redirect(location, code=303)


def shown_record(record: Record, viewer: User) -> dict[str, Any]:
    """The record as this viewer may see it: masked, and scrubbed for trainers."""
    shown = record_to_dict(record, viewer=viewer)
    shown["contacted_local"] = format_local(record.contacted_at)
    shown["agent_name"] = record.agent.display_name
    return shown


def masked_for(viewer: User, record: Record, text: str | None) -> str | None:
    """A scorecard explanation masked like the record's free text: the checks quote that text ("问题描述不够具体：
    客户 138…"), personal data included; trainers also never see the customer's name."""
    if is_scrubbed_viewer(viewer):
        return trainer_anonymiser(record).text(text)
    return mask_text(text)


def grade_row(grade: Grade) -> dict[str, Any]:
    lang = text_language()
    names = {
        criterion["key"]: criterion.get(lang, criterion["key"]) for criterion in grade.rubric.definition["criteria"]
    }
    scales = {criterion["key"]: float(criterion["scale"]) for criterion in grade.rubric.definition["criteria"]}
    return {
        "id": grade.id,
        "grader": grade.grader.display_name,
        "score": grade.score,
        "comment": grade.comment,
        "created_local": format_local(grade.created_at),
        "calibration_id": grade.calibration_id,
        "points": [(names.get(key, key), value, scales.get(key)) for key, value in grade.points.items()],
        "dispute": grade.dispute,
    }


# ----- grading a record --------------------------------------------------------------------------------------------


@bp.get("/records/<ref>/grade")
@roles_required(*STAFF)
def grade_page(ref: str):
    user = current_user_required()
    record = get_record_for(user, ref)
    card = scorecard(record)
    criteria = criteria_rows(record)
    return render_grade_page(
        record, user, auto_points_form(card, criteria), GradingForm(), card=card, criteria=criteria
    )


def auto_points(card: dict[str, Any]) -> dict[str, float]:
    return {item["key"]: item["points"] for item in card["criteria"] if item["applicable"]}


def auto_points_form(card: dict[str, Any], criteria: list[dict[str, Any]]) -> GradingForm:
    """The grading form prefilled with the automatic points: a grader changes only what they disagree with."""
    return points_form(criteria, auto_points(card))


def render_grade_page(
    record: Record,
    user: User,
    form: GradingForm,
    dispute_form: GradingForm,
    *,
    card: dict[str, Any] | None = None,
    criteria: list[dict[str, Any]] | None = None,
    status: int = 200,
):
    card = card or scorecard(record)
    lang = text_language()
    effective = effective_score(record)
    grades = grades_for(record, user)
    body = render_template(
        "grading/grade.html",
        record=shown_record(record, user),
        record_labels=field_labels(),
        scrubbed=is_scrubbed_viewer(user),
        card=card,
        card_rows=[
            {
                **item,
                "name": item["name"].get(lang, item["key"]),
                "explanation": masked_for(user, record, (item["explanation"] or {}).get(lang)),
                "suggestion": (item["suggestion"] or {}).get(lang),
            }
            for item in card["criteria"]
        ],
        criteria=criteria if criteria is not None else criteria_rows(record),
        critical_cap=critical_cap(newest_rubric().definition),
        auto_points=auto_points(card),
        effective=effective,
        grades=[grade_row(grade) for grade in grades],
        may_grade=can_grade(user, record) and not effective["locked"],
        # Only the record's current grade can be disputed, once, by the agent who took the contact; never a final one.
        disputable_id=effective["grade_id"] if record.agent_id == user.id and not effective["locked"] else None,
        form=form,
        dispute_form=dispute_form,
        labels=labels(),
    )
    return body, status


@bp.post("/records/<ref>/grade")
@roles_required(*GRADER_ROLES)
def grade_record_page(ref: str):
    user = current_user_required()
    record = get_record_for(user, ref)
    criteria = criteria_rows(record)
    form = points_form(criteria, None, comment=text_field("comment"))
    points = posted_points(criteria, form)

    def action() -> str:
        comment = checked_text("comment", form.value("comment"), GradeInputSchema)
        grade_record(record, points, comment, by=user)
        return url_for("grading_pages.grade_page", ref=record.number)

    def refused(errors: dict[str, list[str]]):
        form.errors = errors
        return render_grade_page(record, user, form, GradingForm(), criteria=criteria, status=422)

    return save(action, _("Grade saved; it is now the record's score."), refused)


@bp.post("/grades/<int:grade_id>/dispute")
@roles_required(*DISPUTE_ROLES)
def dispute_grade_page(grade_id: int):
    user = current_user_required()
    grade = get_grade(grade_id)
    record = get_record_for(user, grade.record_id)
    dispute_form = GradingForm(values={"reason": text_field("reason")})

    def action() -> str:
        reason = checked_text("reason", dispute_form.value("reason"), DisputeInputSchema)
        dispute = dispute_grade(grade, reason, by=user)
        return url_for("grading_pages.dispute_detail", dispute_id=dispute.id)

    def refused(errors: dict[str, list[str]]):
        dispute_form.errors = errors
        card, criteria = scorecard(record), criteria_rows(record)
        form = auto_points_form(card, criteria)
        return render_grade_page(record, user, form, dispute_form, card=card, criteria=criteria, status=422)

    return save(action, _("Dispute sent; a supervisor of your team will decide."), refused)


# ----- disputes ----------------------------------------------------------------------------------------------------


@bp.get("/disputes")
@roles_required(*DISPUTE_ROLES)
def disputes_page():
    user = current_user_required()
    status = request.args.get("status", "").strip()
    filter_error = None
    if status and status not in DisputeStatus.values():
        filter_error, status = _("Unknown dispute status %(status)s; showing all.", status=status), ""
    disputes = list_disputes(user, status or None)
    return render_template(
        "grading/disputes.html",
        rows=[dispute_row(dispute) for dispute in disputes],
        status=status,
        statuses=[(value, dispute_status_label(value)) for value in DisputeStatus.values()],
        filter_error=filter_error,
    )


def dispute_row(dispute: Dispute) -> dict[str, Any]:
    grade = dispute.grade
    return {
        "id": dispute.id,
        "record_number": grade.record.number,
        "agent": dispute.agent.display_name,
        "grader": grade.grader.display_name,
        "score": grade.score,
        "status": dispute.status.value,
        "reason": dispute.reason,
        "created_local": format_local(dispute.created_at),
        "due_local": format_local(dispute.due_at),
        "overdue": dispute.status == DisputeStatus.OPEN and dispute.due_at is not None and utcnow() > dispute.due_at,
    }


def visible_dispute(dispute_id: int, user: User) -> Dispute:
    """The dispute for its agent, the team's supervisors and administrators."""
    dispute = get_dispute(dispute_id)
    if dispute.agent_id != user.id and not supervises(user, dispute.grade.record):
        raise PermissionDenied("Disputes are between the agent and the team's supervisors.")
    return dispute


@bp.get("/disputes/<int:dispute_id>")
@roles_required(*DISPUTE_ROLES)
def dispute_detail(dispute_id: int):
    user = current_user_required()
    dispute = visible_dispute(dispute_id, user)
    record = dispute.grade.record
    criteria = criteria_rows(record)
    form = points_form(criteria, dispute.grade.points, outcome="", note="")
    return render_dispute(dispute, user, form, criteria)


def render_dispute(dispute: Dispute, user: User, form: GradingForm, criteria: list[dict[str, Any]], *, status=200):
    record = dispute.grade.record
    body = render_template(
        "grading/dispute.html",
        dispute=dispute,
        row=dispute_row(dispute),
        grade=grade_row(dispute.grade),
        resolved_by=dispute.resolved_by.display_name if dispute.resolved_by else None,
        resolved_local=format_local(dispute.resolved_at),
        effective=effective_score(record),
        may_resolve=supervises(user, record)
        and dispute.status == DisputeStatus.OPEN
        and not (dispute.due_at is not None and utcnow() > dispute.due_at),
        locked=dispute.grade.locked_at is not None or (effective_score(record)["locked"]),
        criteria=criteria,
        critical_cap=critical_cap(newest_rubric().definition),
        form=form,
        labels=labels(),
    )
    return body, status


@bp.post("/disputes/<int:dispute_id>/resolve")
@roles_required(*SAMPLER_ROLES)
def resolve_dispute_page(dispute_id: int):
    user = current_user_required()
    dispute = visible_dispute(dispute_id, user)
    criteria = criteria_rows(dispute.grade.record)
    form = points_form(criteria, None, outcome=request.form.get("outcome", ""), note=text_field("note"))
    points = posted_points(criteria, form)
    outcome = form.value("outcome")

    def action() -> str:
        note = checked_text("note", form.value("note"), ResolveInputSchema)
        changed = outcome == DisputeStatus.CHANGED.value
        resolve_dispute(dispute, outcome, note, by=user, points=points if changed else None)
        return url_for("grading_pages.dispute_detail", dispute_id=dispute.id)

    def refused(errors: dict[str, list[str]]):
        form.errors = errors
        return render_dispute(dispute, user, form, criteria, status=422)

    message = _("Grade changed.") if outcome == DisputeStatus.CHANGED.value else _("Grade upheld.")
    return save(action, message, refused)
