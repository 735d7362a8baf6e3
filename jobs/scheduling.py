"""The job list and the scheduler process (`consultkb jobs run`), never started inside web workers.

APScheduler keeps the schedule in the app database (SQLAlchemyJobStore), so a restarted scheduler knows what it
missed: a run missed by less than the misfire grace still runs once (coalesced), and a report whose period ended while
no scheduler ran is made when the scheduler starts. Every run is recorded in the job-run table (jobs.runs).

Several `consultkb jobs run` processes may run on PostgreSQL: one leads (an advisory lock, jobs.leadership) and the
others wait to take over. A scheduled occurrence runs once even across a takeover (the run table's unique (job,
scheduled_for) key), and the work itself is idempotent (one report per period, retention in batches, a proposal
refresh that yields to a newer one). The leader also runs the runs asked for in the browser (jobs.requests).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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

from jobs.leadership import SchedulerRefused, heartbeat, make_lease, poll_seconds, sign_off
from jobs.models import JobRun, Report, ReportKind, ReportStatus
from jobs.reports import generate_report, mail
from jobs.reports.periods import last_complete_period
from jobs.runs import DEAD_RUN_SWEEP, AlreadyRun, last_runs, mark_dead_runs, report_progress, run_job
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
    #: crontab (minute hour day month day-of-week), in the configured TIMEZONE; JOB_SCHEDULES overrides it. None: the
    #: job runs only when asked for (by hand or in the browser), unless JOB_SCHEDULES gives it a schedule.
    crontab: str | None
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


def stage_progress() -> Callable[[str, int, int], None]:
    """A progress callback of a job with stages (kb.proposal_engine's), writing to the run (jobs.runs)."""
    current: list[str | None] = [None]

    def progress(stage: str, done: int, total: int) -> None:
        report_progress(done, total, stage, force=stage != current[0])
        current[0] = stage

    return progress


def proposal_refresh() -> dict[str, Any]:
    from kb.proposal_engine import RefreshConflict, run_refresh

    try:
        return run_refresh(actor="scheduler", progress=stage_progress()).as_dict()
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


def sla_reminders() -> dict[str, Any]:
    from jobs.reminders import send_reminders

    return send_reminders()


def close_disputes() -> dict[str, Any]:
    """Close grade disputes nobody ruled on within DISPUTE_DAYS: the grade stands, and is locked."""
    from scoring.grading import close_overdue_disputes

    closed = close_overdue_disputes()
    db.session.commit()
    return {"closed": closed}


def rescore() -> dict[str, Any]:
    """Score every record again with the newest rubric (after a rubric change): `consultkb scoring rescore`."""
    import sqlalchemy as sa

    from records.models import Record
    from scoring.engine import rescore_all

    with read_session() as session:
        total = session.scalar(sa.select(sa.func.count()).select_from(Record)) or 0
    done = [0]
    report_progress(0, total, "score", force=True)

    def advance(count: int) -> None:
        done[0] += count
        report_progress(done[0], total, "score")

    scored = rescore_all(progress=advance)
    report_progress(scored, total, "score", force=True)
    return {"scored": scored}


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
    # Every 10 minutes: a reminder an hour ahead of an urgent record's deadline still comes 50-60 minutes ahead.
    ScheduledJob(
        "sla_reminders", "*/10 * * * *", sla_reminders, _l("Remind handlers and supervisors of SLA deadlines")
    ),
    ScheduledJob("close_disputes", "5 * * * *", close_disputes, _l("Close grade disputes past their deadline")),
    # After a rubric change; on request only (the rubric page starts it).
    ScheduledJob("rescore", None, rescore, _l("Score every record again with the newest rubric")),
)
JOBS_BY_ID = {job.id: job for job in JOBS}


def job_trigger(job: ScheduledJob, app: Flask | None = None) -> CronTrigger | None:
    """The job's schedule, or None for a job that runs only when asked for."""
    app = app or current_app
    crontab = dict(app.config.get("JOB_SCHEDULES") or {}).get(job.id, job.crontab)
    return CronTrigger.from_crontab(crontab, timezone=local_timezone()) if crontab else None


