"""The scheduler's SLA reminders: store the deadline notifications due now (records.notifications) and, when mail is
configured (MAIL_SERVER), mail each recipient one message with their new reminders.

A notification is mailed once: it is marked before sending and the mark is cleared if the send fails, so the next run
tries again (for a day; a reminder read in the app meanwhile is not mailed). Mail is in REPORT_LOCALE.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, ngettext
from sqlalchemy.orm import Session

from jobs.reports.mail import send
from jobs.reports.operations import report_locale
from records.db import db
from records.models import Notification, User
from records.notifications import create_notifications, notification_text
from records.timeutil import utcnow

log = logging.getLogger(__name__)

#: Reminders not mailed within this long (mail was down or not configured) are left to the bell.
MAIL_WITHIN = timedelta(days=1)


def send_reminders() -> dict[str, Any]:
    """What the `sla_reminders` job does; the output goes into the job-run table."""
    with Session(db.engine, expire_on_commit=False) as session:
        created = create_notifications(session, now=utcnow())
    output: dict[str, Any] = {"notifications": len(created)}
    if current_app.config.get("MAIL_SERVER"):
        sent, failed = mail_reminders()
        output["mailed"] = sent
        if failed:
            raise RuntimeError(f"{failed} reminder mail(s) could not be sent; the next run tries again.")
    return output


def mail_reminders() -> tuple[int, int]:
    """Mail each user with an e-mail address their unread, unmailed reminders of the last day; (mails sent, failed)."""
    now = utcnow()
    sent = failed = 0
    with Session(db.engine, expire_on_commit=False) as session:
        pending = session.execute(
            sa.select(Notification.user_id, sa.func.count())
            .join(User, User.id == Notification.user_id)
            .where(
                Notification.emailed_at.is_(None),
                Notification.read_at.is_(None),
                Notification.created_at >= now - MAIL_WITHIN,
                User.email.is_not(None),
                User.active.is_(True),
            )
            .group_by(Notification.user_id)
        ).all()
        for user_id, _count in pending:
            user = session.get(User, user_id)
            claimed = list(
                session.scalars(
                    sa.update(Notification)
                    .where(
                        Notification.user_id == user_id,
                        Notification.emailed_at.is_(None),
                        Notification.read_at.is_(None),
                        Notification.created_at >= now - MAIL_WITHIN,
                    )
                    .values(emailed_at=now)
                    .returning(Notification.id)
                )
            )
            session.commit()
            if not claimed:
                continue  # another run claimed them
            items = list(
                session.scalars(sa.select(Notification).where(Notification.id.in_(claimed)).order_by(Notification.due))
            )
            try:
                send(reminder_message(user, items, session))
                sent += 1
            except Exception:
                log.exception("Mailing %d reminder(s) to %s failed.", len(items), user.username)
                session.execute(sa.update(Notification).where(Notification.id.in_(claimed)).values(emailed_at=None))
                session.commit()
                failed += 1
    return sent, failed


def reminder_message(user: User, items: list[Notification], session: Session) -> EmailMessage:
    handler_ids = {item.details.get("handler") for item in items} - {None}
    names = dict(session.execute(sa.select(User.id, User.display_name).where(User.id.in_(handler_ids))).all())
    message = EmailMessage()
    with force_locale(report_locale()):
        message["Subject"] = ngettext(
            "ConsultKB: %(num)d deadline reminder", "ConsultKB: %(num)d deadline reminders", len(items)
        )
        lines = [f"- {notification_text(item, names.get(item.details.get('handler')))}" for item in items]
    message["From"] = current_app.config.get("MAIL_SENDER") or "consultkb@localhost"
    message["To"] = user.email
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="consultkb")
    message.set_content("\n".join(lines) + "\n")
    return message
