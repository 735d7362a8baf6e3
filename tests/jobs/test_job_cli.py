"""`consultkb jobs list|start|runs` and `consultkb reports generate|list|export|send` as an administrator uses them."""

from __future__ import annotations

import json

import openpyxl
import sqlalchemy as sa

from jobs.models import JobRun, Report
from records.db import db as database
from records.db import read_session


def invoke(app, *args: str):
    database.session.commit()  # the commands write in sessions of their own: ours must not hold SQLite's write lock
    return app.test_cli_runner().invoke(args=list(args))


def test_jobs_list_start_and_runs(app, db):
    listed = invoke(app, "jobs", "list", "--json")
    assert listed.exit_code == 0, listed.output
    jobs = {job["id"]: job for job in json.loads(listed.output)}
    assert set(jobs) == {
        "weekly_report",
        "monthly_report",
        "retention",
        "proposal_refresh",
        "gap_refresh",
        "index_check",
        "database_statistics",
        "report_days",
        "missing_scores",
        "sla_reminders",
        "close_disputes",
        "rescore",
    }
    assert jobs["weekly_report"]["next_run"] and jobs["weekly_report"]["last_run"] is None
    # On request only: no schedule, no next run.
    assert jobs["rescore"]["schedule"] == "" and jobs["rescore"]["next_run"] is None

    started = invoke(app, "jobs", "start", "index_check")
    assert started.exit_code == 0, started.output
    assert json.loads(started.output)["rebuilt"] is False
    unknown = invoke(app, "jobs", "start", "backup")
    assert unknown.exit_code == 2 and "no job 'backup'" in unknown.output

    runs = json.loads(invoke(app, "jobs", "runs", "--json").output)
    assert [(run["job_id"], run["status"], run["trigger"]) for run in runs] == [("index_check", "succeeded", "cli")]
    text = invoke(app, "jobs", "list").output
    assert "index_check" in text and "succeeded" in text


def test_reports_generate_once_list_and_export(app, db, make_record, tmp_path):
    make_record(contacted_at="2026-10-14 09:00")
    made = invoke(app, "reports", "generate", "--kind", "monthly", "--period", "2026-10")
    assert made.exit_code == 0 and made.output.startswith("Built: monthly report 2026-10")
    again = invoke(app, "reports", "generate", "--kind", "monthly", "--period", "2026-10")
    assert again.exit_code == 0 and again.output.startswith("Already made")
    with read_session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Report)) == 1
        assert [run.job_id for run in session.scalars(sa.select(JobRun))] == ["monthly_report", "monthly_report"]

    bad = invoke(app, "reports", "generate", "--kind", "monthly", "--period", "October")
    assert bad.exit_code == 2 and "like 2026-10" in bad.output

    listed = json.loads(invoke(app, "reports", "list", "--json").output)
    assert [(row["kind"], row["period"], row["status"]) for row in listed] == [("monthly", "2026-10", "ready")]

    for fmt in ("pdf", "xlsx", "csv", "html", "json"):
        target = tmp_path / f"october.{fmt}"
        exported = invoke(
            app, "reports", "export", "--kind", "monthly", "--period", "2026-10", "--format", fmt, "-o", str(target)
        )
        assert exported.exit_code == 0, exported.output
    assert (tmp_path / "october.pdf").read_bytes().startswith(b"%PDF")
    assert openpyxl.load_workbook(tmp_path / "october.xlsx").sheetnames
    assert json.loads((tmp_path / "october.json").read_text())["figures"]["period"] == "2026-10"
    assert "2026-10" in (tmp_path / "october.html").read_text()

    missing = invoke(
        app,
        "reports",
        "export",
        "--kind",
        "weekly",
        "--period",
        "2026-W40",
        "--format",
        "pdf",
        "-o",
        str(tmp_path / "x.pdf"),
    )
    assert missing.exit_code == 2 and "No finished weekly report" in missing.output
    assert not (tmp_path / "x.pdf").exists()
    unmailed = invoke(app, "reports", "send", "--kind", "monthly", "--period", "2026-10")
    assert unmailed.exit_code == 2 and "MAIL_SERVER" in unmailed.output


def test_the_missing_scores_job_stores_scores_once(app, db, make_record):
    import sqlalchemy as sa

    from scoring.models import RecordScore

    record = make_record()
    db.session.execute(sa.delete(RecordScore).where(RecordScore.record_id == record.id))  # as if older than scoring
    db.session.commit()
    first = invoke(app, "jobs", "start", "missing_scores")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["scored"] == 1
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(RecordScore).where(RecordScore.record_id == record.id)
    )
    again = invoke(app, "jobs", "start", "missing_scores")
    assert json.loads(again.output)["scored"] == 0