def previous_fire_time(trigger: CronTrigger, now: datetime, within: timedelta) -> datetime | None:
    """The latest time at or before `now` (aware) the trigger fired, looking back at most `within`: the occurrence a
    coalesced run that starts now is for (APScheduler runs the newest of the missed ones)."""
    latest = None
    moment = trigger.get_next_fire_time(None, now - within)
    while moment is not None and moment <= now:
        latest = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return latest


def enabled_jobs(app: Flask | None = None) -> list[ScheduledJob]:
    disabled = set((app or current_app).config.get("JOBS_DISABLED") or ())
    return [job for job in JOBS if job.id not in disabled]


def next_run(job: ScheduledJob, now: datetime | None = None) -> datetime | None:
    """When the job runs next (aware, local time) by its schedule."""
    local_now = (now or utcnow()).replace(tzinfo=UTC).astimezone(local_timezone())
    trigger = job_trigger(job)
    return trigger.get_next_fire_time(None, local_now) if trigger else None


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
        JobOverview(job.id, job.description, str(job_trigger(job) or ""), next_run(job, now), last.get(job.id))
        for job in enabled_jobs()
    ]


def run_now(job_id: str, *, trigger: str) -> dict[str, Any]:
    """Run one job at once in this process, recorded like a scheduled run; KeyError for an unknown job."""
    job = JOBS_BY_ID[job_id]
    return run_job(job.id, job.work, trigger=trigger).output


# ----- the scheduler process ----------------------------------------------------------------------------------------

_app: Flask | None = None


