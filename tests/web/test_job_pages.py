"""Starting jobs in the browser and the API: the jobs page's "run now", the proposal refresh on /kb/proposals, the
rescore on /admin/rubric, the status JSON the page polls, duplicate clicks, permissions and both languages. The
scheduler's part is called directly (jobs.requests.poll_requests), as its thread does."""

from __future__ import annotations

import sqlalchemy as sa

from jobs.models import JobRequest, JobRun, RequestStatus, SchedulerProcess
from jobs.requests import poll_requests
from jobs.runs import this_worker
from records.db import db as database
from records.enums import Role
from records.timeutil import utcnow


def english(client) -> None:
    client.post("/language", data={"language": "en"})


def a_scheduler_runs() -> None:
    database.session.add(SchedulerProcess(worker=this_worker(), role="leader", started_at=utcnow(), seen_at=utcnow()))
    database.session.commit()


def scheduler_poll() -> int:
    """What the scheduler's request thread does, after the test's session (shared with the requests) ends its
    transaction as a request does."""
    database.session.commit()
    return poll_requests()


def queued(job_id: str) -> list[JobRequest]:
    database.session.expire_all()
    return list(database.session.scalars(sa.select(JobRequest).where(JobRequest.job_id == job_id)))


def test_admins_run_a_job_now_and_follow_its_progress(client, login_as):
    login_as(Role.ADMIN)
    english(client)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert 'action="/jobs/index_check/requests"' in page and 'action="/jobs/rescore/requests"' in page
    assert "No scheduler is running" in page and "job_progress.js" in page and "consultkb jobs start" not in page

    a_scheduler_runs()
    started = client.post("/jobs/index_check/requests", data={"back": "jobs"}, follow_redirects=True)
    html = started.get_data(as_text=True)
    assert started.status_code == 200 and "Started: the scheduler runs it within a few seconds" in html
    assert "Queued: the scheduler starts it within a few seconds." in html
    assert f"The scheduler runs on {this_worker()}" in html
    # A second click while it waits starts nothing.
    again = client.post("/jobs/index_check/requests", data={"back": "jobs"}, follow_redirects=True)
    assert "already queued or running" in again.get_data(as_text=True)
    assert [request.status for request in queued("index_check")] == [RequestStatus.QUEUED]

    status = client.get("/jobs/index_check/status").get_json()
    assert status["state"] == "queued" and status["active"] and status["scheduler_running"]
    assert scheduler_poll() == 1
    status = client.get("/jobs/index_check/status").get_json()
    assert status["state"] == "succeeded" and not status["active"] and status["message"] == "Finished."
    assert "rebuilt" in status["output"]

    page = client.get("/admin/jobs?job=index_check").get_data(as_text=True)
    run = database.session.scalars(sa.select(JobRun)).one()
    assert "web:" in page and run.trigger.startswith("web:")


def test_without_a_scheduler_the_request_says_it_waits(client, login_as):
    login_as(Role.ADMIN)
    english(client)
    html = client.post("/jobs/retention/requests", data={"back": "jobs"}, follow_redirects=True).get_data(as_text=True)
    assert "Queued, but no scheduler is running" in html
    # A scheduler that went silent a while ago counts as none.
    database.session.add(
        SchedulerProcess(worker="gone-host:7", role="leader", started_at=utcnow(), seen_at=utcnow().replace(year=2025))
    )
    database.session.commit()
    assert not client.get("/jobs/retention/status").get_json()["scheduler_running"]
    # Withdrawn before it started.
    (request,) = queued("retention")
    withdrawn = client.post(f"/jobs/requests/{request.id}/cancel", data={"back": "jobs"}, follow_redirects=True)
    assert "The request was withdrawn." in withdrawn.get_data(as_text=True)
    assert client.get("/jobs/retention/status").get_json()["state"] == "cancelled"


