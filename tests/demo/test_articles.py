"""The demo help centre (`consultkb kb seed-demo`): one article per demo topic and language, imported like any
article, free of personal data, and found by what customers type (BM25 here)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from demo import phrases as ph
from demo.articles import MAX_ALT_QUESTIONS, UNPUBLISHED, demo_articles, seed_demo_articles
from demo.generator import DEMO_USERS
from kb.models import Article, ArticleStatus
from kb.operations import publish_article, update_article
from kb.search import search_service
from records.db import db
from records.masking import find_pii

#: (topic, language) of every demo article: each topic in each language it has records in.
EXPECTED = {(key, lang) for key, topic in ph.TOPICS.items() for lang in ("zh", "en") if lang in topic}


def demo_article(external_id: str) -> Article:
    return db.session.scalar(sa.select(Article).where(Article.external_id == external_id))


def found(query: str, **kwargs) -> list[str]:
    return [hit.external_id for hit in search_service().search(query, **kwargs).results]


def test_every_demo_article_imports_with_the_status_it_asks_for(db):
    result = seed_demo_articles()

    assert result.report.rejected == []
    assert result.report.created == len(EXPECTED) and result.existing == 0
    articles = db.session.scalars(sa.select(Article)).all()
    assert {article.external_id for article in articles} == {f"demo-{key}-{lang}" for key, lang in EXPECTED}
    for article in articles:
        key, lang = article.external_id.removeprefix("demo-").rsplit("-", 1)
        assert article.language.value == lang
        assert (article.category, article.subcategory) == (ph.TOPICS[key]["category"], ph.TOPICS[key]["subcategory"])
        assert article.status == UNPUBLISHED.get((key, lang), ArticleStatus.PUBLISHED)
        assert article.is_public == (article.status == ArticleStatus.PUBLISHED)
    assert 2 <= len(UNPUBLISHED) <= 3
    assert {status for status in UNPUBLISHED.values()} == {ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW}


def test_demo_articles_read_like_help_centre_articles():
    for article in demo_articles():
        assert article["title"].endswith(("？", "?")), article["title"]
        assert article["summary"] and article["tags"]
        assert 2 <= len(article["alt_questions"]) <= MAX_ALT_QUESTIONS, article["external_id"]
        assert article["title"] not in article["alt_questions"]
        steps = re.findall(r"^(\d+)\. \S", article["body"], re.MULTILINE)
        assert steps[:2] == ["1", "2"], article["body"]
        # Everything a record fills in per case ({order}, {price}, ...) was turned into general words.
        texts = [article["title"], article["summary"], article["body"], *article["alt_questions"]]
        assert not [text for text in texts if re.search(r"[{}]", text)]


def test_a_second_run_creates_nothing_and_keeps_a_trainers_edit(app, db):
    seed_demo_articles()
    article = demo_article("demo-login-zh")
    update_article(article, {"title": "App 登录失败怎么办？"}, by="trainer")
    db.session.commit()

    again = seed_demo_articles()

    assert again.report.created == again.report.updated == 0 and again.report.rejected == []
    assert again.existing == len(EXPECTED)
    assert db.session.scalar(sa.select(sa.func.count(Article.id))) == len(EXPECTED)
    assert demo_article("demo-login-zh").title == "App 登录失败怎么办？"


def test_cli_seeds_and_says_how_many_it_created(app, db):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["kb", "seed-demo"])
    second = runner.invoke(args=["kb", "seed-demo"])

    assert first.exit_code == 0, first.output
    assert f"Demo articles: {len(EXPECTED)} created, 0 already there." in first.output
    assert second.exit_code == 0, second.output
    assert f"Demo articles: 0 created, {len(EXPECTED)} already there." in second.output


def test_drafts_and_articles_in_review_are_not_searchable(db):
    seed_demo_articles()

    for (key, lang), status in UNPUBLISHED.items():
        external_id = f"demo-{key}-{lang}"
        article = demo_article(external_id)
        assert article.status == status
        assert external_id not in found(article.title, language=lang)
        assert external_id not in found(article.alt_questions[0], language=lang)

    # The same search finds the article once it is published: the searches above could have found it.
    key, lang = next(iter(UNPUBLISHED))
    article = demo_article(f"demo-{key}-{lang}")
    publish_article(article, by="import")
    db.session.commit()
    assert f"demo-{key}-{lang}" in found(article.title, language=lang)


def test_no_personal_data_in_any_demo_article(db):
    seed_demo_articles()

    # The demo's agents, supervisors and trainer: "客服A组-王芳" → 王芳, "Emily Carter".
    names = [user.display_name.split("-")[-1] for user in DEMO_USERS if user.role != "admin"]
    name_patterns = [rf"\b{re.escape(name)}\b" if name.isascii() else re.escape(name) for name in names]
    for article in db.session.scalars(sa.select(Article)):
        for version in article.versions:
            texts = [version.title, version.summary, version.body, *version.alt_questions, *version.tags]
            for text in texts:
                assert find_pii(text) == [], (article.external_id, text)
                assert not [pattern for pattern in name_patterns if re.search(pattern, text)], text


@pytest.mark.parametrize(
    ("query", "external_id"),
    [
        ("快递好几天了还没送到", "demo-delivery_delay-zh"),
        ("忘记密码怎么办", "demo-password_reset-zh"),
        ("退款什么时候到账", "demo-refund_progress-zh"),
        ("my parcel has not arrived", "demo-delivery_delay-en"),
        ("I was charged twice", "demo-duplicate_charge-en"),
        ("how do I cancel an order", "demo-order_cancel-en"),
    ],
)
def test_what_a_customer_types_finds_the_demo_article(db, query, external_id):
    seed_demo_articles()

    assert found(query)[:1] == [external_id]
