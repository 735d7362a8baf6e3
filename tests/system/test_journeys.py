"""Browser journeys in Debian's Chromium (Playwright), with a screenshot of each step in bench/out/journeys/."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.conftest import record_payload
from tests.system.conftest import OUT, PASSWORD, Site

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = OUT / "journeys"


@contextmanager
def browser_page() -> Iterator:
    """A fresh page in Debian's Chromium (installed by .ci/run), headless, loopback only."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def sign_in(page, site: Site, username: str, password: str) -> None:
    page.goto(f"{site.base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("form:has(#password) button").click()
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, page.content()[:500]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_customer_searches_in_chinese_opens_an_article_and_votes_helpful(served: Site) -> None:
    before = served.sql("SELECT count(*) FROM article_feedback")[0][0]
    with browser_page() as page:
        page.goto(f"{served.base_url}/help")
        page.fill("#help-q", "忘记密码怎么办")
        page.press("#help-q", "Enter")
        page.wait_for_load_state("networkidle")
        shot(page, "customer-1-search")
        first = page.locator("a[href*='/help/articles/']").first
        title = first.inner_text()
        first.click()
        page.wait_for_load_state("networkidle")
        assert title in page.content()
        shot(page, "customer-2-article")
        page.locator("button[name='helpful'][value='yes']").click()
        page.wait_for_load_state("networkidle")
        shot(page, "customer-3-voted")
    assert served.sql("SELECT count(*) FROM article_feedback")[0][0] == before + 1


def count(site: Site, table: str) -> int:
    return site.sql(f"SELECT count(*) FROM {table}")[0][0]


def test_an_agent_records_a_call_with_the_template_and_sees_its_score(served: Site) -> None:
    with browser_page() as page:
        sign_in(page, served, "sys_agent", PASSWORD)
        page.goto(f"{served.base_url}/records/new")
        page.fill("#f-contacted_at", "2026-11-20T14:30")
        page.select_option("#f-channel", "phone")
        page.fill("#f-duration_minutes", "12")
        page.fill("#f-customer_name", "李女士")
        page.fill("#f-customer_phone", "13912345678")
        page.select_option("#f-category", "malfunction")
        page.select_option("#f-subcategory", "login")
        page.fill(
            "#f-problem_description",
            "客户自11月18日起登录App提示“密码错误”，已确认密码无误，版本 5.9.1，订单 DD202611180001。",
        )
        page.fill("#f-customer_request", "希望今天恢复登录。")
        page.select_option("#f-emotion", "anxious")
        page.fill("#f-handling_steps", "核实账号状态\n引导清除缓存后重新登录")
        page.fill("#f-resolution", "重置登录状态后客户成功登录，客户确认问题解决。")
        page.select_option("#f-status", "resolved")
        page.select_option("#f-satisfaction", "5")
        shot(page, "agent-1-template")
        page.locator("form[method='post'] button[type='submit']").last.click()
        page.wait_for_load_state("networkidle")
        assert "/records/R" in page.url, page.content()[:2000]
        number = page.url.rsplit("/", 1)[-1]
        shot(page, "agent-2-saved")
        page.goto(f"{served.base_url}/records/{number}/score")
        page.wait_for_load_state("networkidle")
        shot(page, "agent-3-score")
        score = served.sql(
            "SELECT s.score FROM record_scores s JOIN records r ON r.id = s.record_id WHERE r.number = %s", number
        )
        assert score, "the record was scored when saved"
        assert (
            f"{score[0][0]:.1f}".rstrip("0").rstrip(".") in page.content() or str(round(score[0][0])) in page.content()
        )


def test_a_supervisor_grades_a_record_of_the_team(served: Site) -> None:
    record = requests.post(
        f"{served.base_url}/api/v1/records",
        json=record_payload(),
        headers=served.token("sys_agent", PASSWORD),
        timeout=30,
    )
    assert record.status_code == 201, record.text
    number = record.json()["number"]
    before = count(served, "record_grades")
    with browser_page() as page:
        sign_in(page, served, "sys_supervisor", PASSWORD)
        page.goto(f"{served.base_url}/records/{number}/grade")
        shot(page, "supervisor-1-grade-form")
        page.fill("#f-comment", "问题描述具体，处理步骤清楚。")
        page.locator("form[aria-labelledby='grade-form-heading'] button[type='submit']").click()
        page.wait_for_load_state("networkidle")
        shot(page, "supervisor-2-graded")
        assert "问题描述具体" in page.content()
    assert count(served, "record_grades") == before + 1


def test_a_trainer_approves_a_proposal_into_a_published_article_and_builds_a_training_pack(served: Site) -> None:
    proposal_id = served.sql("SELECT id FROM kb_proposals WHERE status = 'open' AND kind = 'new' ORDER BY id LIMIT 1")
    assert proposal_id, "the seeded installation has open proposals (consultkb kb propose)"
    proposal_id = proposal_id[0][0]
    published_before = count(served, "articles WHERE status = 'published'")
    with browser_page() as page:
        sign_in(page, served, "sys_trainer", PASSWORD)
        page.goto(f"{served.base_url}/kb/proposals/{proposal_id}")
        shot(page, "trainer-1-proposal")
        page.locator(f"form[action$='/kb/proposals/{proposal_id}/approve'] button").click()
        page.wait_for_load_state("networkidle")
        assert "/kb/articles/" in page.url
        article_url = page.url.split("?")[0]
        page.locator("form[action$='/submit'] button").click()
        page.wait_for_load_state("networkidle")
        shot(page, "trainer-2-submitted")
    # Someone other than the author publishes (KB_REQUIRE_SEPARATE_REVIEWER).
    with browser_page() as page:
        sign_in(page, served, "sys_trainer2", PASSWORD)
        page.goto(article_url)
        page.locator("form[action$='/publish'] button").click()
        page.wait_for_load_state("networkidle")
        shot(page, "trainer-3-published")
    assert count(served, "articles WHERE status = 'published'") == published_before + 1

    record = served.sql("SELECT number FROM records WHERE status = 'resolved' ORDER BY id LIMIT 1")[0][0]
    packs_before = count(served, "case_collections")
    with browser_page() as page:
        sign_in(page, served, "sys_trainer", PASSWORD)
        page.goto(f"{served.base_url}/cases/new?record={record}")
        page.locator("input[name='kind']").first.check()
        page.locator("input[name='dimensions']").first.check()
        page.fill("#f-commentary", "开场确认问题，步骤清楚，结尾确认客户满意。")
        page.locator("form[method='post'] button[type='submit']").last.click()
        page.wait_for_load_state("networkidle")
        assert "/cases/" in page.url and "/new" not in page.url, page.content()[:2000]
        case_id = page.url.rstrip("/").rsplit("/", 1)[-1]
        shot(page, "trainer-4-case")
        page.goto(f"{served.base_url}/collections/new")
        page.fill("#f-title", "登录问题处理示范")
        page.fill("#f-introduction", "先读案例，再对照评分标准。")
        page.select_option("#f-add", case_id)
        page.locator("form[method='post'] button[type='submit']").last.click()
        page.wait_for_load_state("networkidle")
        assert "/collections/" in page.url and "/new" not in page.url, page.content()[:2000]
        shot(page, "trainer-5-pack")
    assert count(served, "case_collections") == packs_before + 1
