"""Runs asked for in the browser or the API, run by the scheduler process, never inside a web request.

A request is a row in `job_requests`: the page (or API) enqueues it, the leading scheduler (jobs.scheduling) takes
it within JOB_REQUEST_POLL_SECONDS and runs the job like a scheduled run, recorded in the run table with its
progress, which pages poll. One request per job waits or runs at a time (a unique key on the active job), and a job
whose scheduled run is running counts as busy too: asking twice never starts a second run.

Who may ask: administrators for every job; trainers also for the FAQ proposal refresh, which they review (the same
people who act on proposals, kb.proposals.REVIEWERS). The full rescore is for administrators, like the rubric page
that makes it necessary.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jobs.leadership import scheduler_status
from jobs.models import JobRequest, JobRun, RequestStatus, RunStatus
from jobs.runs import run_is_stale, run_job, scheduler_heartbeats, this_worker, worker_alive
from records.db import db, row_id
from records.enums import Role
from records.models import User
from records.timeutil import utcnow

log = logging.getLogger(__name__)

#: How often the leading scheduler looks for requested runs (JOB_REQUEST_POLL_SECONDS overrides it).
REQUEST_POLL_SECONDS = 3.0
#: Who may ask for which job besides administrators.
EXTRA_REQUESTERS: dict[str, tuple[Role, ...]] = {"proposal_refresh": (Role.TRAINER,)}
#: What a run's progress stage is called on the pages (jobs.runs.report_progress stages).
STAGE_LABELS = {
    "scrub": _l("Reading resolved records"),
    "encode": _l("Encoding questions"),
    "group": _l("Grouping similar questions"),
    "draft": _l("Drafting proposals"),
    "score": _l("Scoring records"),
}


class RequestRefused(ValueError):
    """The job cannot be asked for now; the message (marked for translation) says why."""

    def __init__(self, message: Any, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


def may_request(user: User, job_id: str) -> bool:
    return user.role == Role.ADMIN or user.role in EXTRA_REQUESTERS.get(job_id, ())


def _job(job_id: str):
    from jobs.scheduling import JOBS_BY_ID

    return JOBS_BY_ID.get(job_id)


def running_run(session: Session, job_id: str, now: datetime | None = None) -> JobRun | None:
    """The job's live run (scheduled, by hand or by request), if one is running."""
    runs = session.scalars(
        sa.select(JobRun).where(JobRun.job_id == job_id, JobRun.status == RunStatus.RUNNING).order_by(JobRun.id.desc())
    ).all()
    schedulers = scheduler_heartbeats(session) if runs else {}
    return next((run for run in runs if not run_is_stale(run, now, schedulers)), None)


def active_request(session: Session, job_id: str) -> JobRequest | None:
    return session.scalars(sa.select(JobRequest).where(JobRequest.active_job == job_id)).one_or_none()


def request_job(job_id: str, *, by: User) -> JobRequest:
    """Queue a run of `job_id` for the scheduler; RequestRefused when one is queued or running already (409), for an
    unknown job (404) or for someone who may not ask for it (403). Flushes in the app's session; the caller commits
    (the unique key on the active job decides between two clicks that both passed the check)."""
    if _job(job_id) is None:
        raise RequestRefused(_l("There is no job %(job)s.", job=job_id), 404)
    if not may_request(by, job_id):
        raise RequestRefused(_l("You may not start this job."), 403)
    session = db.session
    if running_run(session, job_id) is not None or active_request(session, job_id) is not None:
        raise RequestRefused(_l("This job is already queued or running; its progress is shown below."))
    request = JobRequest(
        job_id=job_id, requested_by_id=by.id, status=RequestStatus.QUEUED, active_job=job_id, requested_at=utcnow()
    )
    try:
        with session.begin_nested():
            session.add(request)
    except IntegrityError:
        raise RequestRefused(_l("This job is already queued or running; its progress is shown below.")) from None
    return request


def cancel_request(request_id: int, *, by: User) -> bool:
    """Withdraw a request the scheduler has not taken yet; False if it was taken (or ended) meanwhile. In the app's
    session; the caller commits."""
    request = db.session.get(JobRequest, request_id) if row_id(request_id) else None
    if request is None or not may_request(by, request.job_id):
        raise RequestRefused(_l("There is no such request."), 404)
    withdrawn = db.session.execute(
        sa.update(JobRequest)
        .where(JobRequest.id == request_id, JobRequest.status == RequestStatus.QUEUED)
        .values(status=RequestStatus.CANCELLED, active_job=None, finished_at=utcnow())
    ).rowcount
    return bool(withdrawn)


def take_request(now: datetime | None = None) -> JobRequest | None:
    """Claim the oldest queued request whose job is not running right now (it waits for that run to end); None when
    there is nothing to do. The claim is a compare-and-set, so two processes never take the same request."""
    worker = this_worker()
    with Session(db.engine, expire_on_commit=False) as session:
        queued = session.scalars(
            sa.select(JobRequest).where(JobRequest.status == RequestStatus.QUEUED).order_by(JobRequest.id)
        ).all()
        for request in queued:
            if running_run(session, request.job_id, now) is not None:
                continue
            taken = session.execute(
                sa.update(JobRequest)
                .where(JobRequest.id == request.id, JobRequest.status == RequestStatus.QUEUED)
                .values(status=RequestStatus.RUNNING, worker=worker, picked_at=utcnow())
            ).rowcount
            session.commit()
            if taken:
                session.refresh(request)
                return request
    return None


