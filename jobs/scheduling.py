"""The job list and the scheduler process (`consultkb jobs run`), never started inside web workers.

APScheduler keeps the schedule in the app database (SQLAlchemyJobStore), so a restarted scheduler knows what it
missed: a run missed by less than the misfire grace still runs once (coalesced), and a report whose period ended while
no scheduler ran is made when the scheduler starts. Every run is recorded in the job-run table (jobs.runs); the work
itself is idempotent (one report per period, retention in batches, a proposal refresh that yields to a newer one), so
a run repeated by a second scheduler started by mistake does no harm.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import Session

from jobs.models import JobRun, Report, ReportKind, ReportStatus
from jobs.reports import generate_report, mail
from jobs.reports.periods import last_complete_period
from jobs.runs import DEAD_RUN_SWEEP, last_runs, mark_dead_runs, run_job
from records.db import db, read_session
from records.timeutil import local_timezone, utcnow

log = logging.getLogger(__name__)

#: A run missed by up to this long (scheduler down, machine asleep) still runs once when the scheduler is back.
MISFIRE_GRACE_SECONDS = 6 * 3600
#: Jobs run in threads of the scheduler process; two let the hourly refresh run beside a long monthly report.
EXECUTOR_THREADS = 2


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    #: crontab (minute hour day month day-of-week), in the configured TIMEZONE; JOB_SCHEDULES overrides it.
    crontab: str
    work: Callable[[], dict[str, Any] | None]
    #: Marked for translation: the jobs page shows it in the reader's language, the CLI and the scheduler in English.
    description: LazyString


def weekly_report() -> dict[str, Any]:
    return report_and_mail("weekly")


def monthly_report() -> dict[str, Any]:
    return report_and_mail("monthly")


def report_and_mail(kind: str, label: str | None = None) -> dict[str, Any]:
    """Make the report of the last complete period (if not made yet) and mail it (if not mailed yet)."""
    outcome = generate_report(kind, label)
    output = outcome.as_output()
    if outcome.report.status == ReportStatus.READY and mail.recipients():
        sent = mail.deliver_report(outcome.report.id)
        output["emailed_to"] = sent
        if sent:
            output.pop("skipped", None)
    return output


def retention() -> dict[str, Any]:
    from jobs.retention import run_retention

    return run_retention(by="scheduler")


def proposal_refresh() -> dict[str, Any]:
    from kb.proposal_engine import RefreshConflict, run_refresh

    try:
        return run_refresh(actor="scheduler").as_dict()
    except RefreshConflict as conflict:
        return {"skipped": str(conflict) or "another refresh finished meanwhile"}


def gap_refresh() -> dict[str, Any]:
    from kb.gaps.refresh import GapRefreshConflict, run_gap_refresh

    try:
        return run_gap_refresh().as_dict()
    except GapRefreshConflict as conflict:
        return {"skipped": str(conflict)}


def index_check() -> dict[str, Any]:
    from kb.consistency import verify_search_index

    return verify_search_index()


def database_statistics() -> dict[str, Any]:
    from records.db import refresh_statistics

    return refresh_statistics()


def report_days() -> dict[str, Any]:
    from jobs.reports.figures import keep_day_rows

    return {"computed_days": keep_day_rows()}


def missing_scores() -> dict[str, Any]:
    """Store the scores of records written before scoring existed (pages compute them on read, never store them)."""
    from scoring.engine import score_missing

    return {"scored": score_missing()}


JOBS: tuple[ScheduledJob, ...] = (
    ScheduledJob("weekly_report", "0 8 * * mon", weekly_report, _l("Weekly improvement report (last ISO week)")),
    ScheduledJob("monthly_report", "0 8 1 * *", monthly_report, _l("Monthly improvement report (last month)")),
    ScheduledJob("retention", "30 2 * * *", retention, _l("Archive or delete records past their retention")),
    ScheduledJob("proposal_refresh", "15 * * * *", proposal_refresh, _l("Refresh FAQ proposals from resolved records")),
    # After retention, so the signals of deleted records are gone first.
    ScheduledJob("gap_refresh", "30 3 * * *", gap_refresh, _l("Group searches nobody found an answer to into gaps")),
    ScheduledJob("index_check", "0 3 * * *", index_check, _l("Check the search index against the database")),
    ScheduledJob(
        "database_statistics", "45 3 * * *", database_statistics, _l("Refresh the database's query planner statistics")
    ),
    # Once after an upgrade, then nothing to do: records are scored when they are written.
    ScheduledJob("missing_scores", "0 4 * * *", missing_scores, _l("Store the scores of records older than scoring")),
    # After retention and before the 08:00 reports, which then scan only the days not settled yet.
    ScheduledJob("report_days", "15 4 * * *", report_days, _l("Keep the report figures of settled days")),
)
JOBS_BY_ID = {job.id: job for job in JOBS}


def job_trigger(job: ScheduledJob, app: Flask | None = None) -> CronTrigger:
    app = app or current_app
    crontab = dict(app.config.get("JOB_SCHEDULES") or {}).get(job.id, job.crontab)
    return CronTrigger.from_crontab(crontab, timezone=local_timezone())


def enabled_jobs(app: Flask | None = None) -> list[ScheduledJob]:
    disabled = set((app or current_app).config.get("JOBS_DISABLED") or ())
    return [job for job in JOBS if job.id not in disabled]


def next_run(job: ScheduledJob, now: datetime | None = None) -> datetime | None:
    """When the job runs next (aware, local time) by its schedule."""
    local_now = (now or utcnow()).replace(tzinfo=UTC).astimezone(local_timezone())
    return job_trigger(job).get_next_fire_time(None, local_now)


@dataclass(frozen=True)
class JobOverview:
    id: str
    description: LazyString
    schedule: str
    #: Aware, local time.
    next_run: datetime | None
    last_run: JobRun | None


def job_overview(session: Session, now: datetime | None = None) -> list[JobOverview]:
    """Every enabled job with its schedule, next run and newest run, as admins see them (page, API, CLI). Only reads:
    a run left "running" by a dead process is stale (`run_is_stale`) until the scheduler marks it failed."""
    last = last_runs(session)
    return [
        JobOverview(job.id, job.description, str(job_trigger(job)), next_run(job, now), last.get(job.id))
        for job in enabled_jobs()
    ]


def run_now(job_id: str, *, trigger: str) -> dict[str, Any]:
    """Run one job at once in this process, recorded like a scheduled run; KeyError for an unknown job."""
    job = JOBS_BY_ID[job_id]
    return run_job(job.id, job.work, trigger=trigger).output


# ----- the scheduler process ----------------------------------------------------------------------------------------

_app: Flask | None = None


def run_scheduled_job(job_id: str) -> None:
    """What the job store calls (by reference, so it survives restarts)."""
    with _app.app_context():
        try:
            run_job(job_id, JOBS_BY_ID[job_id].work, trigger="scheduler")
        except Exception:
            log.exception("Job %s failed; the failure is in the job-run table.", job_id)
        finally:
            db.session.remove()


def mark_dead_runs_now() -> None:
    """What the scheduler calls every DEAD_RUN_SWEEP: housekeeping of the run table, not a job run of its own."""
    with _app.app_context():
        try:
            dead = mark_dead_runs()
            if dead:
                log.warning("%d job run(s) left running by a stopped process are marked failed.", dead)
        finally:
            db.session.remove()


def build_scheduler(app: Flask) -> BackgroundScheduler:
    """The scheduler with every enabled job, persisted in the app database."""
    config = app.config
    scheduler = BackgroundScheduler(
        jobstores={
            "default": SQLAlchemyJobStore(engine=db.engine, tablename="apscheduler_jobs"),
            "memory": MemoryJobStore(),
        },
        executors={"default": ThreadPoolExecutor(EXECUTOR_THREADS)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(config.get("JOB_MISFIRE_GRACE_SECONDS") or MISFIRE_GRACE_SECONDS),
        },
        timezone=local_timezone(),
    )
    wanted = {job.id for job in enabled_jobs(app)}
    for job in enabled_jobs(app):
        scheduler.add_job(
            "jobs.scheduling:run_scheduled_job",
            trigger=job_trigger(job, app),
            args=[job.id],
            id=job.id,
            name=str(job.description),
            replace_existing=True,
        )
    scheduler.start(paused=True)
    # Jobs removed from the list (or disabled) since the last start must not linger in the store.
    for stored in scheduler.get_jobs(jobstore="default"):
        if stored.id not in wanted:
            stored.remove()
    return scheduler


def missed_reports(now: datetime | None = None) -> list[str]:
    """Report jobs whose last complete period has no finished report (the scheduler was down when it was due)."""
    now = now or utcnow()
    missing = []
    with read_session() as session:
        for job_id, kind in (("weekly_report", "weekly"), ("monthly_report", "monthly")):
            if job_id not in {job.id for job in enabled_jobs()}:
                continue
            period = last_complete_period(kind, now)
            ready = session.query(Report.id).filter(
                Report.kind == ReportKind(kind), Report.period == period.label, Report.status == ReportStatus.READY
            )
            if ready.first() is None:
                missing.append(job_id)
    return missing


def serve(app: Flask, *, stop: threading.Event | None = None) -> None:
    """Run the scheduler until SIGTERM/SIGINT (or `stop`): `consultkb jobs run`."""
    global _app
    _app = app
    stop = stop or threading.Event()
    mark_dead_runs_now()
    with app.app_context():
        scheduler = build_scheduler(app)
        for job_id in missed_reports():
            log.info("Catching up on %s: its last period has no report.", job_id)
            scheduler.add_job(run_scheduled_job, args=[job_id], id=f"{job_id}-catch-up", jobstore="memory")
        # Runs of `consultkb jobs start` (or another host) that died while this scheduler runs.
        scheduler.add_job(
            mark_dead_runs_now,
            trigger="interval",
            seconds=DEAD_RUN_SWEEP.total_seconds(),
            id="mark-dead-runs",
            jobstore="memory",
        )
        db.session.remove()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    scheduler.resume()
    log.info("Scheduler running: %s", ", ".join(job.id for job in enabled_jobs(app)))
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
