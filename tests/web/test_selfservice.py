"""The public help center as customers use it: search API and pages, article pages, feedback, contact requests,
the staff insights page, translations and rate limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from flask_migrate import upgrade

from kb.models import ArticleFeedback, SearchEvent, SearchSession
from kb.operations import archive_article, update_article
from records.db import db as database
from records.enums import Channel, Role, Status
from records.models import Record
from records.people import create_user
from tests.conftest import PASSWORD
from web import create_app

WEB = Path(__file__).resolve().parents[2] / "web"
CATALOG = WEB / "translations" / "zh_Hans_CN" / "LC_MESSAGES"


@pytest.fixture
def english(client):
    """Every request asks for English: Flask-Babel keeps the first request's locale for the test's app context."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    return database.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def articles(make_article, make_user):
    editor = make_user(Role.TRAINER)
    archived = make_article(
        title="物流延迟怎么办", body="包裹超过三天未更新物流信息时，请联系快递公司。", category="物流"
    )
    archive_article(archived, by=editor)
    reedited = make_article(title="修改绑定手机号", body="在账户设置中修改绑定的手机号。", category="操作咨询")
    update_article(reedited, {"title": "手机号草稿标题", "body": "草稿：秘密的新流程 XYZ123。"}, by=editor)
    database.session.commit()
    return {
        "published": make_article(
            title="如何重置登录密码",
            body="在登录页点击“忘记密码”，按短信验证码重置。",
            category="操作咨询",
            subcategory="密码重置",
        ),
        "english": make_article(
            title="How to reset your password",
            body="Open the sign-in page and choose *Forgot password*.",
            category="how_to",
            external_id="KB-EN-1",
        ),
        "draft": make_article(
            "draft", title="退款到账时间说明", body="退款一般在七个工作日内到账。", category="账单疑问"
        ),
        "in_review": make_article("in_review", title="发票开具流程", body="在订单详情页申请电子发票。"),
        "archived": archived,
        "reedited": reedited,
    }


# ----- search API ----------------------------------------------------------------------------------------------------


def test_search_answers_results_with_snippets_and_a_session(client, articles):
    response = client.get("/api/v1/search", query_string={"q": "忘记密码"})
    assert response.status_code == 200, response.json
    body = response.json
    assert set(body) == {"results", "did_you_mean", "session"}
    [hit] = body["results"]
    assert set(hit) == {"id", "external_id", "title", "snippet", "score"}
    assert hit["id"] == articles["published"].id and hit["title"] == "如何重置登录密码"
    assert re.search(r"<mark[^>]*>忘记</mark>", hit["snippet"])
    visit = database.session.get(SearchSession, body["session"])
    assert (visit.searches, visit.zero_result_searches) == (1, 0)


def test_search_never_shows_unpublished_articles(client, articles):
    for query in ("退款", "发票", "物流", "XYZ123", "草稿"):
        response = client.get("/api/v1/search", query_string={"q": query})
        assert response.json["results"] == [], query
    [hit] = client.get("/api/v1/search", query_string={"q": "手机号"}).json["results"]
    assert hit["title"] == "修改绑定手机号"


def test_search_filters_by_language_and_category_and_suggests_spellings(client, articles):
    english = client.get("/api/v1/search", query_string={"q": "password", "lang": "en"}).json["results"]
    assert [hit["external_id"] for hit in english] == ["KB-EN-1"]
    assert client.get("/api/v1/search", query_string={"q": "密码", "category": "billing"}).json["results"] == []
    by_label = client.get("/api/v1/search", query_string={"q": "密码", "category": "密码重置"}).json["results"]
    assert [hit["title"] for hit in by_label] == ["如何重置登录密码"]
    misspelt = client.get("/api/v1/search", query_string={"q": "pasword", "lang": ""}).json
    assert misspelt["did_you_mean"] == "password"


@pytest.mark.parametrize(
    ("query", "field"),
    [({}, "q"), ({"q": "   "}, "q"), ({"q": "密码", "limit": 0}, "limit"), ({"q": "密码", "lang": "fr"}, "lang")]
    + [({"q": "密码", "category": "no-such-category"}, "category"), ({"q": "x" * 301}, "q")],
)
def test_bad_search_input_is_refused_with_field_messages(client, articles, query, field):
    response = client.get("/api/v1/search", query_string=query)
    assert response.status_code == 422
    assert field in response.json["errors"]["query" if field != "category" else "json"]
    assert count(SearchEvent) == count(SearchSession) == 0


