"""Improvement reports, scheduled jobs and their runs, and the alerts of the dashboard.

Supervisors, trainers and administrators read reports (every team's figures, masked examples). Administrators make
them on demand, see the jobs and ask the scheduler to run one now (trainers the FAQ proposal refresh). Everyone on
the staff reads the alerts of the records they may see.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from jobs.leadership import scheduler_status
from jobs.models import ReportStatus
from jobs.reports import EXPORT_FORMATS, export_report, find_report, generate_report, list_reports, report_data
from jobs.reports.periods import KINDS
from jobs.requests import RequestRefused, cancel_request, job_activity, may_request, request_job
from jobs.runs import recent_runs, run_is_stale, scheduler_heartbeats
from jobs.scheduling import JOBS_BY_ID, job_overview
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
    trigger = fields.String(metadata={"description": "scheduler, cli, cli:<user> or web:<user> (a request)."})
    status = fields.String()
    started_at = fields.String()
    finished_at = fields.String(allow_none=True)
    scheduled_for = fields.String(
        allow_none=True, metadata={"description": "The scheduled occurrence (UTC) a scheduled run is for."}
    )
    error = fields.String(allow_none=True)
    output = fields.Dict()
    progress_done = fields.Integer(allow_none=True)
    progress_total = fields.Integer(allow_none=True)
    progress_stage = fields.String(allow_none=True)
    stale = fields.Boolean(
        metadata={"description": "Still marked running, but its process stopped; the scheduler marks it failed."}
    )


class JobActivitySchema(Schema):
    job_id = fields.String()
    state = fields.String(
        metadata={"description": "idle, queued, running, succeeded, skipped, failed or cancelled (the newest request)."}
    )
    message = fields.String(metadata={"description": "The state as a sentence in the caller's language."})
    active = fields.Boolean(metadata={"description": "Queued or running: another request is refused (409)."})
    request_id = fields.Integer(allow_none=True)
    requested_at = fields.String(allow_none=True)
    run_id = fields.Integer(allow_none=True)
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    done = fields.Integer(allow_none=True)
    total = fields.Integer(allow_none=True)
    percent = fields.Integer(allow_none=True)
    stage = fields.String(allow_none=True)
    stage_label = fields.String(allow_none=True)
    error = fields.String(allow_none=True, metadata={"description": "The last line of a failed run's traceback."})
    output = fields.Dict(allow_none=True)
    scheduler_running = fields.Boolean(
        metadata={"description": "Whether a scheduler process is running to pick requests up."}
    )


class SchedulerProcessSchema(Schema):
    worker = fields.String(metadata={"description": "host:pid"})
    started_at = fields.String()
    seen_at = fields.String()


class SchedulerStatusSchema(Schema):
    running = fields.Boolean(metadata={"description": "A leading scheduler wrote its heartbeat within a minute."})
    leader = fields.Nested(SchedulerProcessSchema, allow_none=True)
    standbys = fields.List(fields.Nested(SchedulerProcessSchema))


class JobSchema(Schema):
    id = fields.String()
    description = fields.String()
    schedule = fields.String(metadata={"description": "crontab in TIMEZONE; empty for a job run only on request."})
    next_run = fields.String(allow_none=True)
    last_run = fields.Nested(JobRunSchema, allow_none=True)
    activity = fields.Nested(JobActivitySchema)


class JobListSchema(Schema):
    items = fields.List(fields.Nested(JobSchema))
    scheduler = fields.Nested(SchedulerStatusSchema)


class JobRunQuerySchema(Schema):
    job = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


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


def run_dict(run, now: datetime | None = None, schedulers: dict | None = None) -> dict[str, Any]:
    return {
        "id": run.id,
        "job_id": run.job_id,
        "trigger": run.trigger,
        "status": run.status.value,
        "started_at": iso_utc(run.started_at),
        "finished_at": iso_utc(run.finished_at),
        "scheduled_for": iso_utc(run.scheduled_for),
        "error": run.error,
        "output": run.output or {},
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
        "progress_stage": run.progress_stage,
        "stale": run_is_stale(run, now, schedulers),
    }


def scheduler_dict(status: dict[str, Any]) -> dict[str, Any]:
    def process(row) -> dict[str, Any]:
        return {"worker": row.worker, "started_at": iso_utc(row.started_at), "seen_at": iso_utc(row.seen_at)}

    return {
        "running": status["running"],
        "leader": process(status["leader"]) if status["leader"] else None,
        "standbys": [process(row) for row in status["standbys"]],
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
        """The scheduled jobs with their schedule, next run, last run and current request or run (administrators),
        and whether a scheduler process runs to pick requests up."""
        now = utcnow()
        schedulers = scheduler_heartbeats(db.session)
        items = [
            {
                "id": job.id,
                "description": job.description,
                "schedule": job.schedule,
                "next_run": job.next_run.isoformat() if job.next_run else None,
                "last_run": run_dict(job.last_run, now, schedulers) if job.last_run else None,
                "activity": job_activity(db.session, job.id, now).as_dict(),
            }
            for job in job_overview(db.session, now)
        ]
        return {"items": items, "scheduler": scheduler_dict(scheduler_status(db.session, now))}


@blp.route("/jobs/runs")
class JobRuns(MethodView):
    decorators = [roles_required(Role.ADMIN)]

    @blp.arguments(JobRunQuerySchema, location="query")
    @blp.response(200, JobRunListSchema)
    def get(self, args):
        """Recent job runs, newest first (administrators); `offset` pages back through the history."""
        now = utcnow()
        runs = recent_runs(db.session, job_id=args.get("job"), limit=args["limit"], offset=args["offset"])
        schedulers = scheduler_heartbeats(db.session)
        return {"items": [run_dict(run, now, schedulers) for run in runs]}


def _refused(refused: RequestRefused):
    abort(refused.status, message=str(refused.message))


def _job_or_404(job_id: str) -> None:
    if job_id not in JOBS_BY_ID:
        abort(404, message=f"No job {job_id!r}; the jobs are {', '.join(JOBS_BY_ID)}.")
    if not may_request(current_user(), job_id):
        abort(403, message="Your role may not start or follow this job.")


@blp.route("/jobs/<job_id>/requests")
class JobRequests(StaffView):
    @blp.response(202, JobActivitySchema)
    @blp.alt_response(409, description="The job is queued or running already; its activity is in the message.")
    def post(self, job_id: str):
        """Ask the scheduler process to run the job now (administrators; trainers also `proposal_refresh`).

        The request is queued and taken by the leading scheduler within seconds; follow it with
        `GET /jobs/{job_id}/status`. A job queued or running already is not asked for twice (409). The full rescore
        (`rescore`) is for administrators.
        """
        _job_or_404(job_id)
        try:
            request_job(job_id, by=current_user())
        except RequestRefused as refused:
            db.session.rollback()
            _refused(refused)
        db.session.commit()
        return job_activity(db.session, job_id).as_dict()


@blp.route("/jobs/<job_id>/status")
class JobStatus(StaffView):
    @blp.response(200, JobActivitySchema)
    def get(self, job_id: str):
        """The job's current request or run with its progress (done of total, stage), else its newest request."""
        _job_or_404(job_id)
        return job_activity(db.session, job_id).as_dict()


@blp.route("/jobs/requests/<int:request_id>")
class JobRequestDetail(StaffView):
    @blp.response(204)
    @blp.alt_response(409, description="The scheduler has taken the request already; it runs to the end.")
    def delete(self, request_id: int):
        """Withdraw a request the scheduler has not taken yet."""
        try:
            withdrawn = cancel_request(request_id, by=current_user())
        except RequestRefused as refused:
            _refused(refused)
        db.session.commit()
        if not withdrawn:
            abort(409, message="The scheduler has taken this request already (or it ended); it runs to the end.")
        return None


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
