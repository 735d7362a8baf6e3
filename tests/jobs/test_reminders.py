"""SLA reminders: who is reminded before and at a deadline, once each; the mail, against a local SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from jobs.reminders import send_reminders
from jobs.scheduling import JOBS_BY_ID, run_now
from records.db import db
from records.enums import Role
from records.models import Notification
from records.notifications import create_notifications, due_reminders
from records.timeutil import to_local, utcnow
from tests.jobs.reports.test_mail import Inbox, free_port


def hours_ago(hours: float) -> str:
    return to_local(utcnow() - timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def smtp(app):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    saved = {key: app.config.get(key) for key in ("MAIL_SERVER", "MAIL_PORT", "REPORT_LOCALE")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, REPORT_LOCALE="zh_CN")
    yield inbox
    controller.stop()
    app.config.update(saved)


@pytest.fixture
def desk(make_user, make_record):
    agent = make_user(Role.AGENT, team="客服A组", username="wang", email="wang@example.com")
    supervisor = make_user(Role.SUPERVISOR, team="客服A组", username="lead", email="lead@example.com")
    other_supervisor = make_user(Role.SUPERVISOR, team="客服B组", username="blead")
    # high: resolve within 24 h. 23.5 h ago: due in half an hour (soon); 25 h ago: missed an hour ago (a breach).
    soon = make_record(agent, status="open", priority="high", contacted_at=hours_ago(23.5))
    missed = make_record(agent, status="open", priority="high", contacted_at=hours_ago(25))
    # Missed 10 days ago: on the worklist, but too old to remind anyone.
    make_record(agent, status="open", priority="high", contacted_at=hours_ago(24 * 11))
    return {"agent": agent, "supervisor": supervisor, "other": other_supervisor, "soon": soon, "missed": missed}


def stored():
    return db.session.execute(
        sa.select(Notification.user_id, Notification.record_id, Notification.stage).order_by(Notification.id)
    ).all()


def test_before_and_at_a_deadline_the_handler_and_at_a_breach_the_supervisor(db, desk):
    created = create_notifications(db.session, now=utcnow())
    assert len(created) == 3
    assert set(stored()) == {
        (desk["agent"].id, desk["soon"].id, "soon"),
        (desk["agent"].id, desk["missed"].id, "due"),
        (desk["supervisor"].id, desk["missed"].id, "due"),
    }
    # Once per deadline: a second run adds nothing.
    assert create_notifications(db.session, now=utcnow()) == []
    # An hour later the soon one is missed too: the agent and the supervisor hear about it once more.
    later = create_notifications(db.session, now=utcnow() + timedelta(hours=1))
    assert len(later) == 2


def test_reminders_go_to_the_assignee_and_a_follow_up_owner(db, desk, make_user, make_record):
    helper = make_user(Role.AGENT, team="客服A组", username="zhao")
    from records.assignment import assign_record

    assign_record(desk["missed"], helper, by=desk["supervisor"])
    today = to_local(utcnow()).date().isoformat()
    pending = make_record(
        desk["agent"],
        status="pending",
        priority="low",
        contacted_at=hours_ago(2),
        follow_ups=[{"action": "回电 13812345678", "owner_user": "zhao", "due": today}],
    )
    db.session.commit()
    reminders = due_reminders(db.session, now=utcnow())
    missed = {(r.user_id, r.stage) for r in reminders if r.record_id == desk["missed"].id}
    assert missed == {(helper.id, "due"), (desk["supervisor"].id, "due")}
    (follow_up,) = [r for r in reminders if r.record_id == pending.id]
    assert (follow_up.user_id, follow_up.kind, follow_up.stage) == (helper.id, "follow_up", "soon")
    assert "13812345678" not in follow_up.details["action"]  # personal data masked


def test_the_job_mails_each_recipient_once(app, db, desk, smtp):
    assert "sla_reminders" in JOBS_BY_ID
    output = run_now("sla_reminders", trigger="test")
    assert output == {"notifications": 3, "mailed": 2}
    by_address = {message["To"]: message for message in smtp.messages}
    assert set(by_address) == {"wang@example.com", "lead@example.com"}
    body = by_address["wang@example.com"].get_content()
    assert desk["soon"].number in body and desk["missed"].number in body
    assert by_address["wang@example.com"]["Subject"] == "ConsultKB：2 条截止提醒"
    assert "负责" in by_address["lead@example.com"].get_content()  # the supervisor is told who handles it
    db.session.commit()  # the test's own reads end before the job writes (SQLite has one writer)
    again = send_reminders()
    assert again == {"notifications": 0, "mailed": 0} and len(smtp.messages) == 2


def test_a_failed_mail_is_tried_again(app, db, desk, smtp):
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    with pytest.raises(RuntimeError):
        send_reminders()
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.emailed_at.is_not(None))) == 0
    db.session.commit()
    app.config["MAIL_PORT"] = port
    assert send_reminders()["mailed"] == 2