# ----- feedback and contact API --------------------------------------------------------------------------------------


def test_feedback_is_counted_on_published_articles_only(client, articles):
    for state in ("draft", "in_review", "archived"):
        response = client.post(f"/api/v1/articles/{articles[state].id}/feedback", json={"helpful": True})
        assert response.status_code == 404, state
    response = client.post(
        f"/api/v1/articles/{articles['english'].external_id}/feedback", json={"helpful": False, "comment": "Too short"}
    )
    assert response.status_code == 201, response.json
    assert response.json["helpful"] is False and response.json["article_id"] == articles["english"].id
    database.session.refresh(articles["english"])
    assert (articles["english"].helpful_yes, articles["english"].helpful_no) == (0, 1)
    assert count(ArticleFeedback) == 1


def test_bad_feedback_is_refused_and_nothing_is_written(client, articles):
    url = f"/api/v1/articles/{articles['published'].id}/feedback"
    for body in ({}, {"helpful": "perhaps"}, {"helpful": True, "comment": "长" * 2001}):
        response = client.post(url, json=body)
        assert response.status_code == 422, body
        assert response.json["errors"]["json"]
    assert count(ArticleFeedback) == 0
    database.session.refresh(articles["published"])
    assert articles["published"].helpful_yes == articles["published"].helpful_no == 0


def test_a_contact_request_carries_the_search_session_into_a_new_record(client, articles, make_user):
    agent = make_user(Role.AGENT, username="helpdesk")
    session_id = client.get("/api/v1/search", query_string={"q": "发票怎么开"}).json["session"]
    client.post("/api/v1/search/click", json={"article_id": articles["published"].id})
    response = client.post(
        "/api/v1/contact-requests",
        json={"name": "Li Lei", "email": "li.lei@example.com", "description": "I need an invoice for order 2024-77."},
    )
    assert response.status_code == 201, response.json
    record = database.session.scalar(sa.select(Record).where(Record.number == response.json["record_no"]))
    assert (record.status, record.channel, record.agent_id) == (Status.OPEN, Channel.WEB, agent.id)
    assert "发票怎么开" in record.key_details and "如何重置登录密码" in record.key_details
    assert response.json["session"] == session_id
    assert database.session.get(SearchSession, session_id).record_id == record.id
    # The visit is over: the next search starts a new session.
    assert client.get("/api/v1/search", query_string={"q": "密码"}).json["session"] != session_id


def test_a_contact_request_needs_a_way_to_answer(client, articles, make_user):
    make_user(Role.AGENT)
    response = client.post("/api/v1/contact-requests", json={"name": "Li Lei", "description": "Where is my invoice?"})
    assert response.status_code == 422
    assert response.json["errors"]["json"]["phone"] == [
        "Give a phone number or an e-mail address so we can answer you."
    ]
    response = client.post("/api/v1/contact-requests", json={"name": "", "phone": "abc", "description": "hi"})
    assert set(response.json["errors"]["json"]) == {"name", "phone", "description"}
    assert count(Record) == 0 and count(SearchSession) == 0


def test_without_agents_a_contact_request_is_refused_not_lost_silently(client, articles):
    response = client.post(
        "/api/v1/contact-requests", json={"name": "Li", "phone": "13900001111", "description": "Please call me."}
    )
    assert response.status_code == 503
    assert "call us" in response.json["message"]
    assert count(Record) == 0


def test_the_public_endpoints_need_no_sign_in_and_say_so_in_the_spec(client):
    spec = client.get("/api/v1/openapi.json").json
    for path, method in [
        ("/api/v1/search", "get"),
        ("/api/v1/search/click", "post"),
        ("/api/v1/articles/{ref}/feedback", "post"),
        ("/api/v1/contact-requests", "post"),
    ]:
        assert spec["paths"][path][method]["security"] == [], path


# ----- pages ---------------------------------------------------------------------------------------------------------


def test_the_help_center_lists_only_categories_with_published_articles(english, client, articles):
    html = page(client.get("/help"))
    assert "How-to question" in html and 'href="/help/categories/password_reset"' in html
    assert "Billing" not in html, "the only billing article is a draft"
    assert "Logistics" not in html, "the only logistics article is archived"
    listing = page(client.get("/help/categories/how_to"))
    assert "如何重置登录密码" in listing and "修改绑定手机号" in listing
    assert "手机号草稿标题" not in listing
    assert client.get("/help/categories/billing").status_code == 404


