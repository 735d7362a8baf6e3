"""Job runs: every execution of a job, scheduled or started by hand, is kept with its outcome for admins."""

from __future__ import annotations

import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jobs.models import JobRequest, JobRun, RequestStatus, RunStatus, SchedulerProcess
from records.db import db
from records.timeutil import utcnow

#: A run still marked running after this long, whose process cannot be checked (another host), is taken as dead.
#: The slowest job, a monthly report over a million records, takes minutes (bench/bench_reports.py).
STALE_AFTER = timedelta(hours=2)
#: How often the scheduler marks dead runs failed. A run of this host is seen dead at once (its pid is gone), so
#: this only bounds how long a stopped `consultkb jobs start` shows as stale before it reads failed.
DEAD_RUN_SWEEP = timedelta(minutes=10)
#: Kept in the run table; longer tracebacks are cut from the middle.
ERROR_CHARS = 8000
#: A scheduler process (jobs.leadership) whose heartbeat is older than this is taken as gone: pages say no scheduler
#: runs, and its runs and report claims count as dead. Its heartbeat comes every JOB_LEADER_POLL_SECONDS (10 s).
SCHEDULER_SILENT_AFTER = timedelta(seconds=60)
#: Progress is written at most this often (each write is a short transaction of its own).
PROGRESS_EVERY_SECONDS = 1.0


class AlreadyRun(RuntimeError):
    """This scheduled occurrence of the job has a run already (another scheduler ran it before taking over)."""


def this_worker() -> str:
    """host:pid of this process: stored with runs and report claims so a dead owner can be recognised."""
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_alive(
    worker: str | None,
    since: datetime | None,
    now: datetime | None = None,
    schedulers: dict[str, SchedulerProcess] | None = None,
) -> bool:
    """Whether the process that wrote `worker` may still be working. On this host the process table answers; for a
    scheduler process on another host its heartbeat does (`schedulers`: scheduler_heartbeats(), read when not
    given); for any other process of another host only the age of the claim."""
    if not worker:
        return False
    host, _, pid = worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    now = now or utcnow()
    if schedulers is None:
        schedulers = scheduler_heartbeats()
    scheduler = schedulers.get(worker)
    if scheduler is not None:
        return scheduler.role != "gone" and now - scheduler.seen_at < SCHEDULER_SILENT_AFTER
    return since is not None and now - since < STALE_AFTER


def scheduler_heartbeats(session: Session | None = None) -> dict[str, SchedulerProcess]:
    """Every scheduler process that wrote a heartbeat, by worker (host:pid), read in `session` (default: the app's
    session; a caller inside a transaction of its own passes that one, as SQLite lets one transaction write)."""
    session = session if session is not None else db.session
    return {row.worker: row for row in session.scalars(sa.select(SchedulerProcess))}


def _short_error(error: BaseException) -> str:
    text = "".join(traceback.format_exception(error))
    if len(text) <= ERROR_CHARS:
        return text
    half = ERROR_CHARS // 2
    return f"{text[:half]}\n…\n{text[-half:]}"


class _Current(threading.local):
    run_id: int | None = None
    written_at: float = 0.0


_current = _Current()


def run_job(
    job_id: str,
    work: Callable[[], dict[str, Any] | None],
    *,
    trigger: str = "scheduler",
    scheduled_for: datetime | None = None,
    on_start: Callable[[Session, JobRun], None] | None = None,
) -> JobRun:
    """Run `work` as job `job_id`, recorded in the run table: started and finished in their own short
    transactions, so the row says "running" while it runs and a failure is kept with its traceback.

    `work` returns what the run reports (counts, the report made); returning {"skipped": reason} marks the run
    skipped. Errors are recorded and re-raised. `scheduled_for` names the schedule's occurrence: a second run of
    the same occurrence raises AlreadyRun before any work (the unique key decides between two schedulers).
    `on_start` is called in the transaction that records the start (a request links its run there).
    While `work` runs, report_progress() in this thread writes to the run.
    """
    with Session(db.engine, expire_on_commit=False) as session:
        run = JobRun(
            job_id=job_id,
            trigger=trigger,
            worker=this_worker(),
            status=RunStatus.RUNNING,
            output={},
            scheduled_for=scheduled_for,
        )
        session.add(run)
        try:
            session.flush()
        except IntegrityError as error:
            session.rollback()
            raise AlreadyRun(f"{job_id} at {scheduled_for:%Y-%m-%d %H:%M} UTC has run already") from error
        if on_start is not None:
            on_start(session, run)
        session.commit()
        run_id = run.id
    outer = _current.run_id, _current.written_at
    _current.run_id, _current.written_at = run_id, 0.0
    try:
        output = work() or {}
    except BaseException as error:
        _finish(run_id, RunStatus.FAILED, {}, _short_error(error))
        raise
    finally:
        _current.run_id, _current.written_at = outer
    status = RunStatus.SKIPPED if output.get("skipped") else RunStatus.SUCCEEDED
    return _finish(run_id, status, output, None)


