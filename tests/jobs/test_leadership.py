"""One scheduler leads: the lock (PostgreSQL advisory lock, SQLite refuses a second), heartbeats, one run per
scheduled occurrence, and runs missed during a takeover kept. Two real processes and a SIGKILL:
tests/system/test_scheduler_failover.py."""

from __future__ import annotations

import gc
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from jobs import leadership, scheduling
from jobs.leadership import FileLease, PostgresLease, SchedulerRefused, heartbeat, make_lease, scheduler_status
from jobs.models import JobRequest, JobRun, RequestStatus, RunStatus, SchedulerProcess
from jobs.runs import AlreadyRun, run_job, this_worker, worker_alive
from jobs.scheduling import build_scheduler, previous_fire_time, serve
from records.db import db as database
from records.db import read_session
from records.timeutil import utcnow


def on_postgresql() -> bool:
    return database.engine.dialect.name == "postgresql"


@pytest.fixture
def quiet_jobs(app):
    """Only the weekly report is scheduled (on a far-off schedule), and the lock and requests are polled fast."""
    keys = ("JOB_SCHEDULES", "JOBS_DISABLED", "JOB_LEADER_POLL_SECONDS", "JOB_REQUEST_POLL_SECONDS")
    saved = {key: app.config.get(key) for key in keys}
    app.config["JOBS_DISABLED"] = [job.id for job in scheduling.JOBS if job.id != "index_check"]
    app.config["JOB_LEADER_POLL_SECONDS"] = 0.2
    app.config["JOB_REQUEST_POLL_SECONDS"] = 0.2
    yield app.config
    app.config.update(saved)


def test_sqlite_refuses_a_second_scheduler_clearly(tmp_path):
    first = FileLease(tmp_path / "consultkb.db.scheduler.lock")
    assert first.acquire()
    second = FileLease(tmp_path / "consultkb.db.scheduler.lock")
    refused = r"Another scheduler \(.+:\d+\) is running on this SQLite database \(.+/consultkb\.db\)"
    with pytest.raises(SchedulerRefused, match=refused):
        second.acquire()
    first.release()
    assert second.acquire()  # the first one stopped: the next may run
    second.release()


def test_the_cli_exits_with_the_reason_when_another_scheduler_runs(app, db, monkeypatch):
    if on_postgresql():
        pytest.skip("on PostgreSQL a second scheduler stands by instead")
    monkeypatch.setattr("signal.signal", lambda *args: None)
    held = make_lease()
    assert isinstance(held, FileLease) and held.acquire()
    try:
        database.session.commit()
        result = app.test_cli_runner().invoke(args=["jobs", "run"])
    finally:
        held.release()
    assert result.exit_code == 2
    assert "Another scheduler" in result.output and "runs one scheduler" in result.output


def test_postgresql_lets_one_process_lead_and_the_next_take_over_when_its_session_ends(app, db):
    if not on_postgresql():
        pytest.skip("the advisory lock is PostgreSQL's")
    leader, standby = PostgresLease(database.engine.url), PostgresLease(database.engine.url)
    try:
        assert leader.acquire() and leader.still_held()
        assert not standby.acquire()
        # The leader's session ends as a killed process's does (its socket gone): the lock goes with it.
        backend = leader.connection.scalar(sa.select(sa.func.pg_backend_pid()))
        with database.engine.connect() as other:
            other.execute(sa.select(sa.func.pg_terminate_backend(backend)))
        for _ in range(50):
            if standby.acquire():
                break
            time.sleep(0.1)
        assert standby.held
        assert not leader.still_held()  # it notices and stops scheduling
        assert not leader.acquire()  # and stands by: the lock is the other's now
    finally:
        leader.release()
        standby.release()


def test_a_scheduled_occurrence_runs_once(db):
    occurrence = datetime(2026, 12, 7, 0, 15)
    ran = []
    run_job("database_statistics", lambda: ran.append(1) or {}, scheduled_for=occurrence)
    with pytest.raises(AlreadyRun):
        run_job("database_statistics", lambda: ran.append(2) or {}, scheduled_for=occurrence)
    run_job("database_statistics", lambda: ran.append(3) or {}, scheduled_for=occurrence + timedelta(hours=1))
    run_job("database_statistics", lambda: ran.append(4) or {})  # by hand: no occurrence
    run_job("database_statistics", lambda: ran.append(5) or {})
    assert ran == [1, 3, 4, 5]
    with read_session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 4


def test_the_occurrence_is_the_newest_fire_time_not_after_now(db):
    trigger = scheduling.job_trigger(scheduling.JOBS_BY_ID["proposal_refresh"])  # :15 every hour
    tz = trigger.timezone
    now = datetime(2026, 12, 7, 10, 15, 3, tzinfo=tz)
    assert previous_fire_time(trigger, now, timedelta(hours=6)) == datetime(2026, 12, 7, 10, 15, tzinfo=tz)
    assert previous_fire_time(trigger, now - timedelta(seconds=4), timedelta(hours=6)) == datetime(
        2026, 12, 7, 9, 15, tzinfo=tz
    )
    assert previous_fire_time(trigger, now, timedelta(minutes=10)) == datetime(2026, 12, 7, 10, 15, tzinfo=tz)
    assert previous_fire_time(trigger, now - timedelta(seconds=4), timedelta(minutes=10)) is None


