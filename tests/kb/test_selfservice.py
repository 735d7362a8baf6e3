"""The help center's service layer: what customers can find, feedback, contact requests and the deflection figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from kb.models import ArticleFeedback, SearchEvent, SearchSession
from kb.operations import archive_article, update_article
from kb.schemas import ContactRequestSchema
from kb.search import search_service
from kb.selfservice import (
    NoAgentAvailable,
    add_feedback,
    create_contact_request,
    deflection_summary,
    get_or_start_session,
    log_click,
    log_search,
    public_category_counts,
    record_view,
    related_articles,
)
from records.access import NotFound
from records.db import db as database
from records.enums import Channel, Role, Status
from records.models import AuditLog
from records.timeutil import utcnow


def titles(query: str, **kwargs) -> list[str]:
    return [hit.title for hit in search_service().search(query, **kwargs).results]


@pytest.fixture
def shelf(make_article, make_user):
    """One article in every state, and a published one whose newer text is an unpublished draft."""
    editor = make_user(Role.TRAINER)
    archived = make_article(title="物流延迟怎么办", body="包裹超过三天未更新物流信息时，请联系快递公司。")
    archive_article(archived, by=editor)
    reedited = make_article(
        title="修改绑定手机号", body="在账户设置中修改绑定的手机号。", category="操作咨询", subcategory="账户设置"
    )
    update_article(reedited, {"title": "修改绑定手机号（草稿）", "body": "草稿：尚未审核的新流程 XYZ123。"}, by=editor)
    database.session.commit()
    return {
        "published": make_article(category="操作咨询", subcategory="密码重置"),
        "draft": make_article(
            "draft", title="退款到账时间说明", body="退款一般在七个工作日内到账。", category="账单疑问"
        ),
        "in_review": make_article("in_review", title="发票开具流程", body="在订单详情页申请电子发票。"),
        "archived": archived,
        "reedited": reedited,
    }


def test_only_published_versions_are_searchable(shelf):
    assert titles("退款") == []
    assert titles("发票") == []
    assert titles("物流") == []
    assert titles("XYZ123") == [], "a draft's text must not be found through its article's live version"
    assert titles("手机号") == ["修改绑定手机号"], "customers see the live title, not the draft's"


def test_a_chinese_question_finds_the_chinese_article(shelf):
    assert titles("忘记密码怎么办") == ["如何重置登录密码"]
    assert titles("忘记密码怎么办", language="en") == []


def test_categories_count_public_articles_by_their_live_version(shelf):
    counts = public_category_counts()
    assert counts == {"how_to": 2, "password_reset": 1, "account_settings": 1}
    assert "billing" not in counts, "the only billing article is a draft"


def test_related_articles_leave_out_the_article_itself_and_unpublished_ones(make_article, shelf):
    article = make_article(title="重置密码收不到验证码", body="检查手机是否拦截了短信，或改用邮箱重置密码。")
    related = related_articles(article, article.live_version)
    assert [hit.title for hit in related] == ["如何重置登录密码"]
    draft_like = make_article("draft", title="重置密码失败", body="重置密码时提示错误。")
    assert draft_like.id not in {hit.article_id for hit in related_articles(article, article.live_version)}


def test_typing_a_query_counts_as_one_search(db):
    visit = get_or_start_session(None, "zh")
    log_search(visit, "ref", 0)
    log_search(visit, "refun", 0)
    log_search(visit, "refund", 3)
    assert (visit.searches, visit.zero_result_searches) == (1, 0)
    log_search(visit, "invoice", 0)
    assert (visit.searches, visit.zero_result_searches) == (2, 1)
    queries = database.session.scalars(sa.select(SearchEvent.query).order_by(SearchEvent.id)).all()
    assert queries == ["refund", "invoice"]


def test_unknown_session_ids_get_a_new_session(db):
    visit = get_or_start_session("made-up-by-the-client")
    assert visit.id != "made-up-by-the-client" and len(visit.id) == 32
    assert get_or_start_session(visit.id) is visit


def test_feedback_only_on_public_articles_and_a_second_answer_replaces_the_first(shelf):
    for state in ("draft", "in_review", "archived"):
        with pytest.raises(NotFound):
            add_feedback(shelf[state], True)
    assert database.session.scalar(sa.select(sa.func.count()).select_from(ArticleFeedback)) == 0

    article = shelf["published"]
    visit = get_or_start_session(None)
    add_feedback(article, True, "  ", visit.id)
    add_feedback(article, False, "步骤二看不懂", visit.id)
    add_feedback(article, True)
    database.session.commit()
    database.session.refresh(article)
    assert (article.helpful_yes, article.helpful_no) == (1, 1)
    rows = database.session.scalars(sa.select(ArticleFeedback).order_by(ArticleFeedback.id)).all()
    assert [(row.helpful, row.comment) for row in rows] == [(False, "步骤二看不懂"), (True, None)]


def test_views_are_counted_without_making_the_article_look_edited(shelf):
    article = shelf["published"]
    changed = article.updated_at
    record_view(article)
    record_view(article)
    database.session.commit()
    database.session.refresh(article)
    assert article.view_count == 2
    assert article.updated_at == changed


def contact(**overrides) -> dict:
    return ContactRequestSchema().load(
        {"name": "王女士", "phone": "13912345678", "description": "按文章操作后仍然无法重置密码。", **overrides}
    )


def test_a_contact_request_is_an_open_web_record_for_the_least_busy_agent(shelf, make_user, make_record):
    make_user(Role.AGENT, username="gone").active = False  # least busy of all, but no longer works here
    busy = make_user(Role.AGENT, username="busy")
    idle = make_user(Role.AGENT, username="idle")
    make_record(agent=busy, status="open")
    visit = get_or_start_session(None, "zh")
    log_search(visit, "忘记密码", 1)
    log_click(visit, shelf["published"])
    add_feedback(shelf["published"], False, "收不到短信", visit.id)

    record = create_contact_request(contact(), visit.id)
    database.session.commit()

    assert record.status == Status.OPEN and record.channel == Channel.WEB
    assert record.agent.username == "idle" and idle.id == record.agent_id
    assert record.problem_description == "按文章操作后仍然无法重置密码。"
    assert record.customer.name == "王女士" and record.customer.phone == "13912345678"
    assert "忘记密码" in record.key_details and "如何重置登录密码" in record.key_details
    assert "收不到短信" in record.key_details
    assert database.session.get(SearchSession, visit.id).record_id == record.id
    actors = database.session.scalars(sa.select(AuditLog.actor).where(AuditLog.object_id == record.number)).all()
    assert "self-service" in actors


def test_the_configured_agent_takes_contact_requests(app, db, make_user, monkeypatch):
    make_user(Role.AGENT, username="first")
    make_user(Role.AGENT, username="helpdesk", agent_code="W01")
    monkeypatch.setitem(app.config, "SELF_SERVICE_AGENT", "W01")
    assert create_contact_request(contact(), None).agent.username == "helpdesk"


def test_without_an_active_agent_a_contact_request_fails_clearly(db, make_user):
    make_user(Role.TRAINER)
    with pytest.raises(NoAgentAvailable, match="create an agent"):
        create_contact_request(contact(), None)


def test_deflection_figures_from_a_scripted_day(shelf, make_user):
    make_user(Role.AGENT)
    start = utcnow() - timedelta(minutes=5)
    article = shelf["published"]

    helped = get_or_start_session(None)  # searched, opened an article, said it helped, left
    log_search(helped, "忘记密码", 1)
    log_click(helped, article)
    add_feedback(article, True, None, helped.id)

    asked = get_or_start_session(None)  # found nothing twice, asked for help
    log_search(asked, "发票怎么开", 0)
    log_search(asked, "电子发票", 0)
    create_contact_request(contact(), asked.id)

    gave_up = get_or_start_session(None)  # found nothing and left
    log_search(gave_up, "发票怎么开", 0)

    rated_only = get_or_start_session(None)  # came straight to the article, said it did not help
    add_feedback(article, False, None, rated_only.id)
    database.session.commit()

    figures = deflection_summary(start, utcnow() + timedelta(minutes=5))
    assert figures["searches"] == 4
    assert figures["zero_result_searches"] == 3
    assert figures["zero_result_rate"] == 0.75
    assert figures["top_zero_result_queries"] == [
        {"query": "发票怎么开", "count": 2},
        {"query": "电子发票", "count": 1},
    ]
    assert figures["clicks"] == 1
    assert (figures["helpful_yes"], figures["helpful_no"], figures["helpful_ratio"]) == (1, 1, 0.5)
    assert figures["sessions"] == 4
    assert figures["sessions_with_search"] == 3
    assert (figures["sessions_with_contact"], figures["sessions_without_contact"]) == (1, 3)
    assert "deflection_rate" not in figures  # no session counts as solved for lacking a contact request

    earlier = deflection_summary(start - timedelta(days=1), start)
    assert earlier["searches"] == earlier["sessions"] == 0
    assert earlier["zero_result_rate"] is None and earlier["helpful_ratio"] is None
