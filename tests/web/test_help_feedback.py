"""'Was this helpful?' that reaches people: why not, one answer per visitor session, and the staff who read it on the
article's page, in the feed at /kb/feedback and through the API."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kb.models import ArticleFeedback, FeedbackReason
from records.db import db as database
from records.enums import Role


def page(response) -> str:
    return response.get_data(as_text=True)


def rows() -> list[ArticleFeedback]:
    return list(database.session.scalars(sa.select(ArticleFeedback).order_by(ArticleFeedback.id)))


@pytest.fixture
def author(make_user):
    return make_user(Role.TRAINER, username="writer")


@pytest.fixture
def article(make_article, author):
    return make_article(title="如何重置登录密码", body="在登录页点击“忘记密码”。", author=author, external_id="KB-1")


@pytest.fixture
def other_article(make_article, make_user):
    return make_article(title="发票开具流程", body="在订单详情页申请电子发票。", author=make_user(Role.TRAINER))


@pytest.fixture
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def visitor(app, db):
    """A customer's browser, apart from the staff client."""
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


# ----- the customer's side -------------------------------------------------------------------------------------------


def test_not_helpful_asks_why_and_a_second_answer_replaces_the_first(visitor, article):
    url = f"/help/articles/{article.id}"
    assert visitor.post(f"{url}/feedback", data={"helpful": "no"}).status_code == 302
    asked = page(visitor.get(url))
    assert "What was wrong with it?" in asked
    for reason in ("outdated", "not_answered", "unclear"):
        assert f'value="{reason}"' in asked
    assert "Thank you for your feedback." not in asked, "a bare no is not the end of the conversation"

    visitor.post(f"{url}/feedback", data={"helpful": "no", "reason": "outdated", "comment": "步骤和 App 不一样"})
    again = page(visitor.get(url))
    assert 'value="outdated" checked' in again and "步骤和 App 不一样</textarea>" in again
    [row] = rows()
    assert (row.helpful, row.reason, row.comment) == (False, FeedbackReason.OUTDATED, "步骤和 App 不一样")

    # Changing their mind: the reason given with "no" is left behind, the comment replaced.
    visitor.post(f"{url}/feedback", data={"helpful": "yes", "reason": "outdated", "comment": "后来找到了"})
    [row] = rows()
    assert (row.helpful, row.reason, row.comment) == (True, None, "后来找到了")
    database.session.refresh(article)
    assert (article.helpful_yes, article.helpful_no) == (1, 0)
    assert "Glad it helped." in page(visitor.get(url))


def test_a_made_up_reason_is_refused_on_the_page(visitor, article):
    url = f"/help/articles/{article.id}"
    refused = visitor.post(f"{url}/feedback", data={"helpful": "no", "reason": "boring"})
    assert refused.status_code == 422
    assert rows() == []


def test_the_reasons_are_asked_in_chinese(app, db, article):
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    browser.post(f"/help/articles/{article.id}/feedback", data={"helpful": "no"})
    html = page(browser.get(f"/help/articles/{article.id}"))
    assert "哪里有问题？" in html and "内容已过时" in html and "没有回答我的问题" in html and "看不明白" in html


def test_the_api_takes_a_reason_and_keeps_one_answer_per_session(visitor, article):
    url = f"/api/v1/articles/{article.external_id}/feedback"
    first = visitor.post(url, json={"helpful": False, "reason": "unclear", "comment": "第二步看不懂"})
    assert first.status_code == 201, first.json
    assert first.json["reason"] == "unclear" and first.json["session"]
    second = visitor.post(url, json={"helpful": False, "reason": "not_answered", "comment": "我问的是找回账号"})
    assert second.json["id"] == first.json["id"]
    [row] = rows()
    assert (row.reason, row.comment) == (FeedbackReason.NOT_ANSWERED, "我问的是找回账号")
    database.session.refresh(article)
    assert article.helpful_no == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"helpful": True, "reason": "outdated"}, "reason"),
        ({"helpful": False, "reason": "boring"}, "reason"),
        ({"helpful": False, "reason": 7}, "reason"),
    ],
)
def test_bad_reasons_are_refused_by_the_api(visitor, article, body, field):
    response = visitor.post(f"/api/v1/articles/{article.id}/feedback", json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]
    assert rows() == []


# ----- staff reading it ----------------------------------------------------------------------------------------------


@pytest.fixture
def answers(app, article, other_article):
    """Three visitors' answers: two on `article`, one on `other_article`."""
    for target, body in [
        (article, {"helpful": False, "reason": "outdated", "comment": "价格已经变了"}),
        (article, {"helpful": True, "comment": "很清楚"}),
        (other_article, {"helpful": False, "reason": "unclear", "comment": "发票抬头在哪里填"}),
    ]:
        app.test_client().post(f"/api/v1/articles/{target.id}/feedback", json=body)
    return rows()