def report_progress(done: int, total: int | None = None, stage: str | None = None, *, force: bool = False) -> None:
    """Record how far the job running in this thread is (`done` of `total`, in `stage`), at most every
    PROGRESS_EVERY_SECONDS unless `force`; does nothing outside run_job (the CLI's own progress bars)."""
    run_id = _current.run_id
    if run_id is None:
        return
    moment = time.monotonic()
    if not force and moment - _current.written_at < PROGRESS_EVERY_SECONDS:
        return
    _current.written_at = moment
    with Session(db.engine) as session:
        session.execute(
            sa.update(JobRun)
            .where(JobRun.id == run_id)
            .values(progress_done=done, progress_total=total, progress_stage=stage)
        )
        session.commit()


def _finish(run_id: int, status: RunStatus, output: dict[str, Any], error: str | None) -> JobRun:
    with Session(db.engine, expire_on_commit=False) as session:
        run = session.get(JobRun, run_id)
        run.status, run.output, run.error, run.finished_at = status, output, error, utcnow()
        session.commit()
        return run


def run_is_stale(
    run: JobRun, now: datetime | None = None, schedulers: dict[str, SchedulerProcess] | None = None
) -> bool:
    """Whether a run still marked running was left so by a process that stopped (killed, host restarted). Pages and
    the API show such a run as stale without storing anything; the scheduler marks it failed (`mark_dead_runs`)."""
    return run.status == RunStatus.RUNNING and not worker_alive(run.worker, run.started_at, now, schedulers)


def mark_dead_runs(now: datetime | None = None) -> int:
    """Runs left "running" by a process that died become failed; returns how many. The scheduler calls it when it
    starts and every `DEAD_RUN_SWEEP` after (and `consultkb jobs runs` before listing); a GET only reads."""
    now = now or utcnow()
    with Session(db.engine) as session:
        running = session.scalars(sa.select(JobRun).where(JobRun.status == RunStatus.RUNNING)).all()
        schedulers = scheduler_heartbeats(session) if running else {}
        dead = [run for run in running if run_is_stale(run, now, schedulers)]
        for run in dead:
            run.status = RunStatus.FAILED
            run.finished_at = now
            run.error = f"The process running it ({run.worker}) stopped before the job finished."
        # A request taken by a process that died ends with it: the job may be asked for again.
        taken = session.scalars(sa.select(JobRequest).where(JobRequest.status == RequestStatus.RUNNING)).all()
        if taken:
            schedulers = schedulers or scheduler_heartbeats(session)
        for request in taken:
            if not worker_alive(request.worker, request.picked_at, now, schedulers):
                request.status, request.active_job, request.finished_at = RequestStatus.FINISHED, None, now
        session.commit()
        return len(dead)


def count_runs(session: Session, *, job_id: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(JobRun)
    if job_id:
        query = query.where(JobRun.job_id == job_id)
    return session.scalar(query) or 0


def recent_runs(session: Session, *, job_id: str | None = None, limit: int = 50, offset: int = 0) -> list[JobRun]:
    query = sa.select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit).offset(offset)
    if job_id:
        query = query.where(JobRun.job_id == job_id)
    return list(session.scalars(query))


def last_runs(session: Session) -> dict[str, JobRun]:
    """The newest run of each job."""
    newest = sa.select(JobRun.job_id, sa.func.max(JobRun.id).label("id")).group_by(JobRun.job_id).subquery()
    runs = session.scalars(sa.select(JobRun).join(newest, JobRun.id == newest.c.id))
    return {run.job_id: run for run in runs}
