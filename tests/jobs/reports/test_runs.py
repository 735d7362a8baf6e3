"""One report per (kind, period): re-runs, a killed run, two builders at once; every run in the job-run table."""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from jobs.models import JobRun, Report, ReportStatus, RunStatus
from jobs.reports import generate_report
from jobs.reports import operations as report_module
from jobs.runs import mark_dead_runs, run_is_stale, run_job
from jobs.scheduling import run_now
from records.db import db as database
from records.db import read_session

#: Mid-December 2026: the last complete month is 2026-11, the last complete ISO week 2026-W50.
NOW = datetime(2026, 12, 16, 4, 0)


def reports() -> list[Report]:
    # Read in a session of its own: objects of the app session would reload (and take SQLite's write lock) on access.
    with read_session() as session:
        return list(session.scalars(sa.select(Report).order_by(Report.id)))


def test_a_report_is_made_once_and_a_rerun_leaves_it(make_record):
    make_record(contacted_at="2026-11-10T10:00:00+08:00")
    database.session.commit()
    first = generate_report("monthly", "2026-11", now=NOW)
    assert first.action == "built" and first.report.status == ReportStatus.READY
    assert first.report.figures["period"] == "2026-11"
    again = generate_report("monthly", "2026-11", now=NOW)
    assert again.action == "exists" and again.report.id == first.report.id
    rebuilt = generate_report("monthly", "2026-11", force=True, now=NOW)
    assert rebuilt.action == "rebuilt" and rebuilt.report.id == first.report.id
    assert [(report.kind.value, report.period) for report in reports()] == [("monthly", "2026-11")]


def test_the_default_period_is_the_last_complete_one_and_unfinished_periods_are_refused(db):
    assert generate_report("weekly", now=NOW).report.period == "2026-W50"
    with pytest.raises(ValueError, match="not ended"):
        generate_report("monthly", "2026-12", now=NOW)
    with pytest.raises(ValueError):
        generate_report("monthly", "2026-13", now=NOW)
    with pytest.raises(ValueError):
        generate_report("yearly", "2026", now=NOW)
    assert [report.period for report in reports()] == ["2026-W50"]


def _build_and_die(app) -> None:
    # A process that claims the report and is killed (SIGKILL: no cleanup of any kind) while building it.
    with app.app_context():
        database.engine.dispose(close=False)

        def killed(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        report_module.build_figures = killed
        generate_report("weekly", "2026-W49", now=NOW)


def test_a_run_killed_mid_way_is_taken_over_by_the_next_run(app, db):
    child = multiprocessing.get_context("fork").Process(target=_build_and_die, args=(app,))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    (left,) = reports()
    assert left.status == ReportStatus.BUILDING and left.claimed_by.endswith(f":{child.pid}")
    outcome = generate_report("weekly", "2026-W49", now=NOW)
    assert outcome.action == "built" and outcome.report.id == left.id
    (done,) = reports()
    assert done.status == ReportStatus.READY and done.figures["period"] == "2026-W49"


def test_a_live_builder_is_not_disturbed(db):
    claimed = generate_report("weekly", "2026-W48", now=NOW).report
    database.session.execute(
        sa.update(Report).where(Report.id == claimed.id).values(status=ReportStatus.BUILDING, figures={})
    )
    database.session.commit()
    # This very process holds the claim, so it counts as alive: a second run must not take the report over.
    assert generate_report("weekly", "2026-W48", now=NOW).action == "busy"
    # A claim by another host is trusted until it is older than the stale limit.
    database.session.execute(
        sa.update(Report).where(Report.id == claimed.id).values(claimed_by="elsewhere:1", claimed_at=datetime.utcnow())
    )
    database.session.commit()
    assert generate_report("weekly", "2026-W48", now=NOW).action == "busy"
    database.session.execute(
        sa.update(Report).where(Report.id == claimed.id).values(claimed_at=datetime.utcnow() - timedelta(hours=3))
    )
    database.session.commit()
    assert generate_report("weekly", "2026-W48", now=NOW).action == "built"
    assert [report.status for report in reports()] == [ReportStatus.READY]


def _generate_in_child(app, queue) -> None:
    with app.app_context():
        database.engine.dispose(close=False)
        queue.put(generate_report("monthly", "2026-10", now=NOW).action)


def test_two_schedulers_at_once_make_one_report(app, db):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    children = [context.Process(target=_generate_in_child, args=(app, queue)) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    actions = sorted(queue.get(timeout=5) for _ in children)
    # One builds; the other finds it built or being built.
    assert actions[0] == "built" and actions[1] in ("busy", "exists")
    (report,) = reports()
    assert report.status == ReportStatus.READY


def test_runs_are_recorded_with_their_outcome(db):
    output = run_now("weekly_report", trigger="cli:test")
    assert output["action"] == "built"
    assert run_now("weekly_report", trigger="cli:test")["skipped"]

    def broken() -> dict:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        run_job("retention", broken, trigger="cli:test")
    database.session.expire_all()
    runs = database.session.scalars(sa.select(JobRun).order_by(JobRun.id)).all()
    assert [(run.job_id, run.status) for run in runs] == [
        ("weekly_report", RunStatus.SUCCEEDED),
        ("weekly_report", RunStatus.SKIPPED),
        ("retention", RunStatus.FAILED),
    ]
    assert "disk full" in runs[2].error and all(run.finished_at for run in runs)
    assert runs[0].output["report_id"] and runs[0].trigger == "cli:test"
    database.session.commit()


def test_a_run_whose_process_died_is_marked_failed(db):
    database.session.add(JobRun(job_id="retention", worker="nohost-that-exists:1", output={}))
    database.session.add(
        JobRun(job_id="index_check", worker="nohost-that-exists:2", output={}, started_at=datetime.utcnow())
    )
    database.session.execute(
        sa.update(JobRun).where(JobRun.job_id == "retention").values(started_at=NOW - timedelta(days=30))
    )
    database.session.commit()
    runs = database.session.scalars(sa.select(JobRun).order_by(JobRun.job_id)).all()
    assert [(run.job_id, run_is_stale(run)) for run in runs] == [("index_check", False), ("retention", True)]
    database.session.commit()
    assert mark_dead_runs() == 1
    database.session.expire_all()
    statuses = dict(database.session.execute(sa.select(JobRun.job_id, JobRun.status)).all())
    assert statuses == {"retention": RunStatus.FAILED, "index_check": RunStatus.RUNNING}
    database.session.commit()
