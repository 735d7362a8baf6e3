"""The SLA worklist page with its bulk actions, reassigning one record, and the notifications (the bell)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from records.access import NotFound
from records.assignment import assign_record, can_assign, resolve_user
from records.db import db
from records.enums import Role
from records.importing import flatten_messages
from records.models import Team, User
from records.notifications import list_notifications, mark_all_read, mark_read, notifications_to_dicts, unread_count
from records.operations import get_record_for
from records.timeutil import format_local, utcnow
from records.worklist import WORKLIST_ROLES, WorklistFilters, bulk_apply, worklist
from records.worklist_schemas import BulkInputSchema, WorklistQuerySchema
from web.auth import STAFF, roles_required, signed_in_user
from web.pages.common import current_user_required
from web.pages.paging import Paging

bp = Blueprint("worklist_pages", __name__)

#: Query parameters of the worklist's filter form, as WorklistQuerySchema names them.
FILTER_PARAMS = ("team", "agent", "priority", "kind", "overdue", "sort")


def handler_choices(user: User) -> list[User]:
    """Who the user may pick as a handler: the active agents and supervisors of their team (administrators: every
    team's, and administrators)."""
    query = sa.select(User).where(User.active.is_(True)).order_by(User.display_name, User.username)
    if user.role == Role.ADMIN:
        query = query.where(User.role.in_((Role.AGENT, Role.SUPERVISOR, Role.ADMIN)))
    elif user.team_id is not None:
        query = query.where(User.role.in_((Role.AGENT, Role.SUPERVISOR)), User.team_id == user.team_id)
    else:
        query = query.where(User.id == user.id)
    return list(db.session.scalars(query))


def load_filters(raw: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The filters as WorklistQuerySchema loads them; invalid ones are dropped and reported, not fatal."""
    try:
        return WorklistQuerySchema().load(raw), []
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {}
        errors = [message for _key, message in flatten_messages(messages)]
        kept = {key: value for key, value in raw.items() if key not in messages}
        try:
            return WorklistQuerySchema().load(kept), errors
        except ValidationError:
            return WorklistQuerySchema().load({}), errors


@bp.get("/worklist")
@roles_required(*WORKLIST_ROLES)
def worklist_page():
    user = current_user_required()
    filter_args = {name: request.args[name].strip() for name in FILTER_PARAMS if request.args.get(name, "").strip()}
    loaded, filter_errors = load_filters(filter_args)
    filters = WorklistFilters(**{key: loaded[key] for key in WorklistFilters.__dataclass_fields__ if key in loaded})
    try:
        listed = worklist(user, filters, now=utcnow())
    except ValidationError as exc:  # an unknown team or person typed into the URL
        filter_errors.extend(message for _key, message in flatten_messages(exc.messages))
        for key in exc.messages:
            filter_args.pop(key, None)
            setattr(filters, key, None)
        listed = worklist(user, filters, now=utcnow())
    paging = Paging.asked(request.args.get("page"))
    start = (paging.number - 1) * paging.size
    teams = list(db.session.scalars(sa.select(Team.name).order_by(Team.name))) if user.role == Role.ADMIN else []
    return render_template(
        "worklist/list.html",
        rows=listed.items[start : start + paging.size],
        total=len(listed.items),
        team_counts=listed.team_counts,
        **paging.template_args(len(listed.items)),
        filter_args=filter_args,
        filter_errors=filter_errors,
        teams=teams,
        people=handler_choices(user) if user.role != Role.AGENT else [],
        may_reassign=user.role in (Role.SUPERVISOR, Role.ADMIN),
        assignees=handler_choices(user),
        back=request.full_path if request.query_string else request.path,
    )


def safe_back(target: str | None) -> str:
    if target and target.startswith("/worklist") and "//" not in target:
        return target
    return url_for("worklist_pages.worklist_page")


@bp.post("/worklist/bulk")
@roles_required(*WORKLIST_ROLES)
def bulk_action():
    user = current_user_required()
    form = request.form
    action = form.get("action", "")
    raw: dict[str, Any] = {"records": form.getlist("record"), "action": action}
    if action == "reassign":
        raw["assignee"] = form.get("assignee", "")
    elif action == "priority":
        if form.get("priority"):
            raw["priority"] = form["priority"]
    elif action == "follow_up":
        follow_up = {
            key: form.get(f"follow_up_{key}", "").strip()
            for key in ("action", "owner", "owner_user", "due")
            if form.get(f"follow_up_{key}", "").strip()
        }
        if follow_up:
            raw["follow_up"] = follow_up
    try:
        data = BulkInputSchema().load(raw)
        params = {
            "reassign": {"assignee": data.get("assignee")},
            "priority": {"priority": data.get("priority")},
            "follow_up": data.get("follow_up") or {},
        }[data["action"]]
        outcome = bulk_apply(user, data["records"], data["action"], params)
    except ValidationError as exc:
        db.session.rollback()
        for key, message in flatten_messages(exc.messages):
            nothing_ticked = key == "records" and not raw["records"]
            flash(_("Tick the records to change first.") if nothing_ticked else message, "danger")
        return redirect(safe_back(form.get("back")))
    db.session.commit()
    if outcome.done:
        flash(
            _("Done for %(count)d record(s): %(numbers)s", count=len(outcome.done), numbers=", ".join(outcome.done)),
            "success",
        )
    for reference, reason in outcome.refused:
        flash(_("%(record)s not changed: %(reason)s", record=reference, reason=reason), "warning")
    return redirect(safe_back(form.get("back")))


@bp.post("/records/<ref>/assign")
@roles_required(*WORKLIST_ROLES)
def assign_page(ref: str):
    user = current_user_required()
    record = get_record_for(user, ref)
    try:
        assignee = resolve_user(request.form.get("assignee", ""))
        changed = assign_record(record, assignee, by=user)
    except ValidationError as exc:
        db.session.rollback()
        for _key, message in flatten_messages(exc.messages):
            flash(message, "danger")
        return redirect(url_for("record_pages.record_detail", ref=record.number))
    db.session.commit()
    if changed:
        who = assignee.display_name if assignee else record.agent.display_name
        flash(_("Record %(number)s is now handled by %(name)s.", number=record.number, name=who), "success")
    else:
        flash(_("Nothing changed."), "info")
    return redirect(url_for("record_pages.record_detail", ref=record.number))


def may_assign_on_page(user: User, record) -> bool:
    return can_assign(user, record) and record.archived_at is None


# ----- notifications -------------------------------------------------------------------------------------------------


@bp.get("/notifications")
@roles_required(*STAFF)
def notifications_page():
    user = current_user_required()
    unread_only = request.args.get("unread") == "1"
    paging = Paging.asked(request.args.get("page"))
    items, total = list_notifications(user, db.session, unread=unread_only, page=paging.number, per_page=paging.size)
    shown = [
        {**row, "created_local": format_local(item.created_at)}
        for item, row in zip(items, notifications_to_dicts(items, user, db.session), strict=True)
    ]
    return render_template(
        "worklist/notifications.html",
        items=shown,
        total=total,
        unread_only=unread_only,
        **paging.template_args(total),
    )


@bp.post("/notifications/<int:notification_id>/read")
@roles_required(*STAFF)
def read_notification(notification_id: int):
    user = current_user_required()
    try:
        notification = mark_read(user, db.session, notification_id)
    except NotFound:
        flash(_("No such notification."), "warning")
        return redirect(url_for("worklist_pages.notifications_page"))
    db.session.commit()
    if request.form.get("open") and notification.record is not None:
        return redirect(url_for("record_pages.record_detail", ref=notification.record.number))
    return redirect(
        url_for("worklist_pages.notifications_page", **({"unread": "1"} if request.form.get("unread") else {}))
    )


@bp.post("/notifications/read-all")
@roles_required(*STAFF)
def read_all_notifications():
    marked = mark_all_read(current_user_required(), db.session)
    db.session.commit()
    flash(_("%(count)d notification(s) marked read.", count=marked), "success")
    return redirect(url_for("worklist_pages.notifications_page"))


def unread_notifications() -> dict[str, Any]:
    """The bell's count, for every staff page (one COUNT on an index)."""
    user = signed_in_user()
    if user is None or user.role not in STAFF:
        return {"unread_notifications": 0}
    try:
        return {"unread_notifications": unread_count(user, db.session)}
    except sa.exc.SQLAlchemyError:
        # An error page about the database itself must still render; the bell then shows no count.
        return {"unread_notifications": 0}
