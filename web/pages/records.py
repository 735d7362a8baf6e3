"""Record pages: the list with filters, the record form (new and edit), the detail page, follow-up completion."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from records.access import (
    PermissionDenied,
    can_create_records,
    can_edit_record,
    can_reveal_record,
    is_scrubbed_viewer,
    require,
)
from records.assignment import assignment_history, handler
from records.customer_links import customer_rated
from records.customers import customer_history
from records.db import db
from records.enums import Role
from records.importing import flatten_messages
from records.models import Record, User
from records.operations import (
    LEGAL_HOLD_REASON_CHARS,
    RecordFilters,
    can_hold_record,
    clear_legal_hold,
    count_records_by_status,
    create_record,
    get_follow_up,
    get_record_for,
    list_records,
    set_legal_hold,
    update_follow_up,
    update_record,
)
from records.people import team_names
from records.presenting import customer_to_dict, may_reveal, record_to_dict, visible_related
from records.schemas import RecordInputSchema, RecordQuerySchema, RecordUpdateSchema
from records.timeutil import format_local
from records.versioning import StaleVersion, etag, require_version
from web.auth import RECORD_KEEPERS, STAFF, roles_required
from web.pages.article_reuse import link_articles_from_form, linked_articles_for, may_link_articles
from web.pages.common import current_user_required, history_row
from web.pages.customer_links import links_for_page
from web.pages.paging import Paging
from web.pages.record_forms import (
    RecordForm,
    blank_form,
    field_labels,
    form_from_record,
    read_form,
    record_form_errors,
    schema_input,
)
from web.pages.worklist import handler_choices, may_assign_on_page

bp = Blueprint("record_pages", __name__)

#: Query parameters of the list's filter form, as RecordQuerySchema names them.
FILTER_PARAMS = ("status", "channel", "category", "team", "agent", "from", "to", "q")


# ----- list --------------------------------------------------------------------------------------------------------


@bp.get("/records")
@roles_required(*STAFF)
def list_records_page():
    user = current_user_required()
    filter_args = {name: request.args[name].strip() for name in FILTER_PARAMS if request.args.get(name, "").strip()}
    query, filter_errors = load_query(filter_args, request.args.get("page", ""))
    may_see_archived = user.role in (Role.SUPERVISOR, Role.ADMIN)
    if may_see_archived and request.args.get("archived") == "1":
        filter_args["archived"] = "1"
    filters = replace(RecordFilters.from_args(query), archived="archived" in filter_args)
    paging = Paging.asked(query["page"])
    try:
        items, total = list_records(user, filters, page=paging.number, per_page=paging.size)
        counts = count_records_by_status(user, filters)
    except ValidationError as exc:  # an unknown category typed into the URL
        filter_errors.extend(message for _key, message in flatten_messages(exc.messages))
        filters = replace(filters, category=None, subcategory=None)
        items, total = list_records(user, filters, page=paging.number, per_page=paging.size)
        counts = count_records_by_status(user, filters)
    rows = [list_row(record, user) for record in items]
    return render_template(
        "records/list.html",
        rows=rows,
        total=total,
        counts=counts,
        **paging.template_args(total),
        filter_args=filter_args,
        filter_errors=filter_errors,
        teams=team_names() if user.role in (Role.ADMIN, Role.TRAINER) else [],
        show_agent_filter=user.role != Role.AGENT,
        may_create=can_create_records(user),
        may_see_archived=may_see_archived,
    )


def load_query(filter_args: dict[str, str], page: str) -> tuple[dict[str, Any], list[str]]:
    """The filters as RecordQuerySchema loads them; invalid ones are dropped and reported, not fatal."""
    raw: dict[str, Any] = dict(filter_args)
    if page.strip():
        raw["page"] = page.strip()
    try:
        return RecordQuerySchema().load(raw), []
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {}
        errors = [f"{key}: {message}" for key, message in flatten_messages(messages)]
        kept = {key: value for key, value in raw.items() if key not in messages}
        try:
            return RecordQuerySchema().load(kept), errors
        except ValidationError:
            return RecordQuerySchema().load({}), errors


def list_row(record: Record, viewer: User) -> dict[str, Any]:
    shown = record_to_dict(record, viewer=viewer)
    return {
        **shown,
        "contacted_local": format_local(record.contacted_at),
        "agent_name": record.agent.display_name,
    }


# ----- detail ------------------------------------------------------------------------------------------------------


@bp.get("/records/<ref>")
@roles_required(*STAFF)
def record_detail(ref: str):
    user = current_user_required()
    return render_detail(get_record_for(user, ref), user, revealed=False)


@bp.post("/records/<ref>/reveal")
@roles_required(*STAFF)
def reveal_record(ref: str):
    user = current_user_required()
    record = get_record_for(user, ref)
    revealed = may_reveal(user, record, True)
    db.session.commit()
    return render_detail(record, user, revealed=revealed)


def render_detail(record: Record, user: User, *, revealed: bool):
    shown = record_to_dict(record, viewer=user, revealed=revealed)
    shown["contacted_local"] = format_local(record.contacted_at)
    shown["agent_name"] = record.agent.display_name
    for note in shown["customer_notes"]:
        note["created_local"] = format_local(datetime.fromisoformat(note["created_at"].removesuffix("Z")))
    return render_template(
        "records/detail.html",
        record=shown,
        labels=field_labels(),
        scrubbed=is_scrubbed_viewer(user),
        may_edit=can_edit_record(user, record) and record.archived_at is None,
        archived_local=format_local(record.archived_at) if record.archived_at else None,
        legal_hold=record.legal_hold,
        # The reason is a supervisor's free text about the dispute; trainers see records without such context.
        legal_hold_reason=None if is_scrubbed_viewer(user) else record.legal_hold_reason,
        may_hold=can_hold_record(user, record),
        legal_hold_reason_chars=LEGAL_HOLD_REASON_CHARS,
        may_reveal=can_reveal_record(user, record) and not revealed,
        related=[history_row(other, user) for other in visible_related(record, user)],
        history=[
            history_row(earlier, user) for earlier in customer_history(record.customer, viewer=user, before=record)
        ],
        linked_articles=linked_articles_for(record, user),
        may_link_articles=may_link_articles(record, user),
        customer_links=links_for_page(record, user),
        customer_rated=customer_rated(record),
        handler_name=handler(record).display_name,
        assignment_history=assignment_history(record),
        may_assign=may_assign_on_page(user, record),
        assignees=handler_choices(user) if may_assign_on_page(user, record) else [],
    )


@bp.post("/records/<ref>/follow-ups/<int:follow_up_id>/done")
@roles_required(*RECORD_KEEPERS)
def complete_follow_up(ref: str, follow_up_id: int):
    user = current_user_required()
    record = get_record_for(user, ref)
    follow_up = get_follow_up(record, follow_up_id)
    try:
        update_follow_up(follow_up, {"done": True}, by=user)
    except ValidationError as exc:
        # E.g. the last open follow-up of a pending record: the record would break its own rule.
        db.session.rollback()
        for _label, message in RecordForm(errors=record_form_errors(exc)).summary():
            flash(message, "danger")
    else:
        db.session.commit()
        flash(_("Follow-up marked as done."), "success")
    return redirect(url_for("record_pages.record_detail", ref=ref))


@bp.post("/records/<ref>/legal-hold")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def hold_record(ref: str):
    user = current_user_required()
    record = get_record_for(user, ref)
    try:
        set_legal_hold(record, request.form.get("reason", ""), by=user)
    except ValidationError:
        db.session.rollback()
        flash(
            _("Give the reason for the legal hold (at most %(limit)d characters).", limit=LEGAL_HOLD_REASON_CHARS),
            "danger",
        )
    else:
        db.session.commit()
        flash(_("Record %(number)s is on legal hold: retention keeps it.", number=record.number), "success")
    return redirect(url_for("record_pages.record_detail", ref=record.number))


@bp.post("/records/<ref>/legal-hold/clear")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def release_record(ref: str):
    user = current_user_required()
    record = clear_legal_hold(get_record_for(user, ref), by=user)
    db.session.commit()
    flash(_("The legal hold on record %(number)s was lifted.", number=record.number), "success")
    return redirect(url_for("record_pages.record_detail", ref=record.number))


# ----- form --------------------------------------------------------------------------------------------------------


@bp.route("/records/new", methods=["GET", "POST"])
@roles_required(*RECORD_KEEPERS)
def new_record():
    user = current_user_required()
    if request.method == "GET":
        return render_form(blank_form(request.args), user, record=None)
    form = read_form(request.form, new=True)
    try:
        data = RecordInputSchema().load(schema_input(form, new=True))
        record = create_record(data, by=user)
    except ValidationError as exc:
        db.session.rollback()  # create_record may already have added a customer
        form.errors = record_form_errors(exc, with_rules=True)
        return render_form(form, user, record=None, status=422)
    except PermissionDenied as exc:
        db.session.rollback()
        if not form.value("agent"):
            raise
        form.errors = {"agent": [str(exc)]}  # recording for someone outside one's scope
        return render_form(form, user, record=None, status=422)
    # Articles the agent ticked among the suggestions: each counts as a reuse.
    link_articles_from_form(record, request.form.getlist("reuse_articles"), user)
    db.session.commit()
    flash(_("Record %(number)s saved.", number=record.number), "success")
    return redirect(url_for("record_pages.record_detail", ref=record.number))


@bp.route("/records/<ref>/edit", methods=["GET", "POST"])
@roles_required(*RECORD_KEEPERS)
def edit_record(ref: str):
    user = current_user_required()
    record = get_record_for(user, ref)
    require(can_edit_record(user, record), "You may not change this record.")
    if record.archived_at is not None:
        flash(
            _("Record %(number)s is archived under the retention policy and read-only.", number=record.number),
            "warning",
        )
        return redirect(url_for("record_pages.record_detail", ref=record.number))
    if request.method == "GET":
        # The form shows stored personal data unmasked, so opening it counts as a reveal (audit-logged).
        may_reveal(user, record, True, purpose="edit")
        db.session.commit()
        return render_form(form_from_record(record), user, record=record)
    form = read_form(request.form, new=False)
    try:
        # The version the form was opened at: a record saved by someone else since is not overwritten.
        require_version(record, request.form.get("row_version") or None)
        changes = RecordUpdateSchema().load(schema_input(form, new=False))
        changed = update_record(record, changes, by=user)
    except StaleVersion:
        db.session.rollback()
        # The input stays, with the current version: saving again, having read the warning, replaces the record.
        return render_form(form, user, record=record, status=409, changed_meanwhile=True)
    except ValidationError as exc:
        db.session.rollback()
        form.errors = record_form_errors(exc)
        # The version the form was opened at stays: a correction must not skip a change made meanwhile.
        return render_form(form, user, record=record, status=422, row_version=request.form.get("row_version"))
    linked = link_articles_from_form(record, request.form.getlist("reuse_articles"), user)
    db.session.commit()
    if changed or linked:
        flash(_("Record %(number)s saved.", number=record.number), "success")
    else:
        flash(_("Nothing changed."), "info")
    return redirect(url_for("record_pages.record_detail", ref=record.number))


def render_form(
    form: RecordForm,
    user: User,
    *,
    record: Record | None,
    status: int = 200,
    changed_meanwhile: bool = False,
    row_version: str | None = None,
):
    existing = None
    if record is not None:
        existing = {
            "number": record.number,
            "customer": customer_to_dict(record.customer, masked=True),
            "agent_name": record.agent.display_name,
            "team": record.team.name if record.team else None,
            "follow_ups": record_to_dict(record, viewer=user, revealed=True)["follow_ups"],
        }
    body = render_template(
        "records/form.html",
        form=form,
        labels=field_labels(),
        existing=existing,
        may_choose_agent=record is None and user.role in (Role.SUPERVISOR, Role.ADMIN),
        # Kept across a refused save, so ticked suggestions stay ticked.
        reuse_articles=request.form.getlist("reuse_articles") if request.method == "POST" else [],
        linked_article_ids=[article["id"] for article in linked_articles_for(record, user)] if record else [],
        row_version=row_version or (etag(record).strip('"') if record else None),
        changed_meanwhile=changed_meanwhile,
    )
    return body, status
