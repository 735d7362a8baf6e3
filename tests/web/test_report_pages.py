"""Report, job and dashboard pages and their API: who may see what, downloads, and bad input."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from jobs.reports import generate_report
from records.db import db as database
from records.enums import Role
from records.timeutil import to_local, utcnow


@pytest.fixture
def monthly_report(make_record):
    last_month = (to_local(utcnow()).date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    make_record(
        contacted_at=f"{last_month}-10 10:00",
        customer={"name": "王小明", "phone": "13912345678"},
        problem_description="客户王小明反映10日起App登录提示“密码错误”，手机号13912345678，版本5.2.1。",
    )
    database.session.commit()
    return generate_report("monthly", last_month).report.period


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.TRAINER, Role.ADMIN])
def test_report_readers_see_the_report_and_download_it(client, login_as, monthly_report, role):
    login_as(role)
    listing = client.get("/reports")
    assert listing.status_code == 200 and monthly_report in listing.get_data(as_text=True)
    page = client.get(f"/reports/monthly/{monthly_report}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html
    # Example records are masked: neither the phone number nor the name appears.
    assert "13912345678" not in html and "王小明" not in html
    pdf = client.get(f"/reports/monthly/{monthly_report}/download/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    xlsx = client.get(f"/reports/monthly/{monthly_report}/download/xlsx")
    assert openpyxl.load_workbook(io.BytesIO(xlsx.data)).sheetnames
    csv = client.get(f"/reports/monthly/{monthly_report}/download/csv")
    assert csv.data.startswith(b"\xef\xbb\xbf") and b"13912345678" not in csv.data


def test_agents_see_no_reports_or_jobs(client, login_as, monthly_report):
    login_as(Role.AGENT)
    assert client.get("/reports").status_code == 403
    assert client.get(f"/reports/monthly/{monthly_report}").status_code == 403
    assert client.get("/admin/jobs").status_code == 403


def test_unknown_reports_and_formats_are_404(client, login_as, monthly_report):
    login_as(Role.SUPERVISOR)
    assert client.get("/reports/monthly/2019-01").status_code == 404
    assert client.get("/reports/monthly/2026-13").status_code == 404
    assert client.get("/reports/yearly/2026").status_code == 404
    assert client.get(f"/reports/monthly/{monthly_report}/download/docx").status_code == 404


def test_only_admins_make_reports_and_bad_periods_are_explained(client, login_as):
    login_as(Role.SUPERVISOR)
    assert client.post("/reports", data={"kind": "weekly"}).status_code == 403
    login_as(Role.ADMIN)
    bad = client.post("/reports", data={"kind": "weekly", "period": "2026-W60"}, follow_redirects=True)
    assert bad.status_code == 200 and "there is no week 60" in bad.get_data(as_text=True)
    made = client.post("/reports", data={"kind": "weekly", "period": ""}, follow_redirects=True)
    html = made.get_data(as_text=True)
    assert made.status_code == 200 and "报告已生成" in html and 'class="consultkb-report"' in html
    assert "/download/pdf" in html


def test_admins_see_jobs_and_runs(client, login_as):
    from jobs.scheduling import run_now

    run_now("index_check", trigger="cli:test")
    login_as(Role.ADMIN)
    page = client.get("/admin/jobs").get_data(as_text=True)
    for job_id in ("weekly_report", "monthly_report", "retention", "proposal_refresh", "index_check"):
        assert job_id in page
    assert "cli:test" in page
    # The job descriptions in the page's language (Chinese by default), as the CLI keeps them in English.
    assert "核对搜索索引与数据库是否一致" in page and "Check the search index" not in page


def test_a_run_whose_process_died_shows_as_stale_and_stays_as_stored(client, make_user, token_for, sign_in):
    from jobs.models import JobRun, RunStatus

    database.session.add(
        JobRun(job_id="retention", worker="nohost-that-exists:1", output={}, started_at=utcnow() - timedelta(days=1))
    )
    database.session.commit()
    admin = make_user(Role.ADMIN)
    runs = client.get("/api/v1/jobs/runs", headers=token_for(admin)).get_json()["items"]
    assert [(run["status"], run["stale"]) for run in runs] == [("running", True)]
    sign_in(admin)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert page.count("已中断") == 2  # the job's last run and the run in the list
    # Reading marked nothing: the scheduler does that (jobs.runs.mark_dead_runs).
    database.session.expire_all()
    assert database.session.scalar(sa.select(JobRun.status)) == RunStatus.RUNNING


def test_the_dashboard_lists_overdue_follow_ups_of_the_records_one_may_see(client, login_as, make_user, make_record):
    login_as(Role.SUPERVISOR)  # of 客服A组
    due = (to_local(utcnow()).date() - timedelta(days=3)).isoformat()
    mine = make_record(
        agent=make_user(Role.AGENT),
        status="pending",
        follow_ups=[{"action": "回电确认退款到账", "owner": "客服A组-王", "due": due}],
    ).number
    other = make_record(
        agent=make_user(Role.AGENT, team="客服B组"),
        status="pending",
        follow_ups=[{"action": "补发发票", "owner": "客服B组-李", "due": due}],
    ).number
    database.session.commit()
    html = client.get("/dashboard").get_data(as_text=True)
    assert mine in html and "回电确认退款到账" in html
    assert other not in html and "补发发票" not in html


def test_api_reports_jobs_and_alerts(client, make_user, token_for, monthly_report):
    admin = token_for(make_user(Role.ADMIN))
    agent = token_for(make_user(Role.AGENT))
    listing = client.get("/api/v1/reports", headers=admin).get_json()
    assert [item["period"] for item in listing["items"]] == [monthly_report]
    detail = client.get(f"/api/v1/reports/monthly/{monthly_report}", headers=admin).get_json()
    assert detail["figures"]["period"] == monthly_report
    pdf = client.get(f"/api/v1/reports/monthly/{monthly_report}/export?format=pdf", headers=admin)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/api/v1/reports/monthly/{monthly_report}/export?format=doc", headers=admin).status_code == 422
    again = client.post("/api/v1/reports", json={"kind": "monthly", "period": monthly_report}, headers=admin)
    assert again.status_code == 200 and again.get_json()["action"] == "exists"
    bad = client.post("/api/v1/reports", json={"kind": "monthly", "period": "2026-99"}, headers=admin)
    assert bad.status_code == 422 and "period" in bad.get_json()["errors"]["json"]
    assert client.post("/api/v1/reports", json={"kind": "weekly"}, headers=agent).status_code == 403
    assert client.get("/api/v1/reports", headers=agent).status_code == 403
    jobs = client.get("/api/v1/jobs", headers=admin).get_json()["items"]
    assert {job["id"] for job in jobs} >= {"weekly_report", "retention"}
    assert all(job["next_run"] for job in jobs if job["schedule"])  # the rescore runs only on request
    assert client.get("/api/v1/jobs", headers=agent).status_code == 403
    alerts = client.get("/api/v1/alerts", headers=agent).get_json()
    assert alerts["overdue_follow_up_total"] == 0 and alerts["sla_breaches"] == []