def run_request(request: JobRequest) -> JobRun | None:
    """Run a taken request's job, recorded like a scheduled run (trigger "web:<username>"), and end the request."""
    job = _job(request.job_id)
    with Session(db.engine) as session:
        requester = session.get(User, request.requested_by_id) if request.requested_by_id else None
        trigger = f"web:{requester.username}" if requester else "web"

    def link(session: Session, run: JobRun) -> None:
        session.execute(sa.update(JobRequest).where(JobRequest.id == request.id).values(run_id=run.id))

    run = None
    try:
        if job is None:  # removed from the job list since it was asked for
            raise LookupError(f"no job {request.job_id!r}")
        run = run_job(job.id, job.work, trigger=trigger, on_start=link)
    except Exception:
        log.exception("Requested run of %s failed; the failure is in the job-run table.", request.job_id)
    finally:
        with Session(db.engine) as session:
            session.execute(
                sa.update(JobRequest)
                .where(JobRequest.id == request.id)
                .values(status=RequestStatus.FINISHED, active_job=None, finished_at=utcnow())
            )
            session.commit()
    return run


def poll_requests(limit: int | None = None) -> int:
    """Take and run queued requests one after another until none is left (or `limit` ran); returns how many ran.
    The leading scheduler calls it every JOB_REQUEST_POLL_SECONDS; tests call it directly."""
    count = 0
    while limit is None or count < limit:
        request = take_request()
        if request is None:
            break
        run_request(request)
        count += 1
    return count


# ----- what pages and the API show ---------------------------------------------------------------------------------


@dataclass
class JobActivity:
    """The job's current (or last) request and run as a page shows them."""

    job_id: str
    #: "idle" (never asked, nothing running), "queued", "running", "succeeded", "skipped", "failed", "cancelled".
    state: str
    request: JobRequest | None
    run: JobRun | None
    scheduler_running: bool

    def as_dict(self) -> dict[str, Any]:
        from records.presenting import iso_utc

        run = self.run
        done = run.progress_done if run else None
        total = run.progress_total if run else None
        stage = run.progress_stage if run else None
        error = (run.error or "").strip().splitlines()[-1:] if run else []
        return {
            "job_id": self.job_id,
            "state": self.state,
            "message": str(state_message(self)),
            "active": self.state in ("queued", "running"),
            "request_id": self.request.id if self.request else None,
            "requested_at": iso_utc(self.request.requested_at) if self.request else None,
            "run_id": run.id if run else None,
            "started_at": iso_utc(run.started_at) if run else None,
            "finished_at": iso_utc(run.finished_at) if run and run.finished_at else None,
            "done": done,
            "total": total,
            "percent": round(100 * done / total) if done is not None and total else None,
            "stage": stage,
            "stage_label": str(STAGE_LABELS[stage]) if stage in STAGE_LABELS else stage,
            "error": error[0] if error else None,
            "output": run.output if run and run.status != RunStatus.RUNNING else None,
            "scheduler_running": self.scheduler_running,
        }


def job_activity(session: Session, job_id: str, now: datetime | None = None) -> JobActivity:
    """The job's active request (queued or running) with its run, else a running run, else the newest request."""
    now = now or utcnow()
    scheduler_up = scheduler_status(session, now)["running"]
    request = active_request(session, job_id)
    if request is not None:
        run = session.get(JobRun, request.run_id) if request.run_id else None
        schedulers = scheduler_heartbeats(session)
        if request.status == RequestStatus.RUNNING and not worker_alive(
            request.worker, request.picked_at, now, schedulers
        ):
            state = "failed"  # taken by a scheduler that died; the next sweep ends it
        else:
            state = "running" if request.status == RequestStatus.RUNNING else "queued"
        return JobActivity(job_id, state, request, run, scheduler_up)
    run = running_run(session, job_id, now)
    if run is not None:
        return JobActivity(job_id, "running", None, run, scheduler_up)
    request = session.scalars(
        sa.select(JobRequest).where(JobRequest.job_id == job_id).order_by(JobRequest.id.desc()).limit(1)
    ).first()
    if request is None:
        return JobActivity(job_id, "idle", None, None, scheduler_up)
    if request.status == RequestStatus.CANCELLED:
        return JobActivity(job_id, "cancelled", request, None, scheduler_up)
    run = session.get(JobRun, request.run_id) if request.run_id else None
    state = run.status.value if run is not None and run.status != RunStatus.RUNNING else "failed"
    return JobActivity(job_id, state, request, run, scheduler_up)


def state_message(activity: JobActivity) -> Any:
    """One sentence for the page, in the reader's language."""
    if activity.state == "queued":
        if not activity.scheduler_running:
            return _l(
                "Queued, but no scheduler is running: it starts when the scheduler process (consultkb jobs run) "
                "is started. Ask your administrator."
            )
        return _l("Queued: the scheduler starts it within a few seconds.")
    if activity.state == "running":
        run = activity.run
        if run is not None and run.progress_total:
            stage = STAGE_LABELS.get(run.progress_stage or "", run.progress_stage or "")
            return _l(
                "Running: %(stage)s %(done)s of %(total)s.",
                stage=stage,
                done=run.progress_done or 0,
                total=run.progress_total,
            )
        if run is not None and run.progress_stage:
            return _l("Running: %(stage)s.", stage=STAGE_LABELS.get(run.progress_stage, run.progress_stage))
        return _l("Running.")
    if activity.state == "succeeded":
        return _l("Finished.")
    if activity.state == "skipped":
        return _l("Finished: there was nothing to do.")
    if activity.state == "failed":
        return _l("Failed; the error is in the job's run list.")
    if activity.state == "cancelled":
        return _l("Cancelled before it started.")
    return ""