def test_trainers_refresh_proposals_from_their_page_and_nothing_else(client, login_as):
    login_as(Role.TRAINER)
    english(client)
    listing = client.get("/kb/proposals").get_data(as_text=True)
    assert "Refresh proposals now" in listing and "consultkb kb propose" not in listing
    response = client.post("/jobs/proposal_refresh/requests", data={"back": "proposals"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/kb/proposals")
    assert len(queued("proposal_refresh")) == 1
    assert client.get("/jobs/proposal_refresh/status").get_json()["state"] == "queued"
    # The rest is for administrators: no request is made.
    assert client.post("/jobs/rescore/requests", data={"back": "rubric"}).status_code == 403
    assert client.get("/jobs/rescore/status").status_code == 403
    assert client.get("/admin/jobs").status_code == 403
    assert queued("rescore") == []

    scheduler_poll()
    status = client.get("/jobs/proposal_refresh/status").get_json()
    assert status["state"] == "succeeded" and status["output"]["records"] == 0
    assert client.get("/jobs/backup/status").status_code == 404


def test_agents_and_supervisors_start_nothing(client, login_as):
    for role in (Role.AGENT, Role.SUPERVISOR):
        login_as(role)
        assert client.post("/jobs/proposal_refresh/requests").status_code == 403
        assert client.get("/jobs/proposal_refresh/status").status_code == 403
        assert "/jobs/proposal_refresh/requests" not in client.get("/kb/proposals").get_data(as_text=True)
    assert queued("proposal_refresh") == []


def test_the_rubric_page_starts_a_rescore_in_chinese(client, login_as, make_record):
    make_record()
    login_as(Role.ADMIN)
    client.post("/language", data={"language": "zh_CN"})
    page = client.get("/admin/rubric").get_data(as_text=True)
    assert "开始重新评分" in page and "consultkb scoring rescore" not in page
    started = client.post("/jobs/rescore/requests", data={"back": "rubric"}, follow_redirects=True)
    html = started.get_data(as_text=True)
    assert "评分标准" in html and "调度器没有运行" in html and "撤回" in html
    scheduler_poll()
    status = client.get("/jobs/rescore/status").get_json()
    assert status["state"] == "succeeded" and status["message"] == "已完成。"
    assert status["stage_label"] == "正在为记录评分"
    assert (status["done"], status["total"]) == (1, 1)
    jobs_page = client.get("/admin/jobs").get_data(as_text=True)
    assert "立即运行" in jobs_page and "按需运行" in jobs_page


def test_the_run_history_is_paged(client, login_as, app):
    from jobs.runs import run_job

    for _ in range(app.config["RECORDS_PER_PAGE"] + 2):
        run_job("database_statistics", lambda: {"analyzed": "x"}, trigger="cli")
    login_as(Role.ADMIN)
    first = client.get("/admin/jobs").get_data(as_text=True)
    second = client.get("/admin/jobs?page=2").get_data(as_text=True)
    assert first.count("<td>cli</td>") == app.config["RECORDS_PER_PAGE"]
    assert second.count("<td>cli</td>") == 2 and 'href="/admin/jobs?page=1"' in second
    assert client.get("/admin/jobs?job=nonsense&page=x").status_code == 200


def test_starting_a_job_needs_the_csrf_token(app, client, login_as):
    login_as(Role.ADMIN)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert 'name="csrf_token" value="' in client.get("/admin/jobs").get_data(as_text=True)
        assert client.post("/jobs/index_check/requests", data={"back": "jobs"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert queued("index_check") == []


def test_the_api_requests_runs_once_and_reports_them(client, make_user, token_for):
    admin = token_for(make_user(Role.ADMIN))
    trainer = token_for(make_user(Role.TRAINER))
    agent = token_for(make_user(Role.AGENT))
    made = client.post("/api/v1/jobs/index_check/requests", headers=admin)
    assert made.status_code == 202 and made.get_json()["state"] == "queued"
    twice = client.post("/api/v1/jobs/index_check/requests", headers=admin)
    assert twice.status_code == 409 and "already queued or running" in twice.get_json()["message"]
    assert client.post("/api/v1/jobs/backup/requests", headers=admin).status_code == 404
    assert client.post("/api/v1/jobs/index_check/requests", headers=trainer).status_code == 403
    assert client.post("/api/v1/jobs/proposal_refresh/requests", headers=agent).status_code == 403
    assert client.post("/api/v1/jobs/proposal_refresh/requests", headers=trainer).status_code == 202

    listing = client.get("/api/v1/jobs", headers=admin).get_json()
    assert listing["scheduler"] == {"running": False, "leader": None, "standbys": []}
    activity = {job["id"]: job["activity"]["state"] for job in listing["items"]}
    assert activity["index_check"] == "queued" and activity["proposal_refresh"] == "queued"
    assert activity["retention"] == "idle"

    refresh_request = made.get_json()["request_id"] + 1
    assert client.delete(f"/api/v1/jobs/requests/{refresh_request}", headers=trainer).status_code == 204
    assert scheduler_poll() == 1
    status = client.get("/api/v1/jobs/index_check/status", headers=admin).get_json()
    assert status["state"] == "succeeded"
    assert client.delete(f"/api/v1/jobs/requests/{status['request_id']}", headers=admin).status_code == 409
    assert client.delete(f"/api/v1/jobs/requests/{2**40}", headers=admin).status_code == 404
    runs = client.get("/api/v1/jobs/runs?limit=1&offset=0", headers=admin).get_json()["items"]
    assert runs[0]["job_id"] == "index_check" and runs[0]["trigger"].startswith("web:")
    assert client.get("/api/v1/jobs/runs?offset=1", headers=admin).get_json()["items"] == []
    assert client.get("/api/v1/jobs/runs?offset=-1", headers=admin).status_code == 422
