"""/help/insights: the self-service figures from what visitors did, defined on the page, in both languages."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa

from kb.models import SearchEvent
from records.db import db as database
from records.enums import Role


@pytest.fixture
def article(make_article):
    return make_article(title="如何重置登录密码", category="操作咨询", subcategory="密码重置")


def visitor_reads_then_asks(client, article) -> None:
    """A visitor searches, opens the result, reads it and still asks for help: a failed deflection."""
    client.get("/help", query_string={"q": "忘记密码"})
    client.get(f"/help/articles/{article.id}?from=search")
    response = client.post(
        "/help/contact",
        data={"name": "王先生", "phone": "13800000009", "description": "按文章操作后仍然收不到验证码。"},
    )
    assert response.status_code == 302


def figure(html: str, key: str) -> str:
    match = re.search(rf'data-figure="{key}">\s*(.*?)\s*</', html, re.S)
    assert match, key
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def counts(html: str, key: str) -> str:
    match = re.search(rf'data-counts="{key}">\s*(.*?)\s*</div>', html, re.S)
    assert match, key
    return match.group(1)


def test_an_article_view_and_a_later_contact_request_make_a_failed_deflection(client, article, make_user, login_as):
    make_user(Role.AGENT)
    visitor_reads_then_asks(client, article)
    kinds = database.session.scalars(sa.select(SearchEvent.kind).order_by(SearchEvent.id)).all()
    assert kinds == ["search", "click", "view", "contact"]  # one session from search to contact

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as(Role.SUPERVISOR)
    response = client.get("/help/insights")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert figure(html, "deflection_failed") == "1" and figure(html, "deflection_successful") == "0"
    assert figure(html, "deflection_rate") == "0.0 %" and counts(html, "deflection_rate") == "0 of 1"
    assert figure(html, "click_through") == "100.0 %" and counts(html, "click_through") == "1 of 1"
    assert figure(html, "contact_after_search") == "100.0 %"
    # One session; one customer contacted us (the request is a record): 1 : 1.
    assert figure(html, "self_service_score") == "1.0 : 1"
    assert figure(html, "helpful_ratio") == "no data" and counts(html, "helpful_ratio") == "0 of 0"
    assert "Searches that found no matching article." in html  # each figure is defined where it is shown
    assert re.search(rf'data-article="{article.id}">.*?100.0 %.*?\(1 of 1\)', html, re.S)  # contacts after a view
    for name in ("deflection", "articles"):
        chart = re.search(rf'data-chart="{name}">(.*?)</figure>', html, re.S).group(1)
        ET.fromstring(chart)  # well-formed SVG


def test_the_page_in_chinese(client, article, make_user, login_as):
    make_user(Role.AGENT)
    visitor_reads_then_asks(client, article)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    login_as(Role.TRAINER)
    html = client.get("/help/insights").get_data(as_text=True)
    assert "自助服务分析" in html and "自助服务得分" in html
    assert counts(html, "deflection_rate") == "0 / 1"
    assert "成功" in re.search(r'data-chart="deflection">(.*?)</figure>', html, re.S).group(1)  # the legend
    assert "Successful" not in html


def test_an_empty_period_says_no_data(client, login_as):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as(Role.ADMIN)
    html = client.get("/help/insights", query_string={"from": "2020-01-01", "to": "2020-01-31"}).get_data(as_text=True)
    for key in ("deflection_rate", "click_through", "zero_result_rate", "contact_after_search", "helpful_ratio"):
        assert figure(html, key) == "no data", key
    assert figure(html, "self_service_score") == "no data"
    # No chart (the notifications bell in the staff bar is an SVG icon too).
    assert "No article was viewed in this period." in html and 'class="chart"' not in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"window": "0"}, "window", "Choose from 1 to 90 days."),
        ({"window": "abc"}, "window", "Enter a whole number."),
        ({"unviewed": "9999"}, "unviewed", "Choose from 1 to 730 days."),
    ],
)
def test_bad_settings_are_refused_with_a_message(client, login_as, query, field, message):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as(Role.ADMIN)
    response = client.get("/help/insights", query_string=query)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'id="{field}"[^>]*>\s*<div class="invalid-feedback">{re.escape(message)}', html)


def test_the_window_setting_changes_the_classes(client, article, make_user, login_as):
    make_user(Role.AGENT)
    client.get(f"/help/articles/{article.id}")  # read, never asked
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as(Role.ADMIN)
    html = client.get("/help/insights", query_string={"window": "3"}).get_data(as_text=True)
    # Read just now: its three days have not passed, so it is potential, not yet a success.
    assert figure(html, "deflection_potential") == "1" and figure(html, "deflection_rate") == "no data"
    assert "within 3 days" in html


def test_a_crawler_reading_an_article_is_no_visitor(client, article):
    crawler = {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}
    assert client.get(f"/help/articles/{article.id}", headers=crawler).status_code == 200
    assert database.session.scalar(sa.select(sa.func.count()).select_from(SearchEvent)) == 0
    database.session.refresh(article)
    assert article.view_count == 1
    client.get(f"/help/articles/{article.id}", headers={"User-Agent": "Mozilla/5.0 (iPhone) Safari/604.1"})
    assert database.session.scalars(sa.select(SearchEvent.kind)).all() == ["view"]