def test_the_search_page_works_without_javascript(english, client, articles):
    html = page(client.get("/help", query_string={"q": "忘记密码"}))
    assert f'href="/help/articles/{articles["published"].id}?from=search"' in html
    assert "<mark" in html
    assert "/help/contact?q=" in html
    suggestion = page(client.get("/help", query_string={"q": "pasword"}))
    assert "Did you mean:" in suggestion and "q=password" in suggestion
    assert count(SearchEvent) == 2


def test_article_pages_show_the_published_version_only(client, articles):
    assert client.get(f"/help/articles/{articles['published'].id}").status_code == 200
    for state in ("draft", "in_review", "archived"):
        assert client.get(f"/help/articles/{articles[state].id}").status_code == 404, state
    html = page(client.get(f"/help/articles/{articles['reedited'].id}"))
    assert "修改绑定手机号" in html
    assert "XYZ123" not in html and "手机号草稿标题" not in html


def test_an_article_page_lists_related_published_articles(english, client, articles, make_article):
    other = make_article(title="重置密码收不到验证码", body="检查手机是否拦截了短信，或改用邮箱重置密码。")
    make_article("draft", title="重置密码的草稿文章", body="重置密码草稿。")
    html = page(client.get(f"/help/articles/{other.id}"))
    related = html.split("Related articles", 1)[1]
    assert "如何重置登录密码" in related
    assert "重置密码的草稿文章" not in html
    assert related.count("重置密码收不到验证码") == 0


