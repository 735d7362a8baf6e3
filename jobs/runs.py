"""Job runs: every execution of a job, scheduled or started by hand, is kept with its outcome for admins."""

from __future__ import annotations

import os
import socket
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from jobs.models import JobRun, RunStatus
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


def this_worker() -> str:
    """host:pid of this process: stored with runs and report claims so a dead owner can be recognised."""
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_alive(worker: str | None, since: datetime | None, now: datetime | None = None) -> bool:
    """Whether the process that wrote `worker` may still be working. On this host the process table answers; for
    another host only the age of the claim does."""
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
    return since is not None and (now or utcnow()) - since < STALE_AFTER


def _short_error(error: BaseException) -> str:
    text = "".join(traceback.format_exception(error))
    if len(text) <= ERROR_CHARS:
        return text
    half = ERROR_CHARS // 2
    return f"{text[:half]}\n…\n{text[-half:]}"


def run_job(job_id: str, work: Callable[[], dict[str, Any] | None], *, trigger: str = "scheduler") -> JobRun:
    """Run `work` as job `job_id`, recorded in the run table: started and finished in their own short
    transactions, so the row says "running" while it runs and a failure is kept with its traceback.

    `work` returns what the run reports (counts, the report made); returning {"skipped": reason} marks the run
    skipped. Errors are recorded and re-raised.
    """
    with Session(db.engine, expire_on_commit=False) as session:
        run = JobRun(job_id=job_id, trigger=trigger, worker=this_worker(), status=RunStatus.RUNNING, output={})
        session.add(run)
        session.commit()
        run_id = run.id
    try:
        output = work() or {}
    except BaseException as error:
        _finish(run_id, RunStatus.FAILED, {}, _short_error(error))
        raise
    status = RunStatus.SKIPPED if output.get("skipped") else RunStatus.SUCCEEDED
    return _finish(run_id, status, output, None)


def _finish(run_id: int, status: RunStatus, output: dict[str, Any], error: str | None) -> JobRun:
    with Session(db.engine, expire_on_commit=False) as session:
        run = session.get(JobRun, run_id)
        run.status, run.output, run.error, run.finished_at = status, output, error, utcnow()
        session.commit()
        return run


def run_is_stale(run: JobRun, now: datetime | None = None) -> bool:
    """Whether a run still marked running was left so by a process that stopped (killed, host restarted). Pages and
    the API show such a run as stale without storing anything; the scheduler marks it failed (`mark_dead_runs`)."""
    return run.status == RunStatus.RUNNING and not worker_alive(run.worker, run.started_at, now)


def mark_dead_runs(now: datetime | None = None) -> int:
    """Runs left "running" by a process that died become failed; returns how many. The scheduler calls it when it
    starts and every `DEAD_RUN_SWEEP` after (and `consultkb jobs runs` before listing); a GET only reads."""
    now = now or utcnow()
    with Session(db.engine) as session:
        running = session.scalars(sa.select(JobRun).where(JobRun.status == RunStatus.RUNNING)).all()
        dead = [run for run in running if run_is_stale(run, now)]
        for run in dead:
            run.status = RunStatus.FAILED
            run.finished_at = now
            run.error = f"The process running it ({run.worker}) stopped before the job finished."
        session.commit()
        return len(dead)


def recent_runs(session: Session, *, job_id: str | None = None, limit: int = 50) -> list[JobRun]:
    query = sa.select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job_id:
        query = query.where(JobRun.job_id == job_id)
    return list(session.scalars(query))


def last_runs(session: Session) -> dict[str, JobRun]:
    """The newest run of each job."""
    newest = sa.select(JobRun.job_id, sa.func.max(JobRun.id).label("id")).group_by(JobRun.job_id).subquery()
    runs = session.scalars(sa.select(JobRun).join(newest, JobRun.id == newest.c.id))
    return {run.job_id: run for run in runs}
