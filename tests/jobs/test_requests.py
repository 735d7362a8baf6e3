"""Runs asked for in the browser: queued once per job, taken and run by the scheduler (poll_requests, called here as
the scheduler's thread calls it), with progress written to the run, and ended when the process taking it dies."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from jobs.models import JobRequest, JobRun, RequestStatus, RunStatus, SchedulerProcess
from jobs.requests import RequestRefused, cancel_request, job_activity, poll_requests, request_job, take_request
from jobs.runs import mark_dead_runs, this_worker
from records.db import db as database
from records.db import read_session
from records.enums import Role
from records.timeutil import utcnow


def requests_of(job_id: str) -> list[JobRequest]:
    with read_session() as session:
        return list(session.scalars(sa.select(JobRequest).where(JobRequest.job_id == job_id).order_by(JobRequest.id)))


def test_a_job_is_queued_once_until_its_run_ends(db, make_user):
    admin = make_user(Role.ADMIN)
    database.session.commit()
    request = request_job("index_check", by=admin)
    assert request.status == RequestStatus.QUEUED and request.active_job == "index_check"
    database.session.commit()
    with pytest.raises(RequestRefused) as twice:
        request_job("index_check", by=admin)
    assert twice.value.status == 409 and "already queued or running" in str(twice.value.message)
    # Another job is not held up by it.
    request_job("database_statistics", by=admin)
    database.session.commit()

    assert poll_requests() == 2
    first, *_ = requests_of("index_check")
    assert first.status == RequestStatus.FINISHED and first.active_job is None and first.worker == this_worker()
    with read_session() as session:
        run = session.get(JobRun, first.run_id)
    assert run.status == RunStatus.SUCCEEDED and run.trigger == f"web:{admin.username}" and run.scheduled_for is None
    assert "rebuilt" in run.output
    # Ended: it may be asked for again.
    request_job("index_check", by=admin)
    database.session.commit()
    assert [request.status for request in requests_of("index_check")] == [RequestStatus.FINISHED, RequestStatus.QUEUED]
    assert poll_requests() == 1 and poll_requests() == 0


def test_who_may_ask_for_which_job(db, make_user):
    trainer, supervisor = make_user(Role.TRAINER), make_user(Role.SUPERVISOR)
    database.session.commit()
    # Trainers review proposals, so they refresh them; the rescore and the rest are for administrators.
    assert request_job("proposal_refresh", by=trainer).status == RequestStatus.QUEUED
    for job_id, user in (("rescore", trainer), ("index_check", trainer), ("proposal_refresh", supervisor)):
        with pytest.raises(RequestRefused) as refused:
            request_job(job_id, by=user)
        assert refused.value.status == 403
    with pytest.raises(RequestRefused) as unknown:
        request_job("backup", by=make_user(Role.ADMIN))
    assert unknown.value.status == 404


def test_a_job_whose_scheduled_run_is_running_is_not_started_again(db, make_user):
    admin = make_user(Role.ADMIN)
    scheduled = JobRun(job_id="index_check", trigger="scheduler", worker=this_worker(), output={})
    database.session.add(scheduled)
    database.session.commit()
    with pytest.raises(RequestRefused):
        request_job("index_check", by=admin)
    assert job_activity(database.session, "index_check").state == "running"
    database.session.commit()
    # A request that got in before the scheduled run started waits for it instead of running beside it.
    database.session.add(JobRequest(job_id="index_check", status=RequestStatus.QUEUED, active_job="index_check"))
    database.session.commit()
    assert take_request() is None and poll_requests() == 0
    database.session.rollback()
    database.session.execute(sa.update(JobRun).values(status=RunStatus.SUCCEEDED, finished_at=utcnow()))
    database.session.commit()
    assert poll_requests() == 1


def test_the_rescore_reports_its_progress_and_the_page_shows_it(app, db, make_user, make_record):
    admin = make_user(Role.ADMIN)
    for _ in range(3):
        make_record()
    database.session.commit()
    request_job("rescore", by=admin)
    database.session.commit()
    activity = job_activity(database.session, "rescore").as_dict()
    assert activity["state"] == "queued" and activity["active"] and activity["done"] is None
    assert not activity["scheduler_running"] and "no scheduler is running" in activity["message"]
    database.session.commit()

    assert poll_requests() == 1
    database.session.expire_all()
    activity = job_activity(database.session, "rescore")
    data = activity.as_dict()
    assert data["state"] == "succeeded" and not data["active"] and data["output"] == {"scored": 3}
    assert (data["done"], data["total"], data["percent"], data["stage"]) == (3, 3, 100, "score")
    assert data["stage_label"] == "Scoring records" and data["message"] == "Finished."


def test_progress_while_running_is_read_from_the_run(db, make_user):
    admin = make_user(Role.ADMIN)
    database.session.add(SchedulerProcess(worker=this_worker(), role="leader", started_at=utcnow(), seen_at=utcnow()))
    run = JobRun(
        job_id="proposal_refresh",
        worker=this_worker(),
        output={},
        progress_done=40,
        progress_total=160,
        progress_stage="encode",
    )
    database.session.add(run)
    database.session.flush()
    database.session.add(
        JobRequest(
            job_id="proposal_refresh",
            requested_by_id=admin.id,
            status=RequestStatus.RUNNING,
            active_job="proposal_refresh",
            worker=this_worker(),
            picked_at=utcnow(),
            run_id=run.id,
        )
    )
    database.session.commit()
    data = job_activity(database.session, "proposal_refresh").as_dict()
    assert data["state"] == "running" and data["percent"] == 25 and data["scheduler_running"]
    assert data["message"] == "Running: Encoding questions 40 of 160."


def test_a_request_not_taken_yet_can_be_withdrawn(db, make_user):
    admin = make_user(Role.ADMIN)
    database.session.commit()
    request = request_job("index_check", by=admin)
    database.session.commit()
    assert cancel_request(request.id, by=admin)
    database.session.commit()
    assert job_activity(database.session, "index_check").state == "cancelled"
    database.session.commit()
    assert poll_requests() == 0
    taken = request_job("index_check", by=admin)  # withdrawn: no longer blocks a new one
    database.session.commit()
    assert take_request().id == taken.id
    assert not cancel_request(taken.id, by=admin)  # taken: it runs to the end
    with pytest.raises(RequestRefused) as refused:
        cancel_request(taken.id, by=make_user(Role.TRAINER))
    assert refused.value.status == 404


def test_a_request_taken_by_a_process_that_died_ends(db, make_user):
    admin = make_user(Role.ADMIN)
    long_ago = utcnow() - timedelta(days=1)
    database.session.add(
        JobRequest(
            job_id="retention",
            requested_by_id=admin.id,
            status=RequestStatus.RUNNING,
            active_job="retention",
            worker="nohost-that-exists:1",
            picked_at=long_ago,
        )
    )
    database.session.commit()
    assert job_activity(database.session, "retention").state == "failed"
    database.session.commit()
    mark_dead_runs()
    database.session.commit()
    (request,) = requests_of("retention")
    assert request.status == RequestStatus.FINISHED and request.active_job is None
    request_job("retention", by=admin)  # may be asked for again
