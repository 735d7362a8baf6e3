"""Self-service search as customers use it: Chinese, traditional Chinese, English and mixed queries (BM25 here;
the real model is exercised in test_embeddings.py)."""

from __future__ import annotations

import multiprocessing
import re
from pathlib import Path

import pytest

from kb.index import TextIndex
from kb.operations import archive_article, update_article
from kb.search import SearchService, search_service
from records.db import db
from records.enums import Role

ARTICLES = [
    {
        "external_id": "reset-password",
        "title": "如何重置登录密码",
        "body": "在App登录页点击“忘记密码”，输入手机号并填写短信验证码，即可设置新密码。",
        "alt_questions": ["忘记密码怎么办", "密码错误登录不了"],
        "tags": ["登录", "密码"],
        "category": "功能故障",
        "subcategory": "登录异常",
    },
    {
        "external_id": "refund-time",
        "title": "退款多久到账",
        "body": "退款审核通过后，款项在3-5个工作日内原路退回您的账户。",
        "alt_questions": ["退款什么时候到", "钱还没退回来"],
        "tags": ["退款"],
        "category": "账单疑问",
    },
    {
        "external_id": "card-arrival",
        "title": "When will my new card arrive?",
        "body": "Cards are delivered within 7 working days. You can track the delivery in the app.",
        "alt_questions": ["My card has not arrived yet", "How long does card delivery take?"],
        "tags": ["card", "delivery"],
        "language": "en",
    },
    {
        "external_id": "change-phone",
        "title": "How do I change my phone number?",
        "body": "Open Settings, then Account, and verify the new number with an SMS code.",
        "alt_questions": ["update mobile number"],
        "tags": ["account"],
        "language": "en",
    },
]


@pytest.fixture
def articles(make_article):
    return {data["external_id"]: make_article(**data) for data in ARTICLES}


def titles(query: str, **kwargs) -> list[str]:
    return [hit.title for hit in search_service().search(query, **kwargs).results]


def test_chinese_query_finds_the_chinese_article(articles):
    assert titles("忘记密码了怎么办")[0] == "如何重置登录密码"
    assert titles("退款几天能到")[0] == "退款多久到账"


def test_traditional_chinese_query_finds_the_simplified_article(articles):
    assert titles("忘記密碼")[0] == "如何重置登录密码"
    assert titles("退款多久到帳")[0] == "退款多久到账"


def test_english_query_is_stemmed(articles):
    assert titles("cards delivered")[0] == "When will my new card arrive?"
    assert titles("changing phone numbers")[0] == "How do I change my phone number?"


def test_mixed_query(articles):
    assert titles("App 登录 忘记密码 SMS")[0] == "如何重置登录密码"


def test_full_width_letters_are_folded(articles):
    assert titles("ｃａｒｄ")[0] == "When will my new card arrive?"


def test_title_outweighs_body(make_article):
    make_article(title="发票怎么开", body="在订单详情页申请电子发票。", external_id="a")
    make_article(title="订单详情页在哪里", body="订单详情页可以查看发票、物流等信息。", external_id="b")
    assert titles("发票")[0] == "发票怎么开"


def test_unrelated_query_finds_nothing(articles):
    response = search_service().search("天气预报")
    assert response.results == []


def test_snippet_highlights_and_escapes(make_article):
    make_article(title="验证码收不到", body="<img src=x onerror=alert(1)> 请检查短信拦截设置后重新获取验证码。")
    hit = search_service().search("短信验证码").results[0]
    assert '<mark class="match term0">短信</mark>' in hit.snippet
    # The only markup is the highlighting; the article's own tags arrive as text.
    assert "<" not in re.sub(r'<mark class="match term\d+">|</mark>', "", hit.snippet)


def test_did_you_mean_corrects_misspelt_english(articles):
    response = search_service().search("carrd delivary")
    assert response.did_you_mean == "card delivery"
    assert search_service().search("card delivery").did_you_mean is None


def test_filters_by_category_and_language(articles):
    assert titles("密码 退款", category="billing") == ["退款多久到账"]
    assert titles("card 密码", language="en") == ["When will my new card arrive?"]


def test_drafts_and_articles_in_review_are_never_found(make_article):
    make_article(status="draft", title="内部草稿：会员积分规则", body="积分规则草稿")
    make_article(status="in_review", title="审核中：积分兑换", body="积分兑换说明")
    assert titles("积分") == []


def test_archiving_removes_an_article_from_search(articles, make_user):
    archive_article(articles["refund-time"], by=make_user(Role.TRAINER))
    db.session.commit()
    assert "退款多久到账" not in titles("退款")


