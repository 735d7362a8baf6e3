"""A job started in the browser (Chromium, Playwright) is run by the scheduler process beside gunicorn, and the page
follows it to the end by itself (web/static/job_progress.js), under the site's Content-Security-Policy.

Its own empty database: an administrator, gunicorn and `consultkb jobs run`; nothing else is needed.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.system.conftest import BIN, PASSWORD, ROOT, Site, _drop, _recreate, stop_group
from tests.system.test_journeys import browser_page, shot


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    name = "consultkb_system_job_requests"
    _recreate(name)
    site = Site(name, tmp_path_factory.mktemp("job_requests") / "data")
    site.cli("db", "upgrade")
    site.cli("users", "create", "sys_admin", "--role", "admin", "--password", PASSWORD)
    site.serve(workers=2)
    log = site.data_dir.parent / "scheduler.log"
    with log.open("w") as out:
        scheduler = subprocess.Popen(
            [str(BIN / "consultkb"), "jobs", "run"],
            cwd=ROOT,
            env=site.env(CONSULTKB_JOB_REQUEST_POLL_SECONDS="1", CONSULTKB_JOB_LEADER_POLL_SECONDS="1"),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    yield site
    stop_group(scheduler)
    site.stop()
    _drop(name)


def test_run_now_in_the_browser_runs_in_the_scheduler_and_the_page_follows_it(site: Site) -> None:
    from tests.system.test_journeys import sign_in

    deadline = time.monotonic() + 90
    while not site.sql("SELECT 1 FROM job_schedulers WHERE role = 'leader'") and time.monotonic() < deadline:
        time.sleep(0.2)
    with browser_page() as page:
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        sign_in(page, site, "sys_admin", PASSWORD)
        page.goto(f"{site.base_url}/admin/rubric")
        page.locator("form[action='/jobs/rescore/requests'] button").click()
        page.wait_for_load_state("networkidle")
        shot(page, "jobs-1-rescore-started")
        assert "/admin/rubric" in page.url and "已启动" in page.locator(".alert").first.inner_text()
        # The script polls the status until the scheduler has run it, then offers the result.
        page.locator("[data-job-finished]").wait_for(state="visible", timeout=60_000)
        shot(page, "jobs-2-rescore-finished")
        assert page.locator("[data-job-message]").inner_text() == "已完成。"
        assert page.locator("[data-job-activity] form").count() == 0  # no withdraw button left
        assert not errors, errors  # no script refused by the CSP, no failed request
    rows = site.sql("SELECT job_runs.status, job_runs.trigger FROM job_runs WHERE job_id = 'rescore'")
    assert rows == [("succeeded", "web:sys_admin")]
    assert site.sql("SELECT status, active_job FROM job_requests") == [("finished", None)]


def test_the_jobs_page_shows_the_scheduler(site: Site) -> None:
    from tests.system.test_journeys import sign_in

    with browser_page() as page:
        sign_in(page, site, "sys_admin", PASSWORD)
        page.goto(f"{site.base_url}/admin/jobs")
        page.wait_for_load_state("networkidle")
        shot(page, "jobs-3-jobs-page")
        text = page.locator("main").inner_text() if page.locator("main").count() else page.content()
        assert "调度器自" in text and "立即运行" in text
