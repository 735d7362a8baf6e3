"""Phones: the staff pages agents open on the move and every customer page, at 390 px wide in Debian's Chromium,
never scroll the page body sideways. Screenshots in bench/out/journeys/phone-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from tests.system.conftest import PASSWORD, Site, demo_logins
from tests.system.test_journeys import CHROMIUM, shot, sign_in

PHONE = {"width": 390, "height": 844}
#: How far the page body reaches beyond the viewport, and what sticks out (elements not inside a scrolling box).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const inScroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  const out = [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > width + 1 && !inScroller(el))
    .slice(0, 5).map((el) => el.tagName + '.' + el.className);
  return {scroll: document.documentElement.scrollWidth, width, out};
}"""


@contextmanager
def phone_page(locale: str) -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(locale=locale, viewport=PHONE, is_mobile=True, has_touch=True)
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def assert_fits(page, site: Site, path: str, name: str) -> None:
    response = page.goto(f"{site.base_url}{path}")
    page.wait_for_load_state("networkidle")
    assert response is not None and response.status == 200, (path, response and response.status)
    shot(page, f"phone-{name}")
    measured = page.evaluate(OVERFLOW)
    assert measured["scroll"] <= measured["width"], (path, measured)


def a_record_of(site: Site, username: str) -> str:
    rows = site.sql(
        "SELECT r.number FROM records r JOIN users u ON u.id = r.agent_id WHERE u.username = %s "
        "AND r.archived_at IS NULL ORDER BY length(r.problem_description) DESC LIMIT 1",
        username,
    )
    return rows[0][0]


@pytest.mark.parametrize("role, locale", [("agent", "zh-CN"), ("supervisor", "en-US"), ("admin", "zh-CN")])
def test_staff_pages_fit_a_phone(served: Site, role: str, locale: str) -> None:
    username, password = demo_logins(served)[role]
    record = a_record_of(served, demo_logins(served)["agent"][0]) if role != "agent" else a_record_of(served, username)
    with phone_page(locale) as page:
        sign_in(page, served, username, password)
        assert_fits(page, served, "/records", f"{role}-records")
        assert_fits(page, served, "/dashboard", f"{role}-dashboard")
        if role != "supervisor":  # the agent's record may belong to another team than the supervisor's
            assert_fits(page, served, f"/records/{record}", f"{role}-record")


@pytest.mark.parametrize("role, locale", [("admin", "en-US"), ("admin", "zh-CN"), ("supervisor", "en-US")])
def test_work_and_figure_pages_fit_a_phone(served: Site, role: str, locale: str) -> None:
    """The worklist, notifications, scoring figures, reports, jobs, rubric and assignment pages: wide tables scroll
    in their own box (the rubric's hidden labels too), never the page."""
    username, password = demo_logins(served)[role]
    paths = ["/worklist", "/notifications", "/scoring/performance", "/help/insights", "/reports"]
    if role == "admin":
        paths += ["/admin/jobs", "/admin/rubric", "/admin/assignment"]
    with phone_page(locale) as page:
        sign_in(page, served, username, password)
        for path in paths:
            assert_fits(page, served, path, f"{role}-{path.strip('/').replace('/', '-')}-{locale}")


def test_customer_pages_fit_a_phone(served: Site) -> None:
    headers = served.token("sys_admin", PASSWORD)
    resolved = served.sql(
        "SELECT number FROM records WHERE status = 'resolved' AND archived_at IS NULL "
        "ORDER BY length(resolution) DESC LIMIT 1"
    )[0][0]
    made = requests.post(f"{served.base_url}/api/v1/records/{resolved}/customer-links", json={}, headers=headers)
    assert made.status_code == 201, made.text
    status_path = made.json()["url"].split("://", 1)[1].split("/", 1)[1]
    article = requests.get(f"{served.base_url}/api/v1/search", params={"q": "忘记密码"}).json()["results"][0]["id"]
    for locale in ("zh-CN", "en-US"):
        with phone_page(locale) as page:
            for path, name in (
                ("/help", "help"),
                ("/help?q=忘记密码", "help-search"),
                (f"/help/articles/{article}", "help-article"),
                ("/help/contact", "help-contact"),
                (f"/{status_path}", "help-status"),
            ):
                assert_fits(page, served, path, f"{name}-{locale}")