def test_trainers_read_comments_on_the_articles_staff_page(english, client, login_as, article, answers):
    login_as(Role.TRAINER)
    html = page(client.get(f"/kb/articles/{article.id}"))
    assert "Customer feedback" in html and "价格已经变了" in html and "很清楚" in html
    assert "发票抬头在哪里填" not in html, "another article's feedback"
    assert 'data-reason="outdated"' in html and "It is outdated 1" in html


def test_the_feed_lists_and_filters_feedback(english, client, login_as, article, other_article, answers):
    login_as(Role.ADMIN)
    html = page(client.get("/kb/feedback"))
    assert html.count("data-feedback=") == 3
    assert "价格已经变了" in html and "发票抬头在哪里填" in html

    only_unclear = page(client.get("/kb/feedback", query_string={"reason": "unclear"}))
    assert only_unclear.count("data-feedback=") == 1 and "发票抬头在哪里填" in only_unclear
    helpful = page(client.get("/kb/feedback", query_string={"helpful": "true"}))
    assert helpful.count("data-feedback=") == 1 and "很清楚" in helpful
    by_external_id = page(client.get("/kb/feedback", query_string={"article": "KB-1"}))
    assert by_external_id.count("data-feedback=") == 2

    backwards = client.get("/kb/feedback", query_string={"from": "2026-02-01", "to": "2026-01-01"})
    assert backwards.status_code == 200 and "The start date is after the end date." in page(backwards)
    unknown = page(client.get("/kb/feedback", query_string={"article": "nope"}))
    assert "There is no article with this id." in unknown
    bad = page(client.get("/kb/feedback", query_string={"reason": "boring", "helpful": "perhaps"}))
    assert "data-feedback=" not in bad and "alert-danger" in bad


def test_the_feed_in_chinese(client, login_as, answers):
    login_as(Role.TRAINER)
    client.post("/language", data={"language": "zh_CN"})
    html = page(client.get("/kb/feedback"))
    assert "客户反馈" in html and "内容已过时" in html and "没有帮助" in html


def test_only_trainers_admins_and_authors_read_feedback(
    app, client, login_as, sign_in, make_article, make_user, answers
):
    assert client.get("/kb/feedback").status_code == 302, "signing in first"
    login_as(Role.AGENT)
    assert client.get("/kb/feedback").status_code == 403
    login_as(Role.SUPERVISOR)
    assert client.get("/kb/feedback").status_code == 403
    assert "data-feedback=" not in page(client.get(f"/kb/articles/{answers[0].article_id}"))

    # An author who is no longer a trainer still hears about their own articles, and only those.
    former = make_user(Role.TRAINER, username="former")
    own = make_article(title="退款到账时间", body="七个工作日内到账。", author=former)
    app.test_client().post(f"/api/v1/articles/{own.id}/feedback", json={"helpful": False, "comment": "太慢了"})
    former.role = Role.AGENT
    database.session.commit()
    sign_in(former)
    html = page(client.get("/kb/feedback"))
    assert html.count("data-feedback=") == 1 and "太慢了" in html
    assert "太慢了" in page(client.get(f"/kb/articles/{own.id}"))


def test_the_api_lists_feedback_for_staff(client, token_for, make_user, article, answers):
    assert client.get("/api/v1/feedback").status_code == 401
    agent = token_for(make_user(Role.AGENT))
    assert client.get("/api/v1/feedback", headers=agent).status_code == 403
    trainer = token_for(make_user(Role.TRAINER))
    listing = client.get("/api/v1/feedback", headers=trainer, query_string={"per_page": 2})
    assert listing.status_code == 200
    assert listing.json["total"] == 3 and len(listing.json["items"]) == 2
    assert "session" not in listing.json["items"][0]
    one = client.get(f"/api/v1/articles/{article.external_id}/feedback", headers=trainer).json
    assert one["total"] == 2 and {item["article_title"] for item in one["items"]} == {"如何重置登录密码"}
    reasons = client.get("/api/v1/feedback", headers=trainer, query_string={"reason": "outdated"}).json
    assert [item["comment"] for item in reasons["items"]] == ["价格已经变了"]
    refused = client.get("/api/v1/feedback", headers=trainer, query_string={"reason": "boring"})
    assert refused.status_code == 422
    assert client.get("/api/v1/articles/99999/feedback", headers=trainer).status_code == 404
