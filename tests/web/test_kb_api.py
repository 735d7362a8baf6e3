"""The articles API: writing and versions, review and publishing, what agents may read, agent assist and reuse."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kb.models import Article, ArticleRecordLink, ArticleVersion
from kb.search import search_service
from records.enums import Role
from tests.conftest import PASSWORD


@pytest.fixture
def people(make_user):
    return {
        "author": make_user(Role.TRAINER, username="author"),
        "reviewer": make_user(Role.TRAINER, username="reviewer"),
        "admin": make_user(Role.ADMIN, username="admin"),
        "agent": make_user(Role.AGENT, username="agent", team="客服A组"),
        "other_agent": make_user(Role.AGENT, username="other", team="客服B组"),
        "supervisor": make_user(Role.SUPERVISOR, username="lead", team="客服A组"),
    }


def bearer(client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/tokens", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


ARTICLE = {
    "title": "如何重置登录密码",
    "body": "在登录页点击“忘记密码”，按短信验证码重置。\n\n1. 打开 App\n2. 点击忘记密码",
    "summary": "忘记密码时用短信验证码重置。",
    "category": "功能故障",
    "subcategory": "登录异常",
    "tags": "密码, 登录",
    "alt_questions": "忘记密码怎么办\n登录提示密码错误",
    "external_id": "FAQ-001",
}


def create(client, headers, **overrides) -> dict:
    response = client.post("/api/v1/articles", headers=headers, json={**ARTICLE, **overrides})
    assert response.status_code == 201, response.json
    return response.json


def publish(client, people_headers, ref) -> dict:
    """Submit as the author, publish as the reviewer."""
    author, reviewer = people_headers
    assert client.post(f"/api/v1/articles/{ref}/submit", headers=author).status_code == 200
    response = client.post(f"/api/v1/articles/{ref}/publish", headers=reviewer)
    assert response.status_code == 200, response.json
    return response.json


def article_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(Article.id)))


def found_titles(query: str) -> list[str]:
    return [hit.title for hit in search_service().search(query).results]


# ----- writing and versions ----------------------------------------------------------------------------------------


def test_a_new_article_is_a_draft_with_everything_the_trainer_gave(client, people):
    article = create(client, bearer(client, "author"))
    assert article["status"] == "draft" and article["version"] == 1 and article["live_version"] is None
    assert article["owner"] == "author" and article["reviewer"] is None
    assert (article["category"], article["subcategory"]) == ("malfunction", "login")  # labels become taxonomy codes
    assert article["tags"] == ["密码", "登录"]
    assert article["alt_questions"] == ["忘记密码怎么办", "登录提示密码错误"]
    assert article["language"] == "zh"
    assert "<ol>" in article["body_html"] and "<li>打开 App</li>" in article["body_html"]
    assert article["created_at"].endswith("Z") and "T" in article["created_at"]
    assert article["public"] is False and article["view_count"] == 0 and article["reuse_count"] == 0


def test_every_edit_makes_a_version_saying_who_and_what(client, people):
    author, reviewer = bearer(client, "author"), bearer(client, "reviewer")
    article = create(client, author)
    edited = client.patch(
        f"/api/v1/articles/{article['id']}", headers=reviewer, json={"title": "重置登录密码", "note": "标题更短"}
    )
    assert edited.status_code == 200, edited.json
    assert edited.json["version"] == 2 and edited.json["title"] == "重置登录密码"

    versions = client.get(f"/api/v1/articles/{article['id']}/versions", headers=author).json
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[0]["author"] == "author" and versions[0]["note"] == "created"
    assert versions[1]["author"] == "reviewer"
    assert versions[1]["changed_fields"] == ["title"] and versions[1]["note"] == "标题更短"

    # Sending the same content again is not an edit.
    again = client.patch(f"/api/v1/articles/{article['id']}", headers=author, json={"title": "重置登录密码"})
    assert again.json["version"] == 2
    full = client.get(f"/api/v1/articles/{article['id']}/versions/1", headers=author).json
    assert full["title"] == "如何重置登录密码" and full["tags"] == ["密码", "登录"] and "<ol>" in full["body_html"]


def test_diff_names_the_changed_field_with_before_and_after(client, people):
    author = bearer(client, "author")
    article = create(client, author)
    client.patch(
        f"/api/v1/articles/{article['id']}", headers=author, json={"body": "第一步：打开 App。\n第二步：联系客服。"}
    )
    diff = client.get(f"/api/v1/articles/{article['id']}/diff?from=1&to=2", headers=author)
    assert diff.status_code == 200
    assert diff.json["from"] == 1 and diff.json["to"] == 2
    (change,) = diff.json["changes"]
    assert change["field"] == "body"
    assert change["after"].startswith("第一步")
    assert "+第二步：联系客服。" in change["diff"] and "-2. 点击忘记密码" in change["diff"]

    assert client.get(f"/api/v1/articles/{article['id']}/diff?from=1&to=9", headers=author).status_code == 404
    assert client.get(f"/api/v1/articles/{article['id']}/diff?from=1", headers=author).status_code == 422


def test_restoring_an_old_version_brings_its_content_back_as_a_new_version(client, people):
    author = bearer(client, "author")
    article = create(client, author)
    client.patch(f"/api/v1/articles/{article['id']}", headers=author, json={"title": "错误的标题", "tags": ["x"]})
    restored = client.post(f"/api/v1/articles/{article['id']}/restore/1", headers=author)
    assert restored.status_code == 200, restored.json
    assert restored.json["version"] == 3
    assert restored.json["title"] == "如何重置登录密码" and restored.json["tags"] == ["密码", "登录"]
    versions = client.get(f"/api/v1/articles/{article['id']}/versions", headers=author).json
    assert len(versions) == 3 and versions[2]["note"] == "restored version 1"
    assert set(versions[2]["changed_fields"]) == {"title", "tags"}
    assert client.post(f"/api/v1/articles/{article['id']}/restore/7", headers=author).status_code == 404


def test_article_by_external_id(client, people):
    article = create(client, bearer(client, "author"))
    response = client.get("/api/v1/articles/FAQ-001", headers=bearer(client, "reviewer"))
    assert response.status_code == 200 and response.json["id"] == article["id"]


# ----- review and publishing ---------------------------------------------------------------------------------------


def test_the_author_cannot_publish_their_own_article(client, people):
    author, reviewer = bearer(client, "author"), bearer(client, "reviewer")
    article = create(client, author)
    client.post(f"/api/v1/articles/{article['id']}/submit", headers=author)

    refused = client.post(f"/api/v1/articles/{article['id']}/publish", headers=author)
    assert refused.status_code == 403
    assert "other than the author" in refused.json["message"]
    assert client.get(f"/api/v1/articles/{article['id']}", headers=author).json["status"] == "in_review"

    published = client.post(f"/api/v1/articles/{article['id']}/publish", headers=reviewer)
    assert published.status_code == 200
    assert published.json["status"] == "published" and published.json["live_version"] == 1
    assert published.json["reviewer"] == "reviewer" and published.json["published_at"]


def test_someone_who_edited_the_article_cannot_publish_it_either(client, people):
    author, reviewer, admin = bearer(client, "author"), bearer(client, "reviewer"), bearer(client, "admin")
    article = create(client, author)
    client.patch(f"/api/v1/articles/{article['id']}", headers=reviewer, json={"summary": "改过"})
    client.post(f"/api/v1/articles/{article['id']}/submit", headers=reviewer)
    assert client.post(f"/api/v1/articles/{article['id']}/publish", headers=reviewer).status_code == 403
    assert client.post(f"/api/v1/articles/{article['id']}/publish", headers=admin).status_code == 200


def test_without_the_separate_reviewer_rule_the_author_publishes(app, client, people):
    author = bearer(client, "author")
    article = create(client, author)
    app.config["KB_REQUIRE_SEPARATE_REVIEWER"] = False
    try:
        published = client.post(f"/api/v1/articles/{article['id']}/publish", headers=author)
    finally:
        app.config["KB_REQUIRE_SEPARATE_REVIEWER"] = True
    assert published.status_code == 200, published.json
    assert published.json["status"] == "published" and published.json["reviewer"] == "author"


def test_publishing_needs_a_review_first(client, people):
    article = create(client, bearer(client, "author"))
    refused = client.post(f"/api/v1/articles/{article['id']}/publish", headers=bearer(client, "reviewer"))
    assert refused.status_code == 422
    assert refused.json["errors"]["json"]["status"] == ["Submit the article for review before publishing it."]


def test_request_changes_sends_the_article_back_with_a_comment(client, db, people):
    author, reviewer = bearer(client, "author"), bearer(client, "reviewer")
    article = create(client, author)
    client.post(f"/api/v1/articles/{article['id']}/submit", headers=author)

    blank = client.post(f"/api/v1/articles/{article['id']}/request-changes", headers=reviewer, json={"comment": " "})
    assert blank.status_code == 422 and "comment" in blank.json["errors"]["json"]
    missing = client.post(f"/api/v1/articles/{article['id']}/request-changes", headers=reviewer, json={})
    assert missing.status_code == 422

    sent_back = client.post(
        f"/api/v1/articles/{article['id']}/request-changes", headers=reviewer, json={"comment": "补充截图"}
    )
    assert sent_back.status_code == 200 and sent_back.json["status"] == "draft"
    # Sent back once; a draft cannot be sent back again, and submitting twice is refused too.
    again = client.post(f"/api/v1/articles/{article['id']}/request-changes", headers=reviewer, json={"comment": "x"})
    assert again.status_code == 422
    client.post(f"/api/v1/articles/{article['id']}/submit", headers=author)
    assert client.post(f"/api/v1/articles/{article['id']}/submit", headers=author).status_code == 422


def test_archive_takes_the_article_off_search_and_unarchive_makes_a_draft(client, people):
    author, reviewer = bearer(client, "author"), bearer(client, "reviewer")
    article = create(client, author)
    publish(client, (author, reviewer), article["id"])
    assert found_titles("重置密码") == ["如何重置登录密码"]

    archived = client.post(f"/api/v1/articles/{article['id']}/archive", headers=reviewer)
    assert archived.json["status"] == "archived" and archived.json["live_version"] is None
    assert found_titles("重置密码") == []
    assert client.get(f"/api/v1/articles/{article['id']}", headers=bearer(client, "agent")).status_code == 404

    unarchived = client.post(f"/api/v1/articles/{article['id']}/unarchive", headers=author)
    assert unarchived.json["status"] == "draft" and unarchived.json["public"] is False
    assert client.post(f"/api/v1/articles/{article['id']}/unarchive", headers=author).status_code == 422
    assert found_titles("重置密码") == []


def test_an_edited_published_article_stays_live_as_it_was_until_republished(client, people):
    author, reviewer, agent = bearer(client, "author"), bearer(client, "reviewer"), bearer(client, "agent")
    article = create(client, author)
    publish(client, (author, reviewer), article["id"])

    edited = client.patch(
        f"/api/v1/articles/{article['id']}",
        headers=author,
        json={"title": "如何修改绑定手机号", "body": "进入设置修改手机号。"},
    )
    assert edited.json["status"] == "draft" and edited.json["version"] == 2 and edited.json["live_version"] == 1
    assert edited.json["public"] is True

    # Customers and agents still get version 1: search finds the old title, not the new one.
    assert found_titles("重置登录密码") == ["如何重置登录密码"]
    assert found_titles("绑定手机号") == []
    seen_by_agent = client.get(f"/api/v1/articles/{article['id']}", headers=agent).json
    assert seen_by_agent["title"] == "如何重置登录密码" and seen_by_agent["version"] == 1
    assert "忘记密码" in seen_by_agent["body"] and seen_by_agent["status"] == "published"

    publish(client, (author, reviewer), article["id"])
    assert found_titles("绑定手机号") == ["如何修改绑定手机号"]
    assert found_titles("短信验证码") == []  # the old body is gone from search
    assert client.get(f"/api/v1/articles/{article['id']}", headers=agent).json["title"] == "如何修改绑定手机号"


# ----- what agents see ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_agents_and_supervisors_never_see_unpublished_articles(client, people, make_article, status):
    article = make_article(status, title="内部草稿：退款新规", external_id="DRAFT-1")
    for who in ("agent", "lead"):
        headers = bearer(client, who)
        assert client.get(f"/api/v1/articles/{article.id}", headers=headers).status_code == 404
        assert client.get("/api/v1/articles/DRAFT-1", headers=headers).status_code == 404
        assert client.get(f"/api/v1/articles/{article.id}/versions", headers=headers).status_code == 403
        assert client.get("/api/v1/articles", headers=headers).status_code == 403
        suggestions = client.get("/api/v1/assist?text=退款新规", headers=headers).json["suggestions"]
        assert suggestions == []


def test_agents_read_published_articles_without_their_history(client, people, make_article):
    article = make_article(title="发票如何开具", body="在订单详情页申请电子发票。")
    agent = bearer(client, "agent")
    shown = client.get(f"/api/v1/articles/{article.id}", headers=agent)
    assert shown.status_code == 200
    assert shown.json["title"] == "发票如何开具" and "电子发票" in shown.json["body_html"]
    assert client.get(f"/api/v1/articles/{article.id}/versions", headers=agent).status_code == 403
    assert client.get(f"/api/v1/articles/{article.id}/diff?from=1&to=1", headers=agent).status_code == 403


def test_unsafe_markup_in_a_body_is_neutralised(client, people):
    body = (
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[点我](javascript:alert(3))\n\n"
        "![图](javascript:alert(4)) [帮助](https://example.com/help)"
    )
    article = create(client, bearer(client, "author"), body=body, external_id=None)
    html = article["body_html"]
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # raw HTML is shown as text, as written
    assert '<a href="https://example.com/help" rel="noopener noreferrer nofollow">帮助</a>' in html


# ----- permissions and bad input -----------------------------------------------------------------------------------


def test_agents_cannot_write_and_trainers_cannot_delete(client, db, people, make_article):
    agent = bearer(client, "agent")
    refused = client.post("/api/v1/articles", headers=agent, json=ARTICLE)
    assert refused.status_code == 403
    assert client.post("/api/v1/articles", headers=agent, json={}).status_code == 403  # no 422 hints either
    assert article_count(db) == 0

    article = make_article()
    assert client.patch(f"/api/v1/articles/{article.id}", headers=agent, json={"title": "x"}).status_code == 403
    assert client.post(f"/api/v1/articles/{article.id}/archive", headers=agent).status_code == 403
    trainer_delete = client.delete(f"/api/v1/articles/{article.id}", headers=bearer(client, "author"))
    assert trainer_delete.status_code == 403 and "archive" in trainer_delete.json["message"]
    assert article_count(db) == 1

    assert client.delete(f"/api/v1/articles/{article.id}", headers=bearer(client, "admin")).status_code == 204
    assert article_count(db) == 0
    assert db.session.scalar(sa.select(sa.func.count(ArticleVersion.id))) == 0
    assert client.get(f"/api/v1/articles/{article.id}", headers=bearer(client, "admin")).status_code == 404


def test_anonymous_callers_are_401(client, db):
    assert client.get("/api/v1/articles").status_code == 401
    assert client.get("/api/v1/assist?text=密码").status_code == 401


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        ({"title": None}, "title", "This field is required."),
        ({"title": ""}, "title", "This field is required."),
        ({"body": "   "}, "body", "This field is required."),
        ({"title": "长" * 301}, "title", "Use 1 to 300 characters."),
        ({"category": "天气"}, "category", "Unknown category"),
        ({"category": "功能故障", "subcategory": "天气"}, "category", "Unknown subcategory"),
        ({"language": "fr"}, "language", "allowed: zh, en"),
        ({"tags": ["长" * 61]}, "tags", "Use 1 to 60 characters."),
        ({"surprise": 1}, "surprise", "Unknown field"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(client, db, people, payload, field, fragment):
    response = client.post("/api/v1/articles", headers=bearer(client, "author"), json={**ARTICLE, **payload})
    assert response.status_code == 422, response.json
    messages = response.json["errors"]["json"][field]
    assert fragment in str(messages)
    assert article_count(db) == 0


def test_a_second_article_with_the_same_external_id_is_refused(client, db, people):
    author = bearer(client, "author")
    create(client, author)
    again = client.post("/api/v1/articles", headers=author, json={**ARTICLE, "title": "另一篇"})
    assert again.status_code == 422
    assert "FAQ-001" in again.json["errors"]["json"]["external_id"][0]
    assert article_count(db) == 1


def test_a_refused_edit_changes_nothing(client, people):
    author = bearer(client, "author")
    article = create(client, author)
    refused = client.patch(
        f"/api/v1/articles/{article['id']}", headers=author, json={"title": "新标题", "category": "天气"}
    )
    assert refused.status_code == 422
    shown = client.get(f"/api/v1/articles/{article['id']}", headers=author).json
    assert shown["title"] == "如何重置登录密码" and shown["version"] == 1


def test_a_null_language_is_detected_from_the_text(client, people):
    author = bearer(client, "author")
    article = create(client, author, language="en")
    edited = client.patch(f"/api/v1/articles/{article['id']}", headers=author, json={"language": None})
    assert edited.status_code == 200, edited.json
    assert edited.json["language"] == "zh"


# ----- listing -----------------------------------------------------------------------------------------------------


def test_list_filters_pages_and_counts(client, people, make_article):
    make_article("draft", title="草稿一")
    make_article("in_review", title="审核中的文章")
    for number in range(3):
        make_article(title=f"已发布 {number}", body="物流延迟如何赔付", external_id=f"PUB-{number}")
    headers = bearer(client, "reviewer")

    everything = client.get("/api/v1/articles?per_page=2", headers=headers).json
    assert everything["total"] == 5 and len(everything["items"]) == 2
    assert everything["status_counts"] == {"draft": 1, "in_review": 1, "published": 3, "archived": 0}
    assert "body" not in everything["items"][0]  # listings stay light; open one article for its body

    published = client.get("/api/v1/articles?status=published&page=2&per_page=2", headers=headers).json
    assert published["total"] == 3 and len(published["items"]) == 1
    assert client.get("/api/v1/articles?q=PUB-1", headers=headers).json["total"] == 1
    assert client.get("/api/v1/articles?status=gone", headers=headers).status_code == 422


# ----- source records ----------------------------------------------------------------------------------------------


def test_source_records_are_linked_by_number_and_shown_to_staff_who_may_open_them(
    client, db, people, make_article, make_record
):
    article = make_article()
    mine = make_record(agent=people["agent"])
    theirs = make_record(agent=people["other_agent"])
    trainer = bearer(client, "author")

    unknown = client.post(
        f"/api/v1/articles/{article.id}/sources", headers=trainer, json={"records": [mine.number, "R209901019999"]}
    )
    assert unknown.status_code == 422 and "R209901019999" in str(unknown.json["errors"]["json"]["records"])
    assert db.session.scalar(sa.select(sa.func.count(ArticleRecordLink.id))) == 0

    linked = client.post(
        f"/api/v1/articles/{article.id}/sources", headers=trainer, json={"records": [mine.number, theirs.number]}
    )
    assert linked.status_code == 200
    assert {item["number"] for item in linked.json} == {mine.number, theirs.number}
    assert "customer" not in linked.json[0]  # summaries carry nothing personal
    assert set(client.get(f"/api/v1/articles/{article.id}", headers=trainer).json["source_records"]) == {
        mine.number,
        theirs.number,
    }
    # An agent reading the published article sees only the source records they may open.
    agent_view = client.get(f"/api/v1/articles/{article.id}", headers=bearer(client, "agent")).json
    assert agent_view["source_records"] == [mine.number]
    agent_post = client.post(
        f"/api/v1/articles/{article.id}/sources", headers=bearer(client, "agent"), json={"records": [mine.number]}
    )
    assert agent_post.status_code == 403


# ----- agent assist and reuse --------------------------------------------------------------------------------------


def test_assist_suggests_published_articles_for_a_chinese_description(client, people, make_article):
    password = make_article(title="如何重置登录密码", body="在登录页点击“忘记密码”，按短信验证码重置。")
    make_article(title="物流延迟怎么办", body="订单超过承诺时效未送达时，可申请加急或赔付。")
    make_article("draft", title="登录密码规则（草稿）", body="密码需包含字母和数字。")

    response = client.get(
        "/api/v1/assist",
        query_string={"text": "客户忘记了登录密码，无法登录App", "limit": 5},
        headers=bearer(client, "agent"),
    )
    assert response.status_code == 200, response.json
    suggestions = response.json["suggestions"]
    assert suggestions and suggestions[0]["id"] == password.id
    assert suggestions[0]["title"] == "如何重置登录密码"
    assert "<mark" in suggestions[0]["snippet"] and suggestions[0]["score"] > 0
    assert all("草稿" not in item["title"] for item in suggestions)
    assert response.json["mode"] == "bm25"

    assert client.get("/api/v1/assist?text=", headers=bearer(client, "agent")).status_code == 422
    assert client.get("/api/v1/assist?text=x&limit=99", headers=bearer(client, "agent")).status_code == 422


def test_assist_searches_what_the_note_asks_not_its_framing(client, people, make_article):
    """An agent writes "客户反映订单DD…付款5天了还显示待发货，用的华为 Mate 60": the order number, the phone and the
    framing are searched no more than the customer would have typed them."""
    waiting = make_article(title="付款后一直显示待发货怎么办", body="超过承诺时效未发货可申请取消或催发。")
    make_article(title="华为手机上App闪退怎么办", body="请更新到最新版本后重启。")
    response = client.get(
        "/api/v1/assist",
        query_string={"text": "客户反映订单DD202608205222付款5天了还显示“待发货”，用的华为 Mate 60", "limit": 5},
        headers=bearer(client, "agent"),
    )
    assert response.status_code == 200, response.json
    assert response.json["query"] == "付款5天了还显示“待发货”"
    assert [item["id"] for item in response.json["suggestions"]] == [waiting.id]
    # A note that asks nothing recognisable is searched as written.
    vague = client.get("/api/v1/assist", query_string={"text": "没说清楚"}, headers=bearer(client, "agent"))
    assert vague.status_code == 200 and vague.json["query"] == "没说清楚"


def test_linking_an_article_to_a_record_counts_as_a_reuse(client, db, people, make_article, make_record):
    article = make_article()
    record = make_record(agent=people["agent"])
    agent = bearer(client, "agent")
    path = f"/api/v1/records/{record.number}/articles/{article.id}"

    linked = client.post(path, headers=agent)
    assert linked.status_code == 201, linked.json
    assert linked.json == {"record": record.number, "article": article.id, "reuse_count": 1}
    assert client.post(path, headers=agent).json["reuse_count"] == 1  # the same record counts once
    assert client.get(f"/api/v1/articles/{article.id}", headers=agent).json["reuse_count"] == 1
    listed = client.get(f"/api/v1/records/{record.number}/articles", headers=agent).json
    assert listed == [{"id": article.id, "external_id": None, "title": article.title, "public": True}]

    assert client.delete(path, headers=agent).status_code == 204
    assert client.get(f"/api/v1/articles/{article.id}", headers=agent).json["reuse_count"] == 0


def test_reuse_links_stay_within_the_agents_records_and_public_articles(client, people, make_article, make_record):
    article = make_article()
    draft = make_article("draft", title="草稿")
    record = make_record(agent=people["agent"])
    other = make_record(agent=people["other_agent"])

    agent = bearer(client, "agent")
    assert client.post(f"/api/v1/records/{other.number}/articles/{article.id}", headers=agent).status_code == 403
    assert client.post(f"/api/v1/records/{record.number}/articles/{draft.id}", headers=agent).status_code == 404
    assert client.post(f"/api/v1/records/{record.number}/articles/99999", headers=agent).status_code == 404
    # The team's supervisor may link; a trainer (who never answers customers) may not.
    lead = bearer(client, "lead")
    assert client.post(f"/api/v1/records/{record.number}/articles/{article.id}", headers=lead).status_code == 201
    trainer = bearer(client, "author")
    assert client.post(f"/api/v1/records/{record.number}/articles/{article.id}", headers=trainer).status_code == 403


def test_cookie_calls_to_the_articles_api_need_the_csrf_header(app, db, make_user, make_article, make_record):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        agent = make_user(Role.AGENT)
        article, record = make_article(), make_record(agent=agent)
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"username": agent.username, "password": PASSWORD, "csrf_token": token})
        path = f"/api/v1/records/{record.number}/articles/{article.id}"
        assert client.post(path).status_code == 400
        assert client.post(path, headers={"X-CSRFToken": token}).status_code == 201
        # Reading needs no token: the record form's assist calls are plain GETs.
        assert client.get("/api/v1/assist?text=密码").status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_spec_lists_the_article_endpoints(client, db):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {
        "/api/v1/articles",
        "/api/v1/articles/{ref}",
        "/api/v1/articles/{ref}/versions",
        "/api/v1/articles/{ref}/diff",
        "/api/v1/assist",
        "/api/v1/records/{record_ref}/articles/{article_ref}",
    } <= set(paths)
