"""Related articles: by meaning blended with the same category, public and in the article's language only."""

from __future__ import annotations

import pytest

from kb.operations import archive_article
from kb.related import related_articles
from records.db import db as database
from records.enums import Role


def titles(article) -> list[str]:
    return [hit.title for hit in related_articles(article, article.live_version)]


@pytest.fixture
def shelf(make_article, make_user):
    editor = make_user(Role.TRAINER)
    refund = make_article(
        title="退款多久到账",
        body="退款审核通过后原路退回，一般 1-7 个工作日到账。",
        category="账单疑问",
        subcategory="退款进度",
    )
    articles = {
        "refund": refund,
        "refund_delay": make_article(
            title="退款一直没到账怎么办",
            body="请先查看退款进度，超过 7 个工作日未到账请联系客服。",
            category="账单疑问",
            subcategory="退款进度",
        ),
        "double": make_article(
            title="同一笔订单被扣了两次款",
            body="重复扣款会在 3 个工作日内自动退款，到账时间以银行为准。",
            category="账单疑问",
            subcategory="重复扣费",
        ),
        "hacked": make_article(
            title="账号被盗怎么办",
            body="请立即修改密码并冻结账号，退款不会受影响。",
            category="账户安全",
        ),
        "english": make_article(
            title="When will my refund arrive?",
            body="Refunds arrive within 7 working days.",
            category="账单疑问",
            subcategory="退款进度",
            language="en",
        ),
        "draft": make_article(
            "draft",
            title="退款到账时间说明（草稿）",
            body="退款到账时间。",
            category="账单疑问",
            subcategory="退款进度",
        ),
    }
    archived = make_article(title="退款规则（旧）", body="旧的退款规则。", category="账单疑问", subcategory="退款进度")
    archive_article(archived, by=editor)
    database.session.commit()
    articles["archived"] = archived
    return articles


def test_related_articles_are_public_same_language_and_never_the_article_itself(shelf):
    shown = titles(shelf["refund"])
    assert "退款多久到账" not in shown
    assert "When will my refund arrive?" not in shown, "a Chinese article lists Chinese articles"
    assert "退款到账时间说明（草稿）" not in shown and "退款规则（旧）" not in shown


def test_the_same_subcategory_comes_first_and_other_categories_need_meaning(shelf):
    shown = titles(shelf["refund"])
    assert shown[0] == "退款一直没到账怎么办"
    assert "同一笔订单被扣了两次款" in shown, "the same category counts even where words differ"
    assert "账号被盗怎么办" not in shown, "another category sharing a word (退款) is not related"


def test_an_english_article_lists_english_articles(shelf, make_article):
    other = make_article(
        title="My refund has not arrived",
        body="Check the refund status first.",
        category="账单疑问",
        subcategory="退款进度",
        language="en",
    )
    assert titles(shelf["english"]) == [other.title]


@pytest.mark.model
def test_model_relates_by_meaning_not_by_a_shared_word(db, embeddings, shelf, make_article):
    make_article(title="怎么申请退货", body="在订单详情页申请退货，寄回后退款。", category="退换货")
    shown = titles(shelf["refund"])
    assert shown[0] == "退款一直没到账怎么办"
    assert "账号被盗怎么办" not in shown
    assert set(shown) <= {"退款一直没到账怎么办", "同一笔订单被扣了两次款", "怎么申请退货"}