def test_an_edit_stays_unsearchable_until_published(articles, make_user):
    article = articles["refund-time"]
    update_article(article, {"title": "退款到账时间说明（新版）"}, by=make_user(Role.TRAINER))
    db.session.commit()
    assert titles("退款") == ["退款多久到账"]
    assert titles("新版") == []


def test_another_worker_finds_what_this_one_indexed(articles):
    # A second web worker: its own searcher and vectors over the same index directory.
    other = SearchService(_app_with_data_dir(search_service().text_index.directory.parent))
    assert [hit.title for hit in other.search("退款").results] == ["退款多久到账"]


def test_reindex_gives_the_same_results(articles, make_user, make_article):
    # Changes applied incrementally: an edit published, an archive, a new article.
    trainer, reviewer = make_user(Role.TRAINER), make_user(Role.TRAINER)
    from kb.operations import publish_article, submit_for_review

    article = articles["card-arrival"]
    update_article(article, {"alt_questions": ["Where is my card?", "card not delivered"]}, by=trainer)
    submit_for_review(article, by=trainer)
    publish_article(article, by=reviewer)
    archive_article(articles["change-phone"], by=trainer)
    db.session.commit()
    make_article(title="如何注销账户", body="在设置中申请注销账户，7天后生效。", external_id="close")
    queries = ["忘记密码", "退款", "where is my card", "phone number", "注销账户", "card 退款"]
    before = [[(hit.article_id, hit.title) for hit in search_service().search(q).results] for q in queries]

    count = search_service().rebuild()

    assert count == 4
    after = [[(hit.article_id, hit.title) for hit in search_service().search(q).results] for q in queries]
    assert after == before
    assert before[2][0][1] == "When will my new card arrive?"


def _reader(directory: str, queue) -> None:
    index = TextIndex(directory)
    try:
        for _ in range(40):
            results = index.search(["退款"], limit=5)
            assert all(fields["title"] for fields, _ in results)
        queue.put("ok")
    except Exception as exc:  # reported to the parent test
        queue.put(repr(exc))


def test_readers_in_other_processes_are_safe_while_one_writes(tmp_path):
    directory = tmp_path / "index"
    writer_index = TextIndex(directory)
    writer_index.apply([_document(1)], [], "t0")
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    readers = [context.Process(target=_reader, args=(str(directory), queue)) for _ in range(2)]
    for process in readers:
        process.start()
    for round_number in range(20):
        writer_index.apply([_document(article_id) for article_id in range(2, 6)], [], f"t{round_number}")
    for process in readers:
        process.join(timeout=120)
    assert [queue.get(timeout=5) for _ in readers] == ["ok", "ok"]
    assert len(writer_index.all_documents()) == 5
    writer_index.close()


def _document(article_id: int) -> dict:
    return {
        "article_id": str(article_id),
        "version_id": article_id,
        "external_id": None,
        "title": f"退款说明 {article_id}",
        "alt_questions": "",
        "tags": "",
        "body": "退款原路退回",
        "summary": "",
        "spelling": "",
        "category": "",
        "subcategory": "",
        "language": "zh",
    }


def _app_with_data_dir(data_dir: Path):
    class _Config:
        config = {"DATA_DIR": str(data_dir)}

    return _Config()


def test_did_you_mean_prefers_the_closest_word(make_article):
    make_article(title="How long does a refund take?", body="Refunds reach your account in 5 days.", language="en")
    make_article(title="How do I send money abroad?", body="Open Transfers and send.", language="en")
    assert search_service().search("refnd").did_you_mean == "refund"
    # Function words are never "corrected" ("has" once became "how"); words far from any known one stay as typed.
    assert search_service().search("has the refnd arrived").did_you_mean == "has the refund arrived"


def test_related_questions_do_not_match_on_function_words(articles):
    assert titles("How do I get my money back?") != ["How do I change my phone number?"]


def test_order_numbers_customers_paste_are_not_searched(articles):
    """A pasted order or tracking number names the customer's case, not the question: the sentence model reads the
    question worse beside it (bench/eval_search_zh.py), so it is left out of what is searched."""
    searched = SearchService.understood("我的订单DD202608205222退款几天能到", None)
    assert "DD2026" not in searched and "退款几天能到" in searched
    assert "SF1234567890123" not in SearchService.understood("单号SF1234567890123一直不动", None)
    assert titles("订单DD202608205222退款几天能到")[0] == "退款多久到账"
    # A query that is nothing but a number is still searched as typed.
    assert SearchService.understood("DD202608205222", None) == "DD202608205222"
    assert search_service().search("DD202608205222").query == "DD202608205222"
