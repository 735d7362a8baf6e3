"""The job list in APScheduler's database store, the scheduler process catching up on a missed report, and the
jobs' own work (index check, proposal refresh) as a scheduled run does it."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from jobs import scheduling
from jobs.models import JobRun, Report, RunStatus, scheduler_jobs
from jobs.scheduling import JOBS, build_scheduler, missed_reports, next_run, run_now, serve
from records.db import db as database
from records.db import read_session
from records.timeutil import utcnow


@pytest.fixture
def configured(app):
    saved = {key: app.config.get(key) for key in ("JOB_SCHEDULES", "JOBS_DISABLED")}
    yield app.config
    app.config.update(saved)


def stored_jobs() -> dict[str, float]:
    with database.engine.connect() as connection:
        return dict(connection.execute(sa.select(scheduler_jobs.c.id, scheduler_jobs.c.next_run_time)).all())


def test_every_job_is_stored_with_its_schedule_and_disabled_ones_are_removed(app, db, configured):
    configured["JOB_SCHEDULES"] = {"weekly_report": "30 7 * * mon"}
    scheduler = build_scheduler(app)
    try:
        # The rescore runs only when asked for: it has no schedule to store.
        assert set(stored_jobs()) == {job.id for job in JOBS if job.crontab}
        weekly = scheduler.get_job("weekly_report")
        assert str(weekly.trigger) == "cron[month='*', day='*', day_of_week='mon', hour='7', minute='30']"
        assert weekly.coalesce and weekly.max_instances == 1 and weekly.misfire_grace_time == 6 * 3600
        assert scheduler.get_job("proposal_refresh").trigger.fields[6].expressions[0].first == 15  # minute 15
        assert str(scheduler.timezone) == "Asia/Shanghai"
    finally:
        scheduler.shutdown(wait=False)
    configured["JOBS_DISABLED"] = ["proposal_refresh"]
    build_scheduler(app).shutdown(wait=False)
    assert "proposal_refresh" not in stored_jobs() and "weekly_report" in stored_jobs()


def test_next_run_follows_the_schedule_in_local_time(db):
    monthly = scheduling.JOBS_BY_ID["monthly_report"]
    # 2026-11-30 23:00 UTC is 1 December 07:00 in Shanghai: the monthly report is due an hour later.
    upcoming = next_run(monthly, now=utcnow().replace(year=2026, month=11, day=30, hour=23, minute=0))
    assert (upcoming.month, upcoming.day, upcoming.hour, upcoming.minute) == (12, 1, 8, 0)


def test_the_scheduler_makes_a_report_missed_while_it_was_down(app, db, configured):
    configured["JOBS_DISABLED"] = ["proposal_refresh", "retention", "index_check", "monthly_report"]
    assert missed_reports() == ["weekly_report"]
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(app,), kwargs={"stop": stop})
    thread.start()
    try:
        for _ in range(300):
            with read_session() as session:
                runs = session.scalars(sa.select(JobRun).where(JobRun.status != RunStatus.RUNNING)).all()
                if runs:
                    break
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(30)
    assert [(run.job_id, run.status, run.trigger) for run in runs] == [
        ("weekly_report", RunStatus.SUCCEEDED, "scheduler")
    ]
    with read_session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Report)) == 1
    assert missed_reports() == []


def test_the_index_check_rebuilds_an_index_that_lost_a_document(app, db, make_article):
    from kb.search import search_service

    kept = make_article(title="如何修改登录密码").id
    lost = make_article(title="How do I change my card PIN?").id
    database.session.commit()
    assert run_now("index_check", trigger="cli:test")["rebuilt"] is False
    # A document gone from the index while its state still claims to be current (a restored backup, a crash):
    # catching up by the state token cannot see it; only the document-by-document check can.
    index = search_service(app).text_index
    index.apply([], [lost], index.token())
    assert set(index.indexed_versions()) == {kept}
    output = run_now("index_check", trigger="cli:test")
    assert output["rebuilt"] is True and output["missing"] == [lost] and output["articles"] == 2
    assert set(index.indexed_versions()) == {kept, lost}
    assert run_now("index_check", trigger="cli:test")["rebuilt"] is False


def test_the_proposal_refresh_runs_as_a_job(db):
    output = run_now("proposal_refresh", trigger="cli:test")
    assert output["records"] == 0
    with read_session() as session:
        (run,) = session.scalars(sa.select(JobRun)).all()
    assert run.status == RunStatus.SUCCEEDED and run.output["records"] == 0


def test_the_database_statistics_job_leaves_statistics_the_planner_reads(db, make_record):
    for day in (1, 2, 3):
        make_record(contacted_at=f"2025-06-0{day} 09:00")
    assert run_now("database_statistics", trigger="cli:test") == {"analyzed": database.engine.dialect.name}
    with read_session() as session:
        if database.engine.dialect.name == "sqlite":
            analyzed = session.scalars(sa.text("SELECT DISTINCT tbl FROM sqlite_stat1")).all()
        else:
            analyzed = session.scalars(
                sa.text("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
            ).all()
    assert "records" in analyzed


def test_the_scheduler_marks_runs_whose_process_died_failed(app, db, monkeypatch):
    database.session.add(JobRun(job_id="retention", worker="nohost-that-exists:1", output={}))
    database.session.execute(sa.update(JobRun).values(started_at=utcnow().replace(year=2020)))
    database.session.commit()
    monkeypatch.setattr(scheduling, "_app", app)
    scheduling.mark_dead_runs_now()  # what the scheduler runs every DEAD_RUN_SWEEP
    with read_session() as session:
        run = session.scalars(sa.select(JobRun)).one()
    assert run.status == RunStatus.FAILED and "stopped before the job finished" in run.error
