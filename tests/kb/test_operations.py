"""Article workflow rules in kb.operations: versions, the separate-reviewer rule, review comments, deletion."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from kb.models import ArticleStatus
from kb.operations import (
    archive_article,
    delete_article,
    link_reuse,
    publish_article,
    request_changes,
    submit_for_review,
    update_article,
    wrote_unpublished_changes,
)
from kb.presenting import pending_review_comment
from kb.search import search_service
from records.access import NotFound, PermissionDenied
from records.enums import Language, Role


def titles(query: str) -> list[str]:
    return [hit.title for hit in search_service().search(query).results]


def test_only_the_fields_that_changed_are_named_in_the_version(db, make_user, make_article):
    article = make_article("draft", summary="摘要")
    editor = make_user(Role.TRAINER)
    assert article.versions[0].changed_fields == ["title", "body", "summary", "language"]
    assert update_article(article, {"summary": "摘要", "title": "新标题"}, by=editor) == ["title"]
    assert article.versions[-1].author_name == editor.username
    assert update_article(article, {"title": "新标题"}, by=editor) == []
    assert article.version == 2


def test_no_language_means_the_language_of_the_text(db, make_user, make_article):
    article = make_article("draft", language="en")
    update_article(article, {"language": None}, by=make_user(Role.TRAINER))
    db.session.flush()
    assert article.language == Language.ZH


def test_the_rule_counts_the_owner_and_everyone_who_wrote_since_publication(db, make_user, make_article):
    owner, second, third = make_user(Role.TRAINER), make_user(Role.TRAINER), make_user(Role.TRAINER)
    article = make_article("draft", author=owner)
    assert wrote_unpublished_changes(article, owner) and not wrote_unpublished_changes(article, second)

    update_article(article, {"summary": "改一处"}, by=second)
    submit_for_review(article, by=second)
    assert wrote_unpublished_changes(article, second)
    with pytest.raises(PermissionDenied):
        publish_article(article, by=second)
    publish_article(article, by=third)

    # After publication only later edits count: the second writer's old version no longer binds them.
    update_article(article, {"summary": "再改"}, by=third)
    submit_for_review(article, by=third)
    assert not wrote_unpublished_changes(article, second) and wrote_unpublished_changes(article, third)
    publish_article(article, by=second)
    assert article.live_version.number == 3


def test_imports_publish_directly(db, make_article):
    article = make_article("draft")
    publish_article(article, by="import")
    assert article.status == ArticleStatus.PUBLISHED and article.reviewer_id is None


def test_a_review_comment_is_shown_until_the_author_edits(db, make_user, make_article):
    author, reviewer = make_user(Role.TRAINER), make_user(Role.TRAINER)
    article = make_article("in_review", author=author)
    with pytest.raises(ValidationError):
        request_changes(article, "   ", by=reviewer)
    request_changes(article, "请补充截图", by=reviewer)
    db.session.commit()
    comment = pending_review_comment(article)
    assert comment is not None and comment["comment"] == "请补充截图" and comment["by"] == reviewer.username

    update_article(article, {"body": "补充了截图。"}, by=author)
    db.session.commit()
    assert pending_review_comment(article) is None


def test_deleting_a_published_article_takes_it_off_search(db, make_user, make_article):
    article = make_article(title="如何开具发票")
    assert titles("发票") == ["如何开具发票"]
    with pytest.raises(PermissionDenied):
        delete_article(article, by=make_user(Role.TRAINER))
    delete_article(article, by=make_user(Role.ADMIN))
    db.session.commit()
    assert titles("发票") == []


def test_agents_cannot_reuse_an_article_customers_cannot_see(db, make_user, make_article, make_record):
    agent = make_user(Role.AGENT)
    record = make_record(agent=agent)
    article = make_article()
    archive_article(article, by=make_user(Role.TRAINER))
    with pytest.raises(NotFound):
        link_reuse(article, record, by=agent)
