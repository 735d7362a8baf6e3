"""Improvement reports (list, page, downloads) and the dashboard of overdue follow-ups and SLA breaches.
jobs.reports and records.sla do the work; the jobs page is web/pages/jobs.py."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from jobs.models import ReportKind, ReportStatus
from jobs.reports import EXPORT_FORMATS, export_report, find_report, generate_report, list_reports, report_data
from jobs.reports.periods import KINDS
from records.access import record_scope
from records.db import db
from records.enums import Role
from records.sla import open_breaches, overdue_as_seen_by, overdue_follow_ups, rules_as_dict, sla_rules
from records.timeutil import to_local, utcnow
from web.auth import STAFF, roles_required
from web.pages.common import current_user_required

bp = Blueprint("report_pages", __name__)

#: Reports show every team's quality and masked examples: for those who run the service, not for agents.
REPORT_READERS = (Role.SUPERVISOR, Role.TRAINER, Role.ADMIN)
#: What the report page offers to download (JSON is for the API and the CLI).
DOWNLOADS = ("pdf", "csv", "xlsx", "html")
#: Rows each dashboard list shows; the rest are counted.
DASHBOARD_ROWS = 50


def ui_locale() -> str:
    return "zh_CN" if str(get_locale() or "").startswith("zh") else "en"


@bp.get("/reports")
@roles_required(*REPORT_READERS)
def list_reports_page():
    user = current_user_required()
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    reports = list_reports(db.session, kind)
    return render_template(
        "reports/list.html", reports=reports, kind=kind, kinds=KINDS, can_generate=user.role == Role.ADMIN
    )


@bp.post("/reports")
@roles_required(Role.ADMIN)
def generate_report_page():
    kind = request.form.get("kind", "")
    label = request.form.get("period", "").strip() or None
    db.session.commit()  # building reads in sessions of its own; ours must not hold SQLite's write lock meanwhile
    try:
        if kind not in KINDS:
            raise ValueError(_("Choose weekly or monthly."))
        outcome = generate_report(kind, label, force=bool(request.form.get("force")))
    except ValueError as error:
        flash(str(error), "danger")
        return redirect(url_for("report_pages.list_reports_page"))
    messages = {
        "built": _("The report was made."),
        "rebuilt": _("The report was made again."),
        "exists": _("This report exists already; tick \u201cmake again\u201d to rebuild it."),
        "busy": _("Another process is making this report right now; look again in a minute."),
    }
    flash(messages[outcome.action], "success" if outcome.action in ("built", "rebuilt") else "info")
    return redirect(url_for("report_pages.report_page", kind=outcome.report.kind.value, period=outcome.report.period))


def _ready_report(kind: str, period: str):
    if kind not in KINDS:
        abort(404)
    try:
        report = find_report(db.session, kind, period)
    except ValueError as error:
        abort(404, description=str(error))
    if report is None:
        kind_label = ReportKind(kind).label(ui_locale())
        abort(404, description=_("No %(kind)s report for %(period)s yet.", kind=kind_label, period=period))
    return report


@bp.get("/reports/<kind>/<period>")
@roles_required(*REPORT_READERS)
def report_page(kind: str, period: str):
    from jobs.reports.rendering import render_report_body

    report = _ready_report(kind, period)
    body = render_report_body(report_data(report), ui_locale()) if report.status == ReportStatus.READY else None
    return render_template("reports/report.html", report=report, body=body, downloads=DOWNLOADS)


@bp.get("/reports/<kind>/<period>/download/<fmt>")
@roles_required(*REPORT_READERS)
def download_report(kind: str, period: str, fmt: str):
    if fmt not in DOWNLOADS:
        abort(404)
    report = _ready_report(kind, period)
    if report.status != ReportStatus.READY:
        abort(404, description=_("This report is not finished."))
    data = report_data(report)
    filename = f"consultkb-{report.kind.value}-{report.period}.{fmt}"
    db.session.close()  # nothing was written: end the transaction (SQLite's lock) before the slow render
    content = export_report(data, fmt, ui_locale())
    return Response(
        content,
        mimetype=EXPORT_FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# ----- dashboard ----------------------------------------------------------------------------------------------------


@bp.get("/dashboard")
@roles_required(*STAFF)
def dashboard_page():
    user = current_user_required()
    now = utcnow()
    scope = record_scope(user)
    breaches = open_breaches(db.session, now=now, where=scope)
    overdue = overdue_follow_ups(db.session, today=to_local(now).date(), where=scope)
    return render_template(
        "reports/dashboard.html",
        breaches=breaches[:DASHBOARD_ROWS],
        breach_total=len(breaches),
        overdue=overdue_as_seen_by(db.session, overdue[:DASHBOARD_ROWS], user),
        overdue_total=len(overdue),
        rules=rules_as_dict(sla_rules()),
    )
