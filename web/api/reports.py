"""Improvement reports, scheduled jobs and their runs, and the alerts of the dashboard.

Supervisors, trainers and administrators read reports (every team's figures, masked examples). Administrators make
them on demand and see the jobs. Everyone on the staff reads the alerts of the records they may see.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from jobs.models import ReportStatus
from jobs.reports import EXPORT_FORMATS, export_report, find_report, generate_report, list_reports, report_data
from jobs.reports.periods import KINDS
from jobs.runs import recent_runs, run_is_stale
from jobs.scheduling import job_overview
from records.access import record_scope
from records.db import db
from records.enums import Role
from records.presenting import iso_utc
from records.sla import open_breaches, overdue_as_seen_by, overdue_follow_ups
from records.timeutil import to_local, utcnow
from web.api.articles import current_user
from web.api.common import StaffView
from web.auth import roles_required

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/v1",
    description="Weekly and monthly improvement reports, scheduled jobs and their runs, dashboard alerts.",
)
REPORT_READERS = (Role.SUPERVISOR, Role.TRAINER, Role.ADMIN)


class ImprovementReportSummarySchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    period = fields.String()
    status = fields.String()
    starts_at = fields.String(metadata={"description": "Start of the period (UTC)."})
    ends_at = fields.String(metadata={"description": "End of the period, exclusive (UTC)."})
    generated_at = fields.String(allow_none=True)
    emailed_at = fields.String(allow_none=True)
    error = fields.String(allow_none=True)


class ImprovementReportSchema(ImprovementReportSummarySchema):
    figures = fields.Dict(metadata={"description": "Every figure of the report, each with the previous period's."})


class ImprovementReportListSchema(Schema):
    items = fields.List(fields.Nested(ImprovementReportSummarySchema))


class ImprovementReportQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))


class ReportGenerateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    period = fields.String(
        load_default=None, metadata={"description": "2026-W46 or 2026-10; empty means the last complete period."}
    )
    force = fields.Boolean(load_default=False, metadata={"description": "Rebuild a report that exists."})


class ReportGenerateResultSchema(Schema):
    action = fields.String(metadata={"description": "built, rebuilt, exists or busy."})
    report = fields.Nested(ImprovementReportSummarySchema)


class ReportExportQuerySchema(Schema):
    format = fields.String(required=True, validate=validate.OneOf(list(EXPORT_FORMATS)))
    locale = fields.String(load_default="zh_CN", validate=validate.OneOf(("zh_CN", "en")))


class JobRunSchema(Schema):
    id = fields.Integer()
    job_id = fields.String()
    trigger = fields.String()
    status = fields.String()
    started_at = fields.String()
    finished_at = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    output = fields.Dict()
    stale = fields.Boolean(
        metadata={"description": "Still marked running, but its process stopped; the scheduler marks it failed."}
    )


class JobSchema(Schema):
    id = fields.String()
    description = fields.String()
    schedule = fields.String()
    next_run = fields.String(allow_none=True)
    last_run = fields.Nested(JobRunSchema, allow_none=True)


class JobListSchema(Schema):
    items = fields.List(fields.Nested(JobSchema))


class JobRunQuerySchema(Schema):
    job = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class JobRunListSchema(Schema):
    items = fields.List(fields.Nested(JobRunSchema))


class DashboardAlertsSchema(Schema):
    sla_breaches = fields.List(fields.Dict())
    sla_breach_total = fields.Integer()
    overdue_follow_ups = fields.List(fields.Dict())
    overdue_follow_up_total = fields.Integer()


def summary(report) -> dict[str, Any]:
    return {
        "id": report.id,
        "kind": report.kind.value,
        "period": report.period,
        "status": report.status.value,
        "starts_at": iso_utc(report.starts_at),
        "ends_at": iso_utc(report.ends_at),
        "generated_at": iso_utc(report.generated_at),
        "emailed_at": iso_utc(report.emailed_at),
        "error": report.error,
    }


def run_dict(run, now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": run.id,
        "job_id": run.job_id,
        "trigger": run.trigger,
        "status": run.status.value,
        "started_at": iso_utc(run.started_at),
        "finished_at": iso_utc(run.finished_at),
        "error": run.error,
        "output": run.output or {},
        "stale": run_is_stale(run, now),
    }


def _report_or_404(kind: str, period: str):
    if kind not in KINDS:
        abort(404, message=f"Unknown report kind {kind!r}; use weekly or monthly.")
    try:
        report = find_report(db.session, kind, period)
    except ValueError as error:
        abort(404, message=str(error))
    if report is None:
        abort(404, message=f"No {kind} report for {period}.")
    return report


@blp.route("/reports")
class Reports(MethodView):
    decorators = [roles_required(*REPORT_READERS)]

    @blp.arguments(ImprovementReportQuerySchema, location="query")
    @blp.response(200, ImprovementReportListSchema)
    def get(self, args):
        """The reports made so far, newest first."""
        items = [summary(report) for report in list_reports(db.session, args.get("kind"))]
        return {"items": items}

    @blp.arguments(ReportGenerateSchema)
    @blp.response(201, ReportGenerateResultSchema)
    @blp.alt_response(200, schema=ReportGenerateResultSchema, description="The report existed (or is being made).")
    def post(self, args):
        """Make a report now (administrators). A report that exists is returned as it is unless `force`."""
        if current_user().role != Role.ADMIN:
            abort(403, message="Only administrators make reports on demand.")
        db.session.commit()  # building reads in sessions of its own; ours must not hold SQLite's write lock
        try:
            outcome = generate_report(args["kind"], args["period"], force=args["force"])
        except ValueError as error:
            abort(422, errors={"json": {"period": [str(error)]}})
        status = 201 if outcome.action in ("built", "rebuilt") else 200
        return {"action": outcome.action, "report": summary(outcome.report)}, status


@blp.route("/reports/<kind>/<period>")
class ReportDetail(MethodView):
    decorators = [roles_required(*REPORT_READERS)]

    @blp.response(200, ImprovementReportSchema)
    def get(self, kind: str, period: str):
        """One report with all its figures."""
        report = _report_or_404(kind, period)
        return {**summary(report), "figures": report.figures or {}}


@blp.route("/reports/<kind>/<period>/export")
class ReportExport(MethodView):
    decorators = [roles_required(*REPORT_READERS)]

    @blp.arguments(ReportExportQuerySchema, location="query")
    @blp.response(200, description="The report as HTML, PDF, CSV, XLSX or JSON.")
    def get(self, args, kind: str, period: str):
        """Download a finished report."""
        report = _report_or_404(kind, period)
        if report.status != ReportStatus.READY:
            abort(409, message=f"The {kind} report for {period} is {report.status.value}, not ready.")
        data = report_data(report)
        filename = f"consultkb-{report.kind.value}-{report.period}.{args['format']}"
        db.session.close()  # nothing was written: end the transaction (SQLite's lock) before the slow render
        content = export_report(data, args["format"], args["locale"])
        return Response(
            content,
            mimetype=EXPORT_FORMATS[args["format"]],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


@blp.route("/jobs")
class Jobs(MethodView):
    decorators = [roles_required(Role.ADMIN)]

    @blp.response(200, JobListSchema)
    def get(self):
        """The scheduled jobs with their schedule, next run and last run (administrators)."""
        now = utcnow()
        items = [
            {
                "id": job.id,
                "description": job.description,
                "schedule": job.schedule,
                "next_run": job.next_run.isoformat() if job.next_run else None,
                "last_run": run_dict(job.last_run, now) if job.last_run else None,
            }
            for job in job_overview(db.session, now)
        ]
        return {"items": items}


@blp.route("/jobs/runs")
class JobRuns(MethodView):
    decorators = [roles_required(Role.ADMIN)]

    @blp.arguments(JobRunQuerySchema, location="query")
    @blp.response(200, JobRunListSchema)
    def get(self, args):
        """Recent job runs, newest first (administrators)."""
        now = utcnow()
        runs = recent_runs(db.session, job_id=args.get("job"), limit=args["limit"])
        return {"items": [run_dict(run, now) for run in runs]}


@blp.route("/alerts")
class Alerts(StaffView):
    @blp.response(200, DashboardAlertsSchema)
    def get(self):
        """Open SLA breaches and overdue follow-ups of the records the caller may see, most overdue first."""
        user = current_user()
        now = utcnow()
        scope = record_scope(user)
        breaches = open_breaches(db.session, now=now, where=scope)
        overdue = overdue_follow_ups(db.session, today=to_local(now).date(), where=scope)
        return {
            "sla_breaches": [_jsonable(breach.as_dict()) for breach in breaches[:200]],
            "sla_breach_total": len(breaches),
            "overdue_follow_ups": [
                _jsonable(item.as_dict()) for item in overdue_as_seen_by(db.session, overdue[:200], user)
            ],
            "overdue_follow_up_total": len(overdue),
        }


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {key: (value.isoformat() if hasattr(value, "isoformat") else value) for key, value in row.items()}
