"""Whatever a customer types, search answers with results, an empty list or a clear 4xx: never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import sqlalchemy as sa

from kb.models import SearchSession
from kb.search import MAX_QUERY_CHARS, clean_query, search_service
from records.db import db as database

AWKWARD = [
    "登录" * 5000,  # 10,000 characters
    "密码\x00\x01\x1b重置",  # control characters
    "？？？！！！。。。",  # punctuation only
    "😀😀🙏",  # emoji only
    "忘记\ud800密码",  # a lone surrogate
    "   ",
    "<script>alert(1)</script>",
]


def test_a_query_is_cleaned_of_what_cannot_be_searched():
    assert clean_query("密码\x00\x01重置\ud800") == "密码  重置"
    assert len(clean_query("登录" * 5000)) == MAX_QUERY_CHARS
    assert clean_query(None) == ""


@pytest.mark.parametrize("query", AWKWARD)
def test_awkward_queries_never_fail(make_article, query):
    make_article(title="如何重置登录密码", body="在登录页点击忘记密码。")
    response = search_service().search(query)
    assert isinstance(response.results, list)
    assert "\x00" not in response.query and "\ud800" not in response.query


@pytest.mark.parametrize("query", AWKWARD)
def test_awkward_queries_on_the_help_center_and_the_api(client, make_article, query):
    make_article(title="如何重置登录密码", body="在登录页点击忘记密码。")
    # As a browser sends it: UTF-8 bytes, percent-encoded (a lone surrogate as its invalid three bytes).
    encoded = quote(query.encode("utf-8", "surrogatepass"))
    page = client.get(f"/help?q={encoded}")
    api = client.get(f"/api/v1/search?q={encoded}")
    if "\x00" in query:  # U+0000 in any request is refused (PostgreSQL text cannot hold it)
        assert page.status_code == api.status_code == 422
        return
    assert page.status_code == 200
    assert api.status_code in (200, 422)
    if api.status_code == 422:
        # Only the over-long and the blank query are refused, with a message saying why.
        assert len(query) > 300 or not query.strip()
        assert api.json["errors"]["query"]["q"]


@pytest.mark.model
@pytest.mark.parametrize("query", AWKWARD)
def test_awkward_queries_with_the_models(embeddings, make_article, query):
    make_article(title="如何重置登录密码", body="在登录页点击忘记密码。")
    make_article(title="How do I reset my password?", body="Use Forgot password on the sign-in page.", language="en")
    response = search_service().search(query)
    assert isinstance(response.results, list)
    if query in ("？？？！！！。。。", "😀😀🙏", "   "):
        assert response.results == []


@pytest.mark.model
def test_a_chinese_question_without_an_answer_is_a_zero_result_search(client, embeddings, make_article):
    make_article(title="App登录不上怎么办", body="1. 检查网络。2. 更新App。3. 重置密码后再登录。")
    page = client.get("/help", query_string={"q": "优惠券用不了"})
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    assert "No articles match your question." in shown or "没有找到与您的问题匹配的文章。" in shown
    assert "/help/contact" in shown  # the contact option beside "no match"
    assert database.session.scalar(sa.select(sa.func.sum(SearchSession.zero_result_searches))) == 1


@pytest.mark.parametrize("query", AWKWARD)
def test_awkward_descriptions_in_agent_assist(client, login_as, make_article, query):
    """Agent assist reads what a description asks before searching (text.rewriting.asked_in): whatever the agent
    types, it answers suggestions, an empty list or a clear 422."""
    make_article(title="如何重置登录密码", body="在登录页点击忘记密码。")
    login_as()
    response = client.get(f"/api/v1/assist?text={quote(query.encode('utf-8', 'surrogatepass'))}")
    assert response.status_code in (200, 422), response.json
    if response.status_code == 200:
        assert isinstance(response.json["suggestions"], list)
        assert "\ud800" not in response.json["query"] and "\x00" not in response.json["query"]
    else:  # the blank description, or U+0000 in any request: said why
        assert response.json.get("errors") or response.json.get("message")