def test_a_run_missed_while_no_scheduler_ran_is_kept_when_the_next_one_starts(app, db):
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    build_scheduler(app).shutdown(wait=False)
    # The stored next run lies in the past: no scheduler ran when it was due (down, or taking over).
    store = SQLAlchemyJobStore(engine=database.engine, tablename="apscheduler_jobs")
    missed = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    job = store.lookup_job("retention")
    job.next_run_time = missed
    store.update_job(job)
    scheduler = build_scheduler(app)
    try:
        # Not recomputed from now (which would silently drop the missed run): it runs once when resumed.
        assert scheduler.get_job("retention", jobstore="default").next_run_time == missed
        assert scheduler.get_job("weekly_report", jobstore="default").next_run_time > datetime.now(UTC)
    finally:
        scheduler.remove_all_jobs()  # a paused scheduler still fires due jobs as it shuts down
        scheduler.shutdown(wait=False)


def test_heartbeats_say_who_leads_and_a_new_leader_marks_the_old_one_gone(db):
    now = utcnow()
    database.session.add(SchedulerProcess(worker="other-host:41", role="leader", started_at=now, seen_at=now))
    database.session.commit()
    status = scheduler_status(database.session, now)
    assert status["running"] and status["leader"].worker == "other-host:41"
    # A claim of that scheduler on another host lives as long as its heartbeat.
    assert worker_alive("other-host:41", now - timedelta(days=1), now)
    database.session.commit()

    heartbeat("leader", started_at=now, now=now)
    database.session.expire_all()
    roles = dict(database.session.execute(sa.select(SchedulerProcess.worker, SchedulerProcess.role)).all())
    assert roles == {"other-host:41": "gone", this_worker(): "leader"}
    assert not worker_alive("other-host:41", now, now)
    assert scheduler_status(database.session, now)["leader"].worker == this_worker()
    # Silent for longer than SCHEDULER_SILENT_AFTER: no scheduler runs, as far as the pages can tell.
    later = now + timedelta(minutes=5)
    assert not scheduler_status(database.session, later)["running"]


def test_the_scheduler_leads_runs_requests_and_signs_off(app, db, quiet_jobs, make_user):
    admin = make_user(role="admin")
    queued = JobRequest(job_id="index_check", requested_by_id=admin.id, status=RequestStatus.QUEUED)
    queued.active_job = "index_check"
    database.session.add(queued)
    database.session.commit()
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(app,), kwargs={"stop": stop})
    thread.start()
    try:
        for _ in range(300):
            with read_session() as session:
                request = session.scalars(sa.select(JobRequest)).one()
                leader = scheduler_status(session)["leader"]
            if request.status == RequestStatus.FINISHED:
                break
            time.sleep(0.1)
        assert leader is not None and leader.worker == this_worker()
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
    with read_session() as session:
        run = session.get(JobRun, request.run_id)
        assert run.status == RunStatus.SUCCEEDED and run.trigger == f"web:{admin.username}"
        assert session.scalar(sa.select(sa.func.count()).select_from(SchedulerProcess)) == 0  # signed off
    assert leadership.poll_seconds(app) == 0.2


# Killing a backend under a live pool can leave psycopg to close a connection from its finaliser, which pytest reports
# (as an unraisable ResourceWarning) in whichever test the garbage collector happens to run; seen once in a full
# PostgreSQL run under load, never alone. What this test checks is the takeover, not the pool's housekeeping.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_leader_that_loses_its_lock_connection_stops_and_leads_again_when_it_can(app, db, quiet_jobs, caplog):
    if not on_postgresql():
        pytest.skip("the advisory lock is PostgreSQL's")
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(app,), kwargs={"stop": stop})
    thread.start()

    def lock_backends() -> list[int]:
        with database.engine.connect() as connection:
            return list(
                connection.scalars(
                    sa.text(
                        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND classid = :classid AND objid = :objid"
                    ),
                    {"classid": leadership.LEADER_LOCK[0], "objid": leadership.LEADER_LOCK[1]},
                )
            )

    def wait_for(check) -> None:
        for _ in range(200):
            if check():
                return
            time.sleep(0.05)
        raise AssertionError("not within 10 s")

    try:
        wait_for(lambda: len(lock_backends()) == 1)
        (first,) = lock_backends()
        with database.engine.connect() as connection:  # the connection dies as a network failure would end it
            connection.execute(sa.select(sa.func.pg_terminate_backend(first)))
        wait_for(lambda: lock_backends() not in ([], [first]))
        assert "lost its lock" in caplog.text
        with read_session() as session:
            assert scheduler_status(session)["leader"].worker == this_worker()
    finally:
        stop.set()
        thread.join(30)
        # Run that finaliser now, while this test ignores it: left to the collector it surfaced as an error in the
        # setup of whichever test came next (tests/jobs/test_reminders.py in a PostgreSQL run on 2026-12-07).
        gc.collect()
    assert not thread.is_alive() and lock_backends() == []