def test_article_bodies_cannot_run_scripts(client, make_article):
    article = make_article(
        title="<b>Bold</b> title",
        body=(
            "Hello <script>alert('body')</script>\n\n"
            "[click me](javascript:alert('link'))\n\n"
            '<img src="x" onerror="alert(1)">\n\n'
            "![pic](javascript:alert('img'))\n\n"
            "<a href='javascript:alert(2)'>raw</a> and [a normal link](https://example.com/help)"
        ),
    )
    html = page(client.get(f"/help/articles/{article.id}"))
    assert "<script>alert" not in html
    # Raw HTML is shown as text (&lt;a href=...&gt;), so only attributes inside real tags matter.
    assert not re.search(r"""<[^>]*\b(href|src)\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE)
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", html, re.IGNORECASE), "no event handler in any real tag"
    assert "&lt;script&gt;alert" in html, "raw HTML is shown as text"
    assert 'href="https://example.com/help"' in html, "ordinary links still work"
    assert "<b>Bold</b>" not in html and "&lt;b&gt;Bold&lt;/b&gt; title" in html


def test_opening_a_result_counts_a_click_and_a_view(client, articles):
    client.get("/help", query_string={"q": "忘记密码"})
    client.get(f"/help/articles/{articles['published'].id}?from=search")
    client.get(f"/help/articles/{articles['published'].id}")
    [visit] = database.session.scalars(sa.select(SearchSession)).all()
    assert (visit.searches, visit.clicks) == (1, 1)
    database.session.refresh(articles["published"])
    assert articles["published"].view_count == 2


def test_was_this_helpful_on_the_page(english, client, articles):
    url = f"/help/articles/{articles['published'].id}"
    response = client.post(f"{url}/feedback", data={"helpful": "no", "comment": "短信收不到"})
    assert response.status_code == 302
    html = page(client.get(url))
    assert "Sorry this did not answer your question." in html and "/help/contact" in html
    row = database.session.scalar(sa.select(ArticleFeedback))
    assert (row.helpful, row.comment) == (False, "短信收不到")
    refused = client.post(f"{url}/feedback", data={"helpful": ""})
    assert refused.status_code == 422 and "Choose yes or no." in page(refused)
    assert client.post(f"/help/articles/{articles['draft'].id}/feedback", data={"helpful": "yes"}).status_code == 404
    assert count(ArticleFeedback) == 1


def test_still_need_help_opens_a_record_and_thanks_with_its_number(client, articles, make_user):
    make_user(Role.AGENT)
    client.get("/help", query_string={"q": "发票怎么开"})
    form = page(client.get("/help/contact", query_string={"q": "发票怎么开"}))
    assert "发票怎么开</li>" in form, "the visitor sees which searches go along"

    refused = client.post("/help/contact", data={"name": "王女士", "description": "发票怎么开具？"})
    assert refused.status_code == 422
    assert "请留下电话或电子邮箱" in page(refused), "the form explains the problem in the visitor's language"
    assert count(Record) == 0

    response = client.post(
        "/help/contact", data={"name": "王女士", "phone": "13912345678", "description": "发票怎么开具？"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/help/contact/thanks")
    record = database.session.scalar(sa.select(Record))
    assert record.number in page(client.get("/help/contact/thanks"))
    assert record.status == Status.OPEN and "发票怎么开" in record.key_details


def test_insights_are_for_supervisors_trainers_and_admins(english, client, articles, login_as):
    client.get("/api/v1/search", query_string={"q": "没有这篇文章"})
    assert client.get("/help/insights").status_code == 302
    login_as(Role.AGENT)
    assert client.get("/help/insights").status_code == 403
    login_as(Role.SUPERVISOR)
    html = page(client.get("/help/insights"))
    assert re.search(r'data-figure="sessions">1<', html)
    assert "没有这篇文章" in html
    refused = client.get("/help/insights", query_string={"from": "2026-02-01", "to": "2026-01-01"})
    assert refused.status_code == 422 and "The start date is after the end date." in page(refused)


def test_every_help_center_text_has_a_chinese_translation():
    with (CATALOG / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="zh_CN")
    sources = [*sorted((WEB / "templates" / "help").glob("*.html")), WEB / "pages" / "selfservice.py"]
    sources.append(WEB / "extensions.py")
    missing = []
    for path in sources:
        for msgid in re.findall(r"""_\(\s*(['"])(.+?)\1""", path.read_text(encoding="utf-8")):
            message = catalog.get(msgid[1])
            if message is None or not message.string:
                missing.append(f"{path.name}: {msgid[1]}")
    assert missing == []


# ----- rate limits ---------------------------------------------------------------------------------------------------


@pytest.fixture
def limited_app(tmp_path):
    """An app of its own with rate limits on (the suite's app has them off), on its own SQLite database."""
    application = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'limits.db'}",
            "DATA_DIR": str(tmp_path / "data"),
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "EMBEDDINGS_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_SEARCH": "3/minute",
            "RATELIMIT_CONTACT": "1/hour",
            "RATELIMIT_SIGN_IN": "2/minute",
        }
    )
    with application.app_context():
        upgrade()
        create_user("helpdesk", role=Role.AGENT, password=PASSWORD, team="客服A组")
        database.session.commit()
    yield application
    with application.app_context():
        database.session.remove()
        database.engine.dispose()


def test_rate_limits_answer_429(limited_app):
    client = limited_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for _ in range(3):
        assert client.get("/api/v1/search", query_string={"q": "密码"}).status_code == 200
    refused = client.get("/api/v1/search", query_string={"q": "密码"})
    assert refused.status_code == 429
    assert refused.is_json and "try again" in refused.json["message"]
    assert int(refused.headers["Retry-After"]) > 0
    # The help-center page shares the search budget, and answers with a page.
    page_refused = client.get("/help", query_string={"q": "密码"})
    assert page_refused.status_code == 429 and page_refused.mimetype == "text/html"
    assert client.get("/help").status_code == 200, "browsing without a query is not a search"

    contact = {"name": "Li", "phone": "13900001111", "description": "Please call me back."}
    assert client.post("/api/v1/contact-requests", json={"name": "Li"}).status_code == 422, "typos do not count"
    assert client.post("/api/v1/contact-requests", json=contact).status_code == 201
    assert client.post("/api/v1/contact-requests", json=contact).status_code == 429
    assert client.post("/help/contact", data=contact).status_code == 429

    right, wrong = {"username": "helpdesk", "password": PASSWORD}, {"username": "helpdesk", "password": "guess"}
    assert client.post("/login", data=right).status_code == 302, "signing in successfully never counts"
    assert [client.post("/login", data=wrong).status_code for _ in range(2)] == [401, 401]
    assert client.post("/login", data=wrong).status_code == 429
    # Counted per address, not per cookie: a fresh client from the same address is refused too.
    assert limited_app.test_client().post("/api/v1/auth/tokens", json=wrong).status_code == 429


def test_an_app_with_rate_limits_off_is_never_limited(limited_app, app, client, articles, monkeypatch):
    # The Limiter object is shared by every app in the process; the other app's switch must still hold.
    monkeypatch.setitem(app.config, "RATELIMIT_SEARCH", "1/minute")
    assert [client.get("/api/v1/search", query_string={"q": "密码"}).status_code for _ in range(3)] == [200] * 3
