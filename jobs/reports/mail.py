"""Report delivery by e-mail over SMTP: the report as the HTML body and as a PDF attachment, sent once per report."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from jobs.models import Report, ReportStatus
from jobs.reports.operations import report_data, report_locale
from records.db import db
from records.mail import send, sender
from records.timeutil import utcnow


def recipients() -> list[str]:
    """REPORT_RECIPIENTS (a list, or comma-separated in the environment); none when MAIL_SERVER is not set."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return []
    configured = config.get("REPORT_RECIPIENTS") or []
    if isinstance(configured, str):
        configured = configured.split(",")
    return [address.strip() for address in configured if address and address.strip()]


def deliver_report(report_id: int, *, again: bool = False) -> list[str]:
    """Mail the report to the configured recipients; returns them, or [] when there is no one to send to or it was
    sent already (unless `again`). The report is marked sent before sending, so two schedulers never both send it;
    a failed send clears the mark and raises, so the next run tries again."""
    to = recipients()
    if not to:
        return []
    with Session(db.engine, expire_on_commit=False) as session:
        claim = sa.update(Report).where(Report.id == report_id, Report.status == ReportStatus.READY)
        if not again:
            claim = claim.where(Report.emailed_at.is_(None))
        if not session.execute(claim.values(emailed_at=utcnow())).rowcount:
            session.rollback()
            return []
        session.commit()
        report = session.get(Report, report_id)
    try:
        send(report_message(report, to))
    except Exception:
        with Session(db.engine) as session:
            session.execute(sa.update(Report).where(Report.id == report_id).values(emailed_at=None))
            session.commit()
        raise
    return to


def report_message(report: Report, to: list[str]) -> EmailMessage:
    from jobs.reports.rendering import render_report_document, render_report_pdf

    locale = report_locale()
    data = report_data(report)
    message = EmailMessage()
    with force_locale(locale):
        kind = report.kind.label(locale)
        message["Subject"] = gettext("ConsultKB %(kind)s report %(period)s", kind=kind, period=report.period)
    message["From"] = sender()
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="consultkb")
    message.set_content(
        f"ConsultKB {report.kind.value} report {report.period}. Open the attached PDF or an HTML-capable mail reader."
    )
    message.add_alternative(render_report_document(data, locale), subtype="html")
    message.add_attachment(
        render_report_pdf(data, locale),
        maintype="application",
        subtype="pdf",
        filename=f"consultkb-{report.kind.value}-{report.period}.pdf",
    )
    return message
