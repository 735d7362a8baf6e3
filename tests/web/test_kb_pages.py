"""Knowledge-base pages: the article list, the form, the detail page with its workflow and versions, the diff, and
agent assist and reuse on the record pages."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import sqlalchemy as sa

from kb.models import Article, ArticleRecordLink, ArticleStatus, LinkKind
from kb.operations import reuse_counts, update_article
from records.enums import Role
from tests.web.test_pages import form_data


def page(response) -> str:
    return response.get_data(as_text=True)


def article_form(**overrides: str) -> dict[str, str]:
    data = {
        "title": "如何重置登录密码",
        "summary": "忘记密码时用短信验证码重置。",
        "category": "malfunction",
        "subcategory": "login",
        "tags": "密码, 登录",
        "alt_questions": "忘记密码怎么办\r\n登录提示密码错误",
        "language": "",
        "external_id": "",
        "body": "## 步骤\r\n\r\n1. 打开 App\r\n2. 点击**忘记密码**",
        "note": "",
    }
    data.update(overrides)
    return data


def article_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(Article.id)))


# ----- navigation and access ---------------------------------------------------------------------------------------


def test_trainers_find_the_knowledge_base_in_the_menu_and_everyone_the_help_center(client, login_as):
    assert 'href="/help"' in page(client.get("/login"))
    login_as(Role.TRAINER)
    html = page(client.get("/records"))
    assert 'href="/kb/articles"' in html and 'href="/help"' in html


def test_agents_have_no_article_list_but_read_published_articles(client, db, login_as, make_article):
    published = make_article(title="发票如何开具", body="在订单详情页申请**电子发票**。")
    draft = make_article("draft", title="内部草稿")
    login_as(Role.AGENT)
    assert 'href="/kb/articles"' not in page(client.get("/records"))
    assert client.get("/kb/articles").status_code == 403
    assert client.get("/kb/articles/new").status_code == 403

    html = page(client.get(f"/kb/articles/{published.id}"))
    assert "<strong>电子发票</strong>" in html
    assert f"/kb/articles/{published.id}/edit" not in html and "/publish" not in html and "Versions" not in html
    assert client.get(f"/kb/articles/{draft.id}").status_code == 404
    assert client.get(f"/kb/articles/{published.id}/versions/1").status_code == 403


# ----- list --------------------------------------------------------------------------------------------------------


def test_list_has_status_tabs_with_counts_filters_and_pages(app, client, login_as, make_article, monkeypatch):
    make_article("draft", title="草稿甲")
    make_article("in_review", title="待审乙")
    for number in range(3):
        make_article(title=f"发布丙{number}", external_id=f"PUB-{number}")
    login_as(Role.TRAINER)
    client.post("/language", data={"language": "en"})

    html = page(client.get("/kb/articles"))
    tabs = re.sub(r"\s+", " ", html)
    for label, count in (("All", 5), ("Draft", 1), ("In review", 1), ("Published", 3), ("Archived", 0)):
        assert re.search(rf">{label} <span class=\"badge[^\"]*\">{count}</span>", tabs), label
    assert "草稿甲" in html and "发布丙0" in html

    drafts = page(client.get("/kb/articles?status=draft"))
    assert "草稿甲" in drafts and "发布丙0" not in drafts and "待审乙" not in drafts
    found = page(client.get("/kb/articles?q=PUB-2"))
    assert "发布丙2" in found and "发布丙1" not in found
    ignored = page(client.get("/kb/articles?status=lost"))
    assert "ignored" in ignored and "草稿甲" in ignored

    monkeypatch.setitem(app.config, "RECORDS_PER_PAGE", 2)
    first, last = page(client.get("/kb/articles")), page(client.get("/kb/articles?page=3"))
    assert "3 articles found" not in first and "5 articles found" in first
    assert 'href="/kb/articles?page=3"' in first
    assert sum(title in last for title in ("草稿甲", "待审乙", "发布丙0", "发布丙1", "发布丙2")) == 1


# ----- form --------------------------------------------------------------------------------------------------------


def test_writing_an_article_through_the_form(client, db, login_as):
    author = login_as(Role.TRAINER)
    form = page(client.get("/kb/articles/new"))
    assert 'name="alt_questions"' in form and 'name="note"' in form and "data-subcategory-select" in form

    response = client.post("/kb/articles/new", data=article_form())
    assert response.status_code == 302
    article = db.session.scalar(sa.select(Article))
    assert response.headers["Location"].endswith(f"/kb/articles/{article.id}")
    assert article.owner_id == author.id and article.status == ArticleStatus.DRAFT
    assert (article.category, article.subcategory) == ("malfunction", "login")
    assert article.alt_questions == ["忘记密码怎么办", "登录提示密码错误"]
    assert article.language.value == "zh"

    detail = page(client.get(response.headers["Location"]))
    assert "<h2>步骤</h2>" in detail and "<strong>忘记密码</strong>" in detail
    assert "Not on the help center" in detail or "客户无法找到" in detail


def test_a_refused_form_keeps_the_input_and_saves_nothing(client, db, login_as):
    login_as(Role.TRAINER)
    client.post("/language", data={"language": "en"})
    response = client.post(
        "/kb/articles/new", data=article_form(title="", category="weather", subcategory="", body="正文保留")
    )
    assert response.status_code == 422
    html = page(response)
    assert "The article was not saved" in html
    assert "Title: This field is required." in html
    assert "Unknown category" in html
    assert "正文保留</textarea>" in html and 'value="密码, 登录"' in html
    assert article_count(db) == 0


def test_editing_makes_a_version_and_a_blank_title_is_refused(client, db, login_as, make_article):
    article = make_article("draft", summary="旧摘要")
    editor = login_as(Role.TRAINER)
    client.post("/language", data={"language": "en"})
    form = page(client.get(f"/kb/articles/{article.id}/edit"))
    assert 'value="如何重置登录密码"' in form and "旧摘要</textarea>" in form

    refused = client.post(f"/kb/articles/{article.id}/edit", data=article_form(title=""))
    assert refused.status_code == 422 and "This field is required." in page(refused)
    db.session.refresh(article)
    assert article.version == 1

    saved = client.post(f"/kb/articles/{article.id}/edit", data=article_form(summary="", tags="", note="补充步骤"))
    assert saved.status_code == 302
    db.session.refresh(article)
    assert article.version == 2 and article.summary is None and article.category == "malfunction"
    latest = article.versions[-1]
    assert latest.author_id == editor.id and latest.note == "补充步骤"
    assert set(latest.changed_fields) == {"summary", "body", "alt_questions", "category", "subcategory"}

    detail = page(client.get(f"/kb/articles/{article.id}"))
    assert "Saved as version 2." in detail
    assert editor.username in detail and "补充步骤" in detail and "Summary" in detail


# ----- detail: safety, workflow ------------------------------------------------------------------------------------


def test_unsafe_markup_is_neutralised_on_the_staff_page(client, login_as, make_article):
    """Checked on the parsed page: no script element, no event-handler attribute, no javascript: URL anywhere."""
    article = make_article(
        "draft",
        title="<script>alert('title')</script>",
        body=(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[点我](javascript:alert(3))\n\n"
            '<a href="javascript:alert(4)">x</a>'
        ),
    )
    login_as(Role.TRAINER)
    html = page(client.get(f"/kb/articles/{article.id}"))
    body = html.split('<article class="kb-body')[1].split("</article>")[0]
    assert "<script" not in body and "<img" not in body and "<a " not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body  # shown as the text that was written
    assert "<script>alert('title')" not in html and "&lt;script&gt;alert(" in html
    elements = ElementCollector()
    elements.feed(html)
    scripts = [attrs for tag, attrs in elements.seen if tag == "script"]
    assert all(attrs.get("src", "").startswith("/") for attrs in scripts)  # only our own script files
    assert not [attrs for _, attrs in elements.seen if any(name.startswith("on") for name in attrs)]
    assert not [attrs for _, attrs in elements.seen if "javascript:" in (attrs.get("href") or attrs.get("src") or "")]


class ElementCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, {name: value or "" for name, value in attrs}))


def test_the_author_gets_no_publish_button_and_a_refused_publish_changes_nothing(
    client, db, make_user, make_article, sign_in
):
    author = make_user(Role.TRAINER)
    article = make_article("in_review", author=author)
    sign_in(author)
    client.post("/language", data={"language": "en"})
    html = page(client.get(f"/kb/articles/{article.id}"))
    assert f"/kb/articles/{article.id}/publish" not in html
    assert "another trainer or administrator must review and publish it" in html

    refused = client.post(f"/kb/articles/{article.id}/publish", follow_redirects=True)
    assert "Someone other than the author must review and publish this article." in page(refused)
    db.session.refresh(article)
    assert article.status == ArticleStatus.IN_REVIEW and article.live_version_id is None


def test_a_reviewer_publishes_or_sends_back_with_a_comment(client, db, login_as, make_article):
    article = make_article("in_review")
    login_as(Role.TRAINER)
    client.post("/language", data={"language": "en"})
    html = page(client.get(f"/kb/articles/{article.id}"))
    assert f'action="/kb/articles/{article.id}/publish"' in html
    assert f'action="/kb/articles/{article.id}/request-changes"' in html

    blank = client.post(f"/kb/articles/{article.id}/request-changes", data={"comment": ""}, follow_redirects=True)
    assert "Say what should change." in page(blank)
    sent = client.post(
        f"/kb/articles/{article.id}/request-changes", data={"comment": "请补充<b>截图</b>"}, follow_redirects=True
    )
    db.session.refresh(article)
    assert article.status == ArticleStatus.DRAFT
    assert "Changes requested by" in page(sent) and "请补充&lt;b&gt;截图&lt;/b&gt;" in page(sent)

    client.post(f"/kb/articles/{article.id}/submit")
    published = client.post(f"/kb/articles/{article.id}/publish", follow_redirects=True)
    db.session.refresh(article)
    assert article.status == ArticleStatus.PUBLISHED and article.live_version.number == 1
    assert "customers now see version 1" in page(published)


def test_an_edited_published_article_says_which_version_is_live(client, db, make_user, login_as, make_article):
    article = make_article(title="旧标题")
    update_article(article, {"title": "新标题"}, by=make_user(Role.TRAINER))
    db.session.commit()
    login_as(Role.TRAINER)
    client.post("/language", data={"language": "en"})
    html = page(client.get(f"/kb/articles/{article.id}"))
    assert "新标题" in html and "Customers see version 1" in html
    assert f"/kb/articles/{article.id}/diff?from=1&amp;to=2" in html
    old = page(client.get(f"/kb/articles/{article.id}/versions/1"))
    assert "旧标题" in old and "Live" in old and "Restore this version" in old


def test_archive_and_unarchive(client, db, login_as, make_article):
    article = make_article()
    login_as(Role.TRAINER)
    client.post(f"/kb/articles/{article.id}/archive")
    db.session.refresh(article)
    assert article.status == ArticleStatus.ARCHIVED and not article.is_public
    html = page(client.get(f"/kb/articles/{article.id}"))
    assert f"/kb/articles/{article.id}/unarchive" in html and f"/kb/articles/{article.id}/edit" not in html
    client.post(f"/kb/articles/{article.id}/unarchive")
    db.session.refresh(article)
    assert article.status == ArticleStatus.DRAFT


def test_only_administrators_delete(client, db, make_user, make_article, sign_in):
    article = make_article()
    trainer = make_user(Role.TRAINER)
    sign_in(trainer)
    client.post("/language", data={"language": "en"})
    assert f"/kb/articles/{article.id}/delete" not in page(client.get(f"/kb/articles/{article.id}"))
    refused = client.post(f"/kb/articles/{article.id}/delete", follow_redirects=True)
    assert "Only administrators delete articles" in page(refused)
    assert article_count(db) == 1

    client.post("/logout")
    sign_in(make_user(Role.ADMIN))
    assert f"/kb/articles/{article.id}/delete" in page(client.get(f"/kb/articles/{article.id}"))
    deleted = client.post(f"/kb/articles/{article.id}/delete")
    assert deleted.status_code == 303 and deleted.headers["Location"].endswith("/kb/articles")
    assert article_count(db) == 0


# ----- versions, diff, restore -------------------------------------------------------------------------------------


def test_versions_diff_and_restore(client, db, make_user, login_as, make_article):
    article = make_article("draft", body="第一步：打开 App。")
    editor = make_user(Role.TRAINER, username="zhao")
    update_article(
        article, {"body": "第一步：打开 App。\n第二步：<b>点击</b>忘记密码。", "note": "加第二步"}, by=editor
    )
    db.session.commit()
    login_as(Role.TRAINER)
    client.post("/language", data={"language": "en"})

    detail = page(client.get(f"/kb/articles/{article.id}"))
    versions = detail.split('id="versions"')[1]
    assert "zhao" in versions and "加第二步" in versions and "Body" in versions

    diff = page(client.get(f"/kb/articles/{article.id}/diff?from=1&to=2"))
    assert "Changes from version 1 to version 2" in diff
    assert '<span class="kb-diff-add"><ins>+第二步：&lt;b&gt;点击&lt;/b&gt;忘记密码。</ins></span>' in diff
    assert "<b>点击</b>" not in diff
    assert client.get(f"/kb/articles/{article.id}/diff?from=1&to=5").status_code == 404

    restored = client.post(f"/kb/articles/{article.id}/restore/1", follow_redirects=True)
    assert "Version 1 restored as version 3." in page(restored)
    db.session.refresh(article)
    assert article.version == 3 and article.body == "第一步：打开 App。"
    assert article.versions[-1].note == "restored version 1"


def test_source_records_are_linked_from_the_detail_page(client, db, make_user, login_as, make_article, make_record):
    article = make_article()
    record = make_record()
    login_as(Role.TRAINER)
    client.post("/language", data={"language": "en"})
    missing = client.post(
        f"/kb/articles/{article.id}/sources", data={"records": "R209901019999"}, follow_redirects=True
    )
    assert "nothing was linked" in page(missing)
    client.post(f"/kb/articles/{article.id}/sources", data={"records": record.number})
    html = page(client.get(f"/kb/articles/{article.id}"))
    assert f'href="/records/{record.number}"' in html


def test_views_helpful_votes_and_reuses_are_shown(client, db, login_as, make_article, make_record):
    article = make_article()
    article.view_count, article.helpful_yes, article.helpful_no = 12, 5, 2
    db.session.add(ArticleRecordLink(article_id=article.id, record_id=make_record().id, kind=LinkKind.REUSE))
    db.session.commit()
    login_as(Role.TRAINER)
    client.post("/language", data={"language": "en"})
    html = re.sub(r"\s+", " ", page(client.get(f"/kb/articles/{article.id}")))
    assert re.search(r"Views</dt>\s*<dd[^>]*>12</dd>", html)
    assert "yes 5 · no 2" in html
    assert re.search(r"Reuses</dt>\s*<dd[^>]*>1</dd>", html)


# ----- agent assist and reuse on record pages ----------------------------------------------------------------------


def test_the_record_form_offers_article_suggestions(client, login_as):
    login_as(Role.AGENT)
    html = page(client.get("/records/new"))
    assert 'data-assist-url="/api/v1/assist"' in html
    assert 'data-assist-source="f-problem_description"' in html
    assert "article_assist.js" in html and 'name="reuse_articles"' in html


def test_articles_ticked_on_the_new_record_form_are_reused(client, db, login_as, make_article):
    article = make_article()
    draft = make_article("draft", title="草稿")
    login_as(Role.AGENT)
    response = client.post("/records/new", data={**form_data(), "reuse_articles": [str(article.id), str(draft.id)]})
    assert response.status_code == 302, page(response)
    # The published article counts; a draft an agent could never have seen is ignored.
    assert reuse_counts([article.id, draft.id]) == {article.id: 1}


def test_ticked_suggestions_survive_a_refused_save(client, login_as, make_article):
    article = make_article()
    login_as(Role.AGENT)
    response = client.post(
        "/records/new", data={**form_data(problem_description=""), "reuse_articles": str(article.id)}
    )
    assert response.status_code == 422
    assert f'data-assist-checked="{article.id}"' in page(response)


def test_agents_link_and_unlink_articles_on_the_record_page(client, db, make_user, make_article, make_record, sign_in):
    agent = make_user(Role.AGENT)
    article = make_article(title="如何重置登录密码")
    record = make_record(agent=agent)
    sign_in(agent)
    client.post("/language", data={"language": "en"})

    html = page(client.get(f"/records/{record.number}"))
    assert "No knowledge-base article is linked to this record." in html
    assert f'action="/records/{record.number}/articles"' in html and "data-assist-text=" in html

    unknown = client.post(f"/records/{record.number}/articles", data={"article": "NOPE"}, follow_redirects=True)
    assert "There is no published article NOPE." in page(unknown)
    linked = client.post(f"/records/{record.number}/articles", data={"article": str(article.id)}, follow_redirects=True)
    assert "Article linked to this record." in page(linked)
    assert f'href="/kb/articles/{article.id}">如何重置登录密码</a>' in page(linked)
    assert reuse_counts([article.id]) == {article.id: 1}

    client.post(f"/records/{record.number}/articles/{article.id}/unlink")
    assert reuse_counts([article.id]) == {}


def test_other_agents_cannot_link_to_a_record_they_cannot_see(client, make_user, make_article, make_record, sign_in):
    article = make_article()
    record = make_record(agent=make_user(Role.AGENT))
    sign_in(make_user(Role.AGENT))
    assert client.post(f"/records/{record.number}/articles", data={"article": str(article.id)}).status_code == 403
    assert reuse_counts([article.id]) == {}


def test_trainers_see_the_linked_articles_without_link_buttons(
    client, db, make_user, login_as, make_article, make_record
):
    article = make_article()
    agent = make_user(Role.AGENT)
    record = make_record(agent=agent)
    db.session.add(ArticleRecordLink(article_id=article.id, record_id=record.id, kind=LinkKind.REUSE))
    db.session.commit()
    login_as(Role.TRAINER)
    html = page(client.get(f"/records/{record.number}"))
    assert f'href="/kb/articles/{article.id}"' in html
    assert f'action="/records/{record.number}/articles"' not in html and "/unlink" not in html


# ----- language ----------------------------------------------------------------------------------------------------


def test_article_pages_in_chinese(client, login_as, make_article):
    article = make_article("in_review")
    login_as(Role.TRAINER)
    client.post("/language", data={"language": "zh_CN"})
    listing = page(client.get("/kb/articles"))
    assert "知识库" in listing and "审核中" in listing and "已发布" in listing
    detail = unescape(page(client.get(f"/kb/articles/{article.id}")))
    assert "版本" in detail and "发布" in detail and "退回修改" in detail
    form = page(client.get("/kb/articles/new"))
    assert "标题" in form and "其他问法" in form and "本次修改" in form
    assert "Title" not in form
