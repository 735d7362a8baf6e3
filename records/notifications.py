"""In-app reminders of SLA deadlines (the bell): which deadlines remind whom, once each, and reading them.

Before a deadline (SLA_REMINDER_LEAD_HOURS ahead; a follow-up on its due day) the record's handler is reminded — the
assignee, else the agent who took the contact; a follow-up's owner when a user owns it. When the deadline passes
unmet (a breach) the handler is reminded again and the supervisors of the record's team with them. Each user gets
each stage of each deadline once: the notifications table's unique key (user, deadline, stage) holds even when two
runs overlap. A deadline names its due moment, so a changed priority (a new deadline) reminds anew.
jobs.reminders runs this from the scheduler and mails the new reminders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records.access import NotFound, can_view_record
from records.assignment import handler_id
from records.db import row_id
from records.enums import Role
from records.masking import mask_text
from records.models import FollowUp, Notification, Record, User
from records.sla import DEADLINE_KINDS, OPEN_STATUSES, sla_breaches, sla_rules
from records.timeutil import format_local, local_day_start, to_local, utcnow

#: Hours before a respond or resolve deadline that its handler is reminded: the urgent priority's deadline is one
#: hour away from the contact, so an hour ahead is the most every priority can get. SLA_REMINDER_LEAD_HOURS overrides.
REMINDER_LEAD_HOURS = 1.0
#: Deadlines passed longer ago than this (days) remind nobody: on the first run after an upgrade the years of old
#: breaches would otherwise flood every inbox; they are on the worklist. SLA_REMINDER_WINDOW_DAYS overrides.
REMINDER_WINDOW_DAYS = 3
STAGES = ("soon", "due")
#: Deadline keys per IN (...) lookup: well under SQLite's limit of bound parameters.
LOOKUP_BATCH = 500


@dataclass(frozen=True)
class Reminder:
    user_id: int
    record_id: int
    kind: str
    stage: str
    deadline_key: str
    due: datetime
    details: dict[str, Any]


def _config(name: str, default: float) -> float:
    value = current_app.config.get(name) if has_app_context() else None
    try:
        return float(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}.") from None


def _supervisors(session: Session) -> dict[int, list[int]]:
    rows = session.execute(
        sa.select(User.team_id, User.id).where(
            User.role == Role.SUPERVISOR, User.active.is_(True), User.team_id.is_not(None)
        )
    )
    teams: dict[int, list[int]] = {}
    for team_id, user_id in rows:
        teams.setdefault(team_id, []).append(user_id)
    return teams


def due_reminders(session: Session, *, now: datetime) -> list[Reminder]:
    """Every reminder due at `now` (whether or not already sent)."""
    lead = timedelta(hours=_config("SLA_REMINDER_LEAD_HOURS", REMINDER_LEAD_HOURS))
    window = timedelta(days=_config("SLA_REMINDER_WINDOW_DAYS", REMINDER_WINDOW_DAYS))
    rules = sla_rules()
    longest = max((rule.hours(kind) or 0 for rule in rules.values() for kind in DEADLINE_KINDS), default=0)
    supervisors = _supervisors(session)
    active = set(session.scalars(sa.select(User.id).where(User.active.is_(True))))
    live = Record.archived_at.is_(None)
    handlers = dict(
        session.execute(
            sa.select(Record.id, handler_id()).where(
                live, Record.status.in_(OPEN_STATUSES), Record.contacted_at >= now - timedelta(hours=longest) - window
            )
        ).all()
    )
    reminders: list[Reminder] = []

    def remind(users: Iterable[int], **fields: Any) -> None:
        for user_id in dict.fromkeys(users):
            if user_id in active:
                reminders.append(Reminder(user_id=user_id, **fields))

    # Deadlines passed by now + lead and still unmet: those already passed are breaches, the others come soon.
    breaches = sla_breaches(
        session,
        now=now + lead,
        start=now - timedelta(hours=longest) - window,
        open_only=True,
        where=live,
        rules=rules,
    )
    for breach in breaches:
        if breach.due < now - window:
            continue
        stage = "due" if breach.due <= now else "soon"
        handler = handlers.get(breach.record_id, breach.agent_id)
        recipients = [handler, *(supervisors.get(breach.team_id, []) if stage == "due" else [])]
        remind(
            recipients,
            record_id=breach.record_id,
            kind=breach.kind,
            stage=stage,
            deadline_key=f"{breach.kind}:{breach.record_id}:{breach.due:%Y%m%d%H%M}",
            due=breach.due,
            details={"number": breach.number, "handler": handler},
        )
    today = to_local(now).date()
    rows = session.execute(
        sa.select(
            FollowUp.id, FollowUp.due, FollowUp.action, FollowUp.owner_id, Record.id, Record.number, Record.team_id
        )
        .join(Record, Record.id == FollowUp.record_id)
        .add_columns(handler_id())
        .where(
            live,
            FollowUp.done.is_(False),
            FollowUp.due <= today,
            FollowUp.due >= today - timedelta(days=window.days or 1),
        )
    )
    for follow_up_id, due_day, action, owner_id, record_id, number, team_id, record_handler in rows:
        stage = "soon" if due_day == today else "due"
        owner = owner_id or record_handler
        recipients = [owner, *(supervisors.get(team_id, []) if stage == "due" else [])]
        remind(
            recipients,
            record_id=record_id,
            kind="follow_up",
            stage=stage,
            deadline_key=f"follow_up:{follow_up_id}:{due_day:%Y%m%d}",
            due=local_day_start(due_day + timedelta(days=1)),
            details={"number": number, "handler": owner, "action": mask_text(action)[:200], "day": due_day.isoformat()},
        )
    return reminders


def create_notifications(session: Session, *, now: datetime | None = None) -> list[int]:
    """Store the reminders due at `now` not stored yet; returns the new notifications' ids. Commits each batch."""
    now = now or utcnow()
    reminders = due_reminders(session, now=now)
    if not reminders:
        return []
    deadline_keys = sorted({r.deadline_key for r in reminders})
    existing: set[tuple[int, str, str]] = set()
    for start in range(0, len(deadline_keys), LOOKUP_BATCH):
        existing.update(
            session.execute(
                sa.select(Notification.user_id, Notification.deadline_key, Notification.stage).where(
                    Notification.deadline_key.in_(deadline_keys[start : start + LOOKUP_BATCH])
                )
            ).all()
        )
    created = []
    for reminder in reminders:
        if (reminder.user_id, reminder.deadline_key, reminder.stage) in existing:
            continue
        notification = Notification(**reminder.__dict__, created_at=now)
        try:
            with session.begin_nested():
                session.add(notification)
        except IntegrityError:
            continue  # another run stored it meanwhile
        created.append(notification.id)
        existing.add((reminder.user_id, reminder.deadline_key, reminder.stage))
    session.commit()
    return created


