"""The scheduled jobs and their runs (administrators), and starting a job from the browser.

A start never runs the job inside the request: it queues a request the scheduler process picks up (jobs.requests),
and the page shows its progress by polling `GET /jobs/<job>/status` (web/static/job_progress.js). Administrators
start any job at /admin/jobs; trainers also start the FAQ proposal refresh from /kb/proposals; the full rescore is
started by administrators from /admin/rubric.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from jobs.leadership import scheduler_status
from jobs.requests import RequestRefused, cancel_request, job_activity, may_request, request_job
from jobs.runs import count_runs, recent_runs, run_is_stale, scheduler_heartbeats
from jobs.scheduling import JOBS_BY_ID, job_overview
from records.db import db
from records.enums import Role
from records.timeutil import utcnow
from web.auth import STAFF, roles_required
from web.pages.common import current_user_required
from web.pages.paging import Paging

bp = Blueprint("job_pages", __name__)

#: Where a start or cancel form returns to (the form names one; anything else returns to the jobs page).
RETURN_TO = {
    "jobs": "job_pages.jobs_page",
    "proposals": "proposal_pages.list_proposals_page",
    "rubric": "scoring_pages.rubric_page",
}


@bp.get("/admin/jobs")
@roles_required(Role.ADMIN)
def jobs_page():
    job_filter = request.args.get("job") or None
    if job_filter is not None and job_filter not in JOBS_BY_ID:
        job_filter = None
    now = utcnow()
    paging = Paging.asked(request.args.get("page"))
    jobs = job_overview(db.session, now)
    runs = recent_runs(db.session, job_id=job_filter, limit=paging.size, offset=(paging.number - 1) * paging.size)
    total = count_runs(db.session, job_id=job_filter)
    schedulers = scheduler_heartbeats(db.session)
    shown = [*runs, *(job.last_run for job in jobs if job.last_run)]
    stale = {run.id for run in shown if run_is_stale(run, now, schedulers)}
    activities = {job.id: job_activity(db.session, job.id, now) for job in jobs}
    return render_template(
        "jobs/jobs.html",
        jobs=jobs,
        runs=runs,
        stale=stale,
        job_filter=job_filter,
        activities=activities,
        scheduler=scheduler_status(db.session, now),
        total=total,
        **paging.template_args(total),
    )


def _back() -> str:
    endpoint = RETURN_TO.get(request.form.get("back", ""), RETURN_TO["jobs"])
    return url_for(endpoint)


@bp.post("/jobs/<job_id>/requests")
@roles_required(*STAFF)
def start_job(job_id: str):
    """Queue a run of the job for the scheduler (the "run now" and "start" buttons)."""
    user = current_user_required()
    try:
        request_job(job_id, by=user)
    except RequestRefused as refused:
        db.session.rollback()
        if refused.status != 409:
            abort(refused.status, description=str(refused.message))
        flash(str(refused.message), "info")
        return redirect(_back())
    db.session.commit()
    if scheduler_status(db.session)["running"]:
        flash(_("Started: the scheduler runs it within a few seconds. Its progress is shown here."), "success")
    else:
        flash(
            _(
                "Queued, but no scheduler is running: it starts when the scheduler process (consultkb jobs run) "
                "is started. Ask your administrator."
            ),
            "warning",
        )
    return redirect(_back())


@bp.post("/jobs/requests/<int:request_id>/cancel")
@roles_required(*STAFF)
def cancel_job_request(request_id: int):
    user = current_user_required()
    try:
        withdrawn = cancel_request(request_id, by=user)
    except RequestRefused as refused:
        abort(refused.status, description=str(refused.message))
    db.session.commit()
    if withdrawn:
        flash(_("The request was withdrawn."), "success")
    else:
        flash(_("The scheduler had already started it; it runs to the end."), "info")
    return redirect(_back())


@bp.get("/jobs/<job_id>/status")
@roles_required(*STAFF)
def job_status(job_id: str):
    """The job's current request or run with its progress, as JSON for the page's script."""
    user = current_user_required()
    if job_id not in JOBS_BY_ID:
        abort(404, description=_("There is no job %(job)s.", job=job_id))
    if not may_request(user, job_id):
        abort(403, description=_("Your role may not use this."))
    response = jsonify(job_activity(db.session, job_id).as_dict())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global()
def run_duration(run) -> str:
    """How long a finished run took, e.g. "4.2 s", "3 min 05 s", "1 h 02 min"."""
    if run is None or run.finished_at is None:
        return ""
    seconds = max(0.0, (run.finished_at - run.started_at).total_seconds())
    if seconds < 60:
        return _("%(seconds).1f s", seconds=seconds)
    minutes, rest = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return _("%(minutes)d min %(seconds)02d s", minutes=minutes, seconds=rest)
    hours, minutes = divmod(minutes, 60)
    return _("%(hours)d h %(minutes)02d min", hours=hours, minutes=minutes)