def run_scheduled_job(job_id: str, catch_up: bool = False) -> None:
    """What the job store calls (by reference, so it survives restarts). A scheduled run is for its occurrence (the
    fire time it runs for): one that has a run already, made by a scheduler before a takeover, is not run again."""
    with _app.app_context():
        job = JOBS_BY_ID[job_id]
        scheduled_for = None
        trigger = job_trigger(job, _app)
        if not catch_up and trigger is not None:
            grace = timedelta(seconds=int(_app.config.get("JOB_MISFIRE_GRACE_SECONDS") or MISFIRE_GRACE_SECONDS))
            fired = previous_fire_time(trigger, datetime.now(UTC), grace + timedelta(minutes=1))
            scheduled_for = fired.astimezone(UTC).replace(tzinfo=None) if fired else None
        try:
            run_job(job_id, job.work, trigger="scheduler", scheduled_for=scheduled_for)
        except AlreadyRun as already:
            log.info("Not running %s again: %s.", job_id, already)
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
    store = SQLAlchemyJobStore(engine=db.engine, tablename="apscheduler_jobs")
    scheduler = BackgroundScheduler(
        jobstores={"default": store, "memory": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(EXECUTOR_THREADS)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(config.get("JOB_MISFIRE_GRACE_SECONDS") or MISFIRE_GRACE_SECONDS),
        },
        timezone=local_timezone(),
    )
    scheduled = [(job, job_trigger(job, app)) for job in enabled_jobs(app)]
    wanted = {job.id for job, trigger in scheduled if trigger is not None}
    for job, trigger in scheduled:
        if trigger is None:
            continue
        extra = {}
        stored = store.lookup_job(job.id)
        # Replacing a stored job computes its next run from now, which would drop a run missed while no scheduler
        # ran (or during a takeover): an unchanged schedule keeps its stored next run, so a missed one runs once.
        if stored is not None and str(stored.trigger) == str(trigger) and stored.next_run_time is not None:
            extra["next_run_time"] = stored.next_run_time
        scheduler.add_job(
            "jobs.scheduling:run_scheduled_job",
            trigger=trigger,
            args=[job.id],
            id=job.id,
            name=str(job.description),
            replace_existing=True,
            jobstore="default",
            **extra,
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
    """Run the scheduler until SIGTERM/SIGINT (or `stop`): `consultkb jobs run`.

    It leads when it gets the scheduler lock (jobs.leadership) and otherwise stands by, trying again every
    JOB_LEADER_POLL_SECONDS; a leader that loses its lock stops scheduling and stands by again. On SQLite a second
    scheduler raises SchedulerRefused instead of waiting.
    """
    global _app
    _app = app
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    poll = poll_seconds(app)
    started = utcnow()
    with app.app_context():
        lease = make_lease()
    standing_by = False
    try:
        while not stop.is_set():
            with app.app_context():
                try:
                    leading = lease.acquire()
                    if not leading:
                        heartbeat("standby", started_at=started)
                except SchedulerRefused:
                    raise
                except Exception:
                    log.exception("The scheduler could not reach the database; trying again.")
                    leading = False
                finally:
                    db.session.remove()
            if leading:
                standing_by = False
                lead(app, lease, stop, poll, started)
                continue
            if not standing_by:
                log.info("Standing by: another scheduler holds the lock; trying every %s s.", poll)
                standing_by = True
            stop.wait(poll)
    finally:
        with app.app_context():
            lease.release()
            try:
                sign_off()
            except Exception:
                log.warning("Could not remove this scheduler's heartbeat.", exc_info=True)
            db.session.remove()


def lead(app: Flask, lease, stop: threading.Event, poll: float, started: datetime) -> None:
    """Schedule (and run requested runs) while this process holds the lock; returns on `stop` or when the lock is
    lost."""
    with app.app_context():
        # First: whoever led before is marked gone, so its runs and report claims count as dead below.
        heartbeat("leader", started_at=started)
        db.session.remove()
    mark_dead_runs_now()
    with app.app_context():
        scheduler = build_scheduler(app)
        for job_id in missed_reports():
            log.info("Catching up on %s: its last period has no report.", job_id)
            scheduler.add_job(run_scheduled_job, args=[job_id, True], id=f"{job_id}-catch-up", jobstore="memory")
        # Runs of `consultkb jobs start` (or another host) that died while this scheduler runs.
        scheduler.add_job(
            mark_dead_runs_now,
            trigger="interval",
            seconds=DEAD_RUN_SWEEP.total_seconds(),
            id="mark-dead-runs",
            jobstore="memory",
        )
        db.session.remove()
    leading = threading.Event()
    leading.set()
    requests = threading.Thread(target=serve_requests, args=(app, leading, stop), name="job-requests", daemon=True)
    scheduler.resume()
    requests.start()
    log.info("Scheduler leading: %s", ", ".join(job.id for job in enabled_jobs(app) if job_trigger(job, app)))
    lost = False
    try:
        while not stop.wait(poll):
            with app.app_context():
                if not lease.still_held():
                    log.error("This scheduler lost its lock (database connection gone); it stops scheduling.")
                    lost = True
                    break
                try:
                    heartbeat("leader", started_at=started)
                except Exception:
                    log.warning("Could not write the scheduler's heartbeat.", exc_info=True)
                finally:
                    db.session.remove()
    finally:
        leading.clear()
        # Losing the lock: stop firing at once (another process may lead already); running work finishes, its
        # occurrence recorded once. Stopping: wait for running work, as before.
        scheduler.shutdown(wait=not lost)
        if not lost:
            requests.join()


def serve_requests(app: Flask, leading: threading.Event, stop: threading.Event) -> None:
    """The leader's thread for runs asked for in the browser: one at a time, looked for every
    JOB_REQUEST_POLL_SECONDS."""
    from jobs.requests import REQUEST_POLL_SECONDS, poll_requests

    interval = float(app.config.get("JOB_REQUEST_POLL_SECONDS") or REQUEST_POLL_SECONDS)
    while leading.is_set() and not stop.is_set():
        ran = 0
        with app.app_context():
            try:
                ran = poll_requests(limit=1)
            except Exception:
                log.exception("Looking for requested runs failed; trying again.")
            finally:
                db.session.remove()
        if not ran:
            stop.wait(interval)