# ----- reading -------------------------------------------------------------------------------------------------------


def unread_count(user: User, session: Session) -> int:
    query = sa.select(sa.func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    return int(session.scalar(query) or 0)


def list_notifications(
    user: User, session: Session, *, unread: bool = False, page: int = 1, per_page: int = 25
) -> tuple[list[Notification], int]:
    """The user's notifications, newest first."""
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(items), int(total)


def mark_read(user: User, session: Session, notification_id: int) -> Notification:
    key = row_id(notification_id)
    notification = session.get(Notification, key) if key is not None else None
    if notification is None or notification.user_id != user.id:
        raise NotFound(f"No notification {notification_id}.")
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()
    return notification


def mark_all_read(user: User, session: Session) -> int:
    result = session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    session.flush()
    return int(result.rowcount or 0)


def notification_text(notification: Notification, handler_name: str | None = None) -> str:
    """What the reminder says, in the language of the request (or of the forced locale, for mail)."""
    details = notification.details or {}
    number = details.get("number", "")
    due = details.get("day") if notification.kind == "follow_up" else format_local(notification.due)
    action = details.get("action") or ""
    messages = {
        ("respond", "soon"): _l("Record %(number)s needs its first response by %(due)s.", number=number, due=due),
        ("resolve", "soon"): _l("Record %(number)s must be resolved by %(due)s.", number=number, due=due),
        ("follow_up", "soon"): _l(
            "A follow-up of record %(number)s is due today: %(action)s", number=number, action=action
        ),
        ("respond", "due"): _l("Record %(number)s missed its response deadline (%(due)s).", number=number, due=due),
        ("resolve", "due"): _l("Record %(number)s missed its resolution deadline (%(due)s).", number=number, due=due),
        ("follow_up", "due"): _l(
            "A follow-up of record %(number)s is overdue (due %(due)s): %(action)s",
            number=number,
            due=due,
            action=action,
        ),
    }
    text = str(messages.get((notification.kind, notification.stage), number))
    if handler_name and details.get("handler") != notification.user_id:
        text += " " + str(_l("Handled by %(name)s.", name=handler_name))
    return text


def notifications_to_dicts(items: list[Notification], viewer: User, session: Session) -> list[dict[str, Any]]:
    """Notifications as the API and the page show them; the record is named only while the viewer may see it.

    Its text names the record, the follow-up's action and the handler: it is shown while the viewer may see the
    record or is a member of its team (who may own its follow-ups without seeing it); someone who left the team since
    reads a reminder that names nothing."""
    handler_ids = {item.details.get("handler") for item in items if item.details}
    names = dict(session.execute(sa.select(User.id, User.display_name).where(User.id.in_(handler_ids - {None}))).all())
    shown = []
    for item in items:
        visible = item.record is not None and can_view_record(viewer, item.record)
        named = visible or (
            item.record is not None and viewer.team_id is not None and viewer.team_id == item.record.team_id
        )
        text = (
            notification_text(item, names.get(item.details.get("handler")))
            if named
            else str(_l("A reminder about a record you may no longer see."))
        )
        shown.append(
            {
                "id": item.id,
                "kind": item.kind,
                "stage": item.stage,
                "record": item.record.number if visible else None,
                "due": item.due.isoformat(timespec="seconds") + "Z",
                "text": text,
                "created_at": item.created_at.isoformat(timespec="seconds") + "Z",
                "read": item.read_at is not None,
                "read_at": item.read_at.isoformat(timespec="seconds") + "Z" if item.read_at else None,
            }
        )
    return shown
