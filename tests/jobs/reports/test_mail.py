"""Report delivery over SMTP, against a local SMTP server: sent once, with the PDF; a failed send is retried."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
import sqlalchemy as sa

from jobs.models import Report
from jobs.scheduling import report_and_mail
from records.db import read_session


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    saved = {key: app.config.get(key) for key in ("MAIL_SERVER", "MAIL_PORT", "REPORT_RECIPIENTS", "REPORT_LOCALE")}
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        REPORT_RECIPIENTS="lead@example.com, qa@example.com",
        REPORT_LOCALE="zh_CN",
    )
    yield inbox
    controller.stop()
    app.config.update(saved)


def emailed_at():
    with read_session() as session:
        return session.scalar(sa.select(Report.emailed_at))


def test_a_report_is_mailed_once_with_its_pdf(db, smtp, make_record):
    make_record(contacted_at="2026-11-04 10:00")
    output = report_and_mail("weekly", "2026-W45")
    assert output["emailed_to"] == ["lead@example.com", "qa@example.com"]
    (message,) = smtp.messages
    assert message["To"] == "lead@example.com, qa@example.com" and "2026-W45" in message["Subject"]
    assert "周报" in message["Subject"]
    html = message.get_body(("html",)).get_content()
    assert "<html" in html.lower() and "2026-W45" in html
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "consultkb-weekly-2026-W45.pdf"
    assert attachment.get_content().startswith(b"%PDF")
    assert emailed_at() is not None
    # A re-run (or a second scheduler) finds it made and mailed: nothing is sent twice.
    again = report_and_mail("weekly", "2026-W45")
    assert again["action"] == "exists" and again["emailed_to"] == [] and len(smtp.messages) == 1


def test_a_failed_send_is_retried_by_the_next_run(app, db, smtp):
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    with pytest.raises(OSError):
        report_and_mail("weekly", "2026-W44")
    assert emailed_at() is None and smtp.messages == []
    app.config["MAIL_PORT"] = port
    output = report_and_mail("weekly", "2026-W44")
    assert output["action"] == "exists" and len(smtp.messages) == 1 and emailed_at() is not None


def test_nothing_is_mailed_without_a_mail_server(app, db):
    assert app.config.get("MAIL_SERVER") is None
    output = report_and_mail("weekly", "2026-W43")
    assert "emailed_to" not in output and output["action"] == "built"
