"""Hybrid self-service search: BM25 (Whoosh) and sentence vectors, fused by a weighted score sum.

Why not reciprocal-rank fusion: on BANKING77 plain RRF scored below dense search alone, because it gives the weaker
BM25 ranking as much say as the stronger dense one. Here the dense cosine is the base score, and BM25 adds a bounded
bonus (its score divided by the query's best BM25 score) times a weight tuned by bench/eval_search.py. With the
weight at 0 this is dense search exactly, so tuning can only find a weight at least as good as the better ranker.

Each text is read by the model that reads it best (text.embeddings): English by all-MiniLM-L6-v2, Chinese (and what
MiniLM cannot read) by multilingual-e5-small. A query is compared only with article texts of its own space, and each
space has its own fusion weight and threshold, tuned on its own dev set: the two models' cosines are on different
scales (e5 puts unrelated Chinese questions at 0.85, MiniLM unrelated English ones near 0.1).

The database is the source of truth. Each process keeps the dense vectors of public articles in memory and the
Whoosh index on disk; both catch up whenever the kb.state token moved (after every commit that changed what is
public, and lazily before a search).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from kb.content import plain_text, public_text
from kb.coverage import HanGramCoverage, gram_keys, han_grams
from kb.index import TextIndex, query_terms, snippet
from kb.models import Article, ArticleStatus, ArticleVersion
from kb.state import PENDING_KEY, current_token
from records.db import read_session
from text.analysis import without_unusable
from text.conditions import agreement, stated, stated_by_any
from text.embeddings import CHINESE, Readers, cached_vectors, get_readers, load_models, release_freed_memory
from text.rewriting import asked_in, without_references
from text.spelling import expand_mixed

log = logging.getLogger(__name__)

#: Weight of the BM25 score (relative to the query's best) added to the dense cosine, for English queries. Tuned on
#: BANKING77 with bench/eval_search.py: best on the dev queries (unused train questions) of the grid 0–1, and on the
#: test split 78.9 % hit@1 against 78.2 % dense-only and 63.2 % BM25-only. Larger weights let BM25's near-misses win.
BM25_WEIGHT = 0.05
#: Below this cosine a dense-only English match is not shown: without it every query, however unrelated, would
#: list articles and zero-result searches (a deflection signal) would never be counted. On BANKING77's test
#: questions the right article is below it for 1.0 % of queries (0.5 % at 0.30, 1.9 % at 0.40).
DENSE_MIN_SIMILARITY = 0.35
#: The same for Chinese queries (multilingual-e5-small), tuned with bench/eval_search_zh.py on
#: bench/data/zh_faq_dev.json (60 articles with close neighbours; 240 colloquial, traditional, misspelt, mixed,
#: short and long queries; 60 questions no article answers) and checked on zh_faq_dev2.json (other domains). e5's
#: cosines are compressed (unrelated Chinese questions score 0.8 and more), so BM25 and the character coverage may
#: add only a little (no thresholds, BM25 × coverage weight: 0 × 0 92.9 / 87.0 %, 0.005 × 0.05 93.8 / 93.5 %,
#: 0.01 × 0.05 93.3 / 92.5 %, 0.05 × 0.05 87.5 / 86.0 %), and the thresholds sit high: found by the vectors alone
#: from 0.875, as a BM25 hit from 0.86. Then 0.4 / 1.0 % of answerable queries lose their answer and 37 / 24 % of
#: unanswerable ones are told "no matching article".
CHINESE_BM25_WEIGHT = 0.005
#: Weight of how much of a Chinese query the article's own characters cover (kb.coverage), added like BM25's: P@1
#: plateaus from 0.03 to 0.05 on zh_faq_dev.json (93.8–94.2 %) and rises up to 0.05 on zh_faq_dev2.json (93.5 %).
CHINESE_COVERAGE_WEIGHT = 0.05
#: Added to a Chinese article's score when its questions state the same side of a condition as the query (还没发货
#: and 订单还没发货能退款吗), and taken off when they state only the other side (地址写错了 还没发货 against 已经发货了
#: 还能改地址吗); text.conditions. Tuned with bench/eval_search_zh.py (no thresholds change: only the order of what
#: passes them): penalty × bonus 0 × 0 93.8 / 92.5 %, 0.02 × 0 94.6 / 93.0 %, 0.02 × 0.005 95.0 / 93.0 % P@1 on
#: zh_faq_dev.json / zh_faq_dev2.json; a bonus of 0.02 lets agreement outweigh what the query is about.
CHINESE_CONDITION_BONUS = 0.005
CHINESE_CONDITION_PENALTY = 0.02
CHINESE_MIN_SIMILARITY = 0.875
#: A Chinese result is shown only within this much of the best one's score. e5 puts most articles of a help center
#: within 0.05 of each other, so every query listed ten, most of them unrelated (优惠券用不了 on the demo: one
#: article about discounts, then nine about anything; now three). bench/eval_search_zh.py on zh_faq_dev / dev2 /
#: dev3: results per answerable query 8.4 / 6.8 / 7.1 → 2.5 / 3.0 / 2.4, MRR 0.9644 / 0.9482 / 0.9646 → 0.9644 /
#: 0.9465 / 0.9646 (one right article on dev2 falls out of the list from third place); 0.04 keeps every MRR and
#: shows 3.7 / 4.1 / 3.3, but still eight for 优惠券用不了.
CHINESE_RESULT_MARGIN = 0.03
CHINESE_BM25_MIN_SIMILARITY = 0.86
#: Share of a Chinese article's score that comes from its body read as a passage (the rest: its closest question).
#: Long, chatty questions describe a situation the body answers rather than a title's words (bench/eval_search_zh.py:
#: P@1 from 88.3 to 92.5 % dense alone with 0.5).
PASSAGE_SHARE = 0.5
#: Characters of the body encoded as the article's passage.
PASSAGE_CHARS = 1000
#: Candidates taken from each ranker before fusing.
CANDIDATES = 50
#: Body characters encoded with the title as the article's "gist" vector.
GIST_CHARS = 300


@dataclass
class SearchHit:
    article_id: int
    external_id: str | None
    title: str
    snippet: str
    score: float
    category: str | None = None
    subcategory: str | None = None
    language: str | None = None
    bm25: float = 0.0
    dense: float | None = None


@dataclass
class SearchResponse:
    query: str
    results: list[SearchHit]
    did_you_mean: str | None = None
    mode: str = "hybrid"


class Candidates(NamedTuple):
    """Both rankers' raw scores for a query, and what else the fusion weighs (SearchService.candidates)."""

    #: BM25 hits: article id → (stored fields, score).
    text_hits: dict[int, tuple[dict, float]]
    #: Cosines of the closest articles and of the BM25 hits in the query's space; None when no model reads it.
    dense: dict[int, float] | None
    #: The query's space (None: no model reads it).
    space: str | None
    #: How much of the query each of those articles covers, where the space measures it (kb.coverage).
    coverage: dict[int, float]
    #: Per article of those whose questions state a side of a condition the query states: 1 the same, -1 the other.
    agreed: dict[int, int]


@dataclass
class _DenseEntry:
    article_id: int
    version_id: str
    category: str | None
    subcategory: str | None
    language: str
    #: Per space: the vectors of the texts that space's model reads.
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    #: Per space whose model reads passages: the body's vector.
    passages: dict[str, np.ndarray] = field(default_factory=dict)
    #: The Han characters and character pairs of its title, other questions and body, as keys (kb.coverage).
    grams: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: The sides of conditions its title and other questions state (text.conditions); mostly none (kept as None:
    #: an empty dict per article would cost 6 MB at 100,000 articles).
    conditions: dict[str, frozenset[bool]] | None = None


def _pending_entry(article: Article) -> tuple[_DenseEntry, list[str], str]:
    version = article.live_version
    entry = _DenseEntry(
        article_id=article.id,
        version_id=version_key(version),
        category=version.category,
        subcategory=version.subcategory,
        language=version.language.value,
        grams=gram_keys(han_grams(" ".join([version.title, *(version.alt_questions or []), plain_text(version.body)]))),
        conditions=stated_by_any([version.title, *(version.alt_questions or [])]) or None,
    )
    return entry, version_texts(version), version_passage(version)


@dataclass
class _DenseMatrix:
    """All public articles' vectors stacked, each article's rows together starting at `starts`."""

    article_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    starts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    matrix: np.ndarray | None = None
    categories: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    subcategories: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    languages: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    positions: dict[int, int] = field(default_factory=dict)
    #: One row per article: its body read as a passage, and whether it has one.
    passages: np.ndarray | None = None
    has_passage: np.ndarray | None = None
    #: The Chinese space's character coverage of a query, by article position.
    coverage: HanGramCoverage | None = None


def _stacked(entries: dict[int, _DenseEntry], space: str) -> _DenseMatrix:
    """One space's vectors of all articles, each article's rows together."""
    ids = sorted(article_id for article_id, entry in entries.items() if len(entry.vectors.get(space, ())))
    if not ids:
        return _DenseMatrix()
    blocks = [entries[article_id].vectors[space] for article_id in ids]
    sizes = np.array([len(block) for block in blocks], dtype=np.int64)
    chosen = [entries[article_id] for article_id in ids]
    passages = has_passage = None
    if any(space in entry.passages for entry in chosen):
        dimension = blocks[0].shape[1]
        passages = np.vstack([entry.passages.get(space, np.zeros(dimension, dtype=np.float32)) for entry in chosen])
        has_passage = np.array([space in entry.passages for entry in chosen])
    return _DenseMatrix(
        passages=passages,
        has_passage=has_passage,
        coverage=HanGramCoverage([entry.grams for entry in chosen]) if space == CHINESE else None,
        article_ids=np.array(ids, dtype=np.int64),
        starts=np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64),
        matrix=np.vstack(blocks),
        categories=np.array([entry.category or "" for entry in chosen], dtype=object),
        subcategories=np.array([entry.subcategory or "" for entry in chosen], dtype=object),
        languages=np.array([entry.language for entry in chosen], dtype=object),
        positions={article_id: position for position, article_id in enumerate(ids)},
    )


def _model_names(readers: Readers) -> tuple[str, ...]:
    return tuple(f"{space}={embedder.name}" for space, embedder in sorted(readers.embedders().items()))


def version_document(article: Article, version: ArticleVersion) -> dict:
    """The Whoosh document of an article's public version."""
    body = plain_text(version.body)
    return {
        "article_id": str(article.id),
        "version_id": version_key(version),
        "external_id": article.external_id,
        "title": version.title,
        "alt_questions": "\n".join(version.alt_questions or []),
        "tags": " ".join(version.tags or []),
        "body": body,
        "summary": version.summary or "",
        "spelling": " ".join([version.title, *(version.alt_questions or []), body]),
        "category": version.category or "",
        "subcategory": version.subcategory or "",
        "language": version.language.value,
    }


def version_texts(version: ArticleVersion) -> list[str]:
    """What the dense side encodes: the title, each other way of asking, and the title with the gist."""
    gist = version.summary or plain_text(version.body)[:GIST_CHARS]
    return [version.title, *(version.alt_questions or []), f"{version.title} {gist}".strip()]


def version_passage(version: ArticleVersion) -> str:
    """What the dense side reads as the article's passage (for models that read passages): title and body."""
    return f"{version.title}\n{plain_text(version.body)}"[:PASSAGE_CHARS].strip()


def version_key(version: ArticleVersion) -> str:
    """Identifies a version across database resets and restores, where ids start again from 1."""
    return f"{version.id}@{version.created_at.isoformat()}"


def public_versions(session: Session) -> dict[int, str]:
    """article id → version key of what customers can find."""
    rows = session.execute(
        sa.select(Article.id, ArticleVersion.id, ArticleVersion.created_at)
        .join(ArticleVersion, ArticleVersion.id == Article.live_version_id)
        .where(Article.status != ArticleStatus.ARCHIVED)
        .order_by(Article.id)
    )
    return {article_id: f"{version_id}@{created_at.isoformat()}" for article_id, version_id, created_at in rows}


def reindex_work() -> int:
    """Units of work `SearchService.rebuild` reports: texts to vectorise, or articles when embeddings are off."""
    with read_session() as reader:
        wanted = public_versions(reader)
        readers = get_readers()
        if readers is None:
            return len(wanted)
        versions = [article.live_version for article in _load_articles(reader, list(wanted))]
    readers.load()
    passages = sum(
        1
        for space in readers.spaces_of([version.title for version in versions])
        if space is not None and readers.embedder(space).reads_passages
    )
    return sum(len(version_texts(version)) for version in versions) + passages


class SearchService:
    """Per app and process: the Whoosh index and the in-memory vectors, kept in step with the database."""

    def __init__(self, app: Flask):
        self.text_index = TextIndex(Path(app.config["DATA_DIR"]) / "search-index")
        self._dense: dict[int, _DenseEntry] = {}
        self._dense_matrices: dict[str, _DenseMatrix] = {}
        self._dense_token: str | None = None
        self._dense_models: tuple[str, ...] | None = None
        self._lock = threading.RLock()

    # -- keeping up with the database ------------------------------------------------------------------------
    def ensure_current(self) -> None:
        """Catch up with the database if what is public changed since this process last looked."""
        readers = get_readers()
        if readers is not None:
            readers.load()  # now, before any transaction: loading takes seconds
        with self._lock:
            # Read in a short session of our own: no transaction is held while Whoosh writes or the model encodes.
            with read_session() as reader:
                token = current_token(reader)
                text_stale = self.text_index.token() != token
                dense_stale = readers is not None and (
                    self._dense_token != token or self._dense_models != _model_names(readers)
                )
                if not (text_stale or dense_stale):
                    return
                wanted = public_versions(reader)
                if text_stale:
                    indexed = self.text_index.indexed_versions()
                    changed = [a for a, key in wanted.items() if indexed.get(a) != key]
                    removed = [a for a in indexed if a not in wanted]
                    documents = [version_document(a, a.live_version) for a in _load_articles(reader, changed)]
                if dense_stale:
                    if self._dense_models != _model_names(readers):
                        self._dense = {}
                    changed = [
                        a for a, key in wanted.items() if a not in self._dense or self._dense[a].version_id != key
                    ]
                    pending = [_pending_entry(article) for article in _load_articles(reader, changed)]
            if text_stale:
                self.text_index.apply(documents, removed, token)
                self.text_index.chinese_corrector()
            if dense_stale:
                self._apply_dense(readers, wanted, pending, token)

    def _apply_dense(
        self,
        readers: Readers,
        wanted: dict[int, str],
        pending: list,
        token: str,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        for article_id in [article_id for article_id in self._dense if article_id not in wanted]:
            del self._dense[article_id]
        flat = [text for _, texts, _ in pending for text in texts]
        spaces = readers.spaces_of(flat)
        vectors: dict[str, np.ndarray] = {}
        row_in_space: list[int] = []
        counts: dict[str, int] = {}
        for space in spaces:
            row_in_space.append(counts.get(space, 0))
            counts[space] = counts.get(space, 0) + 1
        for space, embedder in readers.embedders().items():
            texts = [text for text, text_space in zip(flat, spaces, strict=True) if text_space == space]
            if texts:
                vectors[space] = cached_vectors(embedder, texts, progress=progress)
        if progress and counts.get(None):
            progress(counts[None])  # texts no model reads are left to BM25: nothing to encode
        # An article's body is read as a passage by the space of its title, where that model reads passages.
        passages: dict[str, list[int]] = {}
        offset = 0
        for index, (_, texts, passage) in enumerate(pending):
            space = spaces[offset]
            if space is not None and passage and readers.embedder(space).reads_passages:
                passages.setdefault(space, []).append(index)
            offset += len(texts)
        passage_vectors: dict[int, tuple[str, np.ndarray]] = {}
        for space, indexes in passages.items():
            texts = [pending[index][2] for index in indexes]
            encoded = cached_vectors(readers.embedder(space), texts, passage=True, progress=progress)
            passage_vectors.update((index, (space, vector)) for index, vector in zip(indexes, encoded, strict=True))
        offset = 0
        for index, (entry, texts, _) in enumerate(pending):
            rows: dict[str, list[int]] = {}
            for position in range(offset, offset + len(texts)):
                if spaces[position] is not None:
                    rows.setdefault(spaces[position], []).append(row_in_space[position])
            entry.vectors = {space: vectors[space][positions] for space, positions in rows.items()}
            entry.passages = dict([passage_vectors[index]]) if index in passage_vectors else {}
            self._dense[entry.article_id] = entry
            offset += len(texts)
        self._rebuild_matrices()
        self._dense_token = token
        self._dense_models = _model_names(readers)

    def _rebuild_matrices(self) -> None:
        self._dense_matrices = {
            space: _stacked(self._dense, space)
            for space in {space for e in self._dense.values() for space in e.vectors}
        }

    def rebuild(self, *, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the Whoosh index from scratch and (re)load every vector; returns the number of articles."""
        readers = get_readers()
        if readers is not None:
            readers.load()  # before any transaction
        with self._lock:
            with read_session() as reader:
                token = current_token(reader)
                wanted = public_versions(reader)
                articles = _load_articles(reader, list(wanted))
                documents = [version_document(article, article.live_version) for article in articles]
                pending = [_pending_entry(article) for article in articles]
            if readers is not None:
                self._dense = {}
                self._apply_dense(readers, wanted, pending, token, progress=progress)
            count = self.text_index.apply(documents, [], token, clear=True)
            if progress and readers is None:
                progress(len(documents))
        return count

    # -- searching -------------------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        language: str | None = None,
        category: str | None = None,
        limit: int = 10,
        exclude: set[int] | None = None,
        bm25_weight: float | None = None,
    ) -> SearchResponse:
        self.ensure_current()
        query = clean_query(query)
        corrected = self.text_index.chinese_corrector().correct(query) if query else None
        searched = self.understood(query, corrected)
        terms = query_terms(searched)
        exclude = exclude or set()
        text_hits, dense_scores, space, coverage, agreed = self.candidates(
            searched, terms=terms, category=category, language=language, limit=CANDIDATES + len(exclude)
        )
        fusion = configured_fusion(space)
        if bm25_weight is not None:
            fusion = replace(fusion, weight=bm25_weight)
        text_scores = {article_id: score for article_id, (_, score) in text_hits.items() if article_id not in exclude}
        dense = None if dense_scores is None else {k: v for k, v in dense_scores.items() if k not in exclude}
        top = fuse(text_scores, dense, fusion, coverage, agreed)[:limit]

        stored = {article_id: fields for article_id, (fields, _) in text_hits.items()}
        missing = [article_id for _, article_id in top if article_id not in stored]
        if missing:
            stored.update(self._stored_fields(missing))
        results = []
        for score, article_id in top:
            fields = stored.get(article_id)
            if fields is None:
                continue  # unpublished between the two lookups
            # Search results are public: identifiers left in published text are replaced (kb.content.public_text).
            chinese = fields.get("language") == "zh"
            body, summary = (public_text(fields.get(name) or "", chinese=chinese) for name in ("body", "summary"))
            results.append(
                SearchHit(
                    article_id=article_id,
                    external_id=fields.get("external_id"),
                    title=public_text(fields["title"], chinese=chinese),
                    snippet=snippet(body, terms, fallback=summary or None),
                    score=round(float(score), 4),
                    category=fields.get("category") or None,
                    subcategory=fields.get("subcategory") or None,
                    language=fields.get("language"),
                    bm25=round(float(text_hits[article_id][1]), 4) if article_id in text_hits else 0.0,
                    dense=round(float(dense_scores.get(article_id, 0.0)), 4) if dense_scores is not None else None,
                )
            )
        did_you_mean = corrected or (self.text_index.did_you_mean(query) if query else None)
        return SearchResponse(
            query=query,
            results=results,
            did_you_mean=did_you_mean,
            mode="hybrid" if dense_scores is not None else "bm25",
        )

    @staticmethod
    def understood(query: str, corrected: str | None) -> str:
        """What is searched for a query: its Chinese typos corrected, order numbers and the like left out (they name
        a case, not a question), English words in Chinese given beside."""
        searched = corrected or query
        searched = without_references(searched) or searched
        return expand_mixed(searched) or searched

    def candidates(
        self,
        query: str,
        *,
        terms: list[str],
        category: str | None,
        language: str | None,
        limit: int,
        query_vector: np.ndarray | None = None,
    ) -> Candidates:
        """Both rankers' raw scores: BM25 hits (stored fields, score), and the cosines of the closest articles and
        of the BM25 hits in the query's space (None when embeddings are off or no model reads the query), that
        space, how much of the query each of those articles covers where the space measures it (kb.coverage), and
        which of them state the same or the other side of a condition the query states (text.conditions)."""
        text_hits = {
            int(fields["article_id"]): (fields, score)
            for fields, score in self.text_index.search(terms, limit=limit, category=category, language=language)
        }
        readers = get_readers()
        space = readers.space_of(query) if readers is not None and query else None
        dense_scores = None
        coverage: dict[int, float] = {}
        agreed: dict[int, int] = {}
        if space is not None:
            vector = query_vector if query_vector is not None else query_vectors(readers.embedder(space), query)
            dense_scores = self._dense_scores(vector, space, category, language, limit=limit, also=set(text_hits))
            coverage = self._coverage(query, space, dense_scores)
            if space == CHINESE:
                agreed = self._agreement(query, dense_scores)
        return Candidates(text_hits, dense_scores, space, coverage, agreed)

    def _agreement(self, query: str, article_ids: Iterable[int]) -> dict[int, int]:
        """Per article whose questions state a side of a condition the query states: 1 the same side, -1 the other."""
        sides = stated(query)
        if not sides:
            return {}
        verdicts = {}
        for article_id in article_ids:
            entry = self._dense.get(article_id)
            verdict = agreement(sides, entry.conditions) if entry is not None and entry.conditions else 0
            if verdict:
                verdicts[article_id] = verdict
        return verdicts

    def _coverage(self, query: str, space: str, article_ids: Iterable[int]) -> dict[int, float]:
        """How much of the query each of these articles covers, in a space that measures it; else nothing."""
        matrix = self._dense_matrices.get(space)
        shares = matrix.coverage.scores(query) if matrix is not None and matrix.coverage is not None else None
        if shares is None:
            return {}
        return {
            article_id: float(shares[matrix.positions[article_id]])
            for article_id in article_ids
            if article_id in matrix.positions
        }

    def _dense_scores(
        self,
        vector: np.ndarray,
        space: str,
        category: str | None,
        language: str | None,
        *,
        limit: int,
        also: set[int],
    ) -> dict[int, float]:
        """Cosines of the `limit` closest articles, and of the articles in `also` (BM25's candidates)."""
        matrix = self._dense_matrices.get(space)
        if matrix is None or matrix.matrix is None or not len(matrix.article_ids):
            return {}
        # An article is as close as its closest way of asking, and (where its body was read as a passage) as its
        # body answers the question.
        per_article = np.maximum.reduceat(matrix.matrix @ vector, matrix.starts)
        if matrix.passages is not None:
            blended = (1 - PASSAGE_SHARE) * per_article + PASSAGE_SHARE * (matrix.passages @ vector)
            per_article = np.where(matrix.has_passage, blended, per_article)
        if category:
            per_article[(matrix.categories != category) & (matrix.subcategories != category)] = -np.inf
        if language:
            per_article[matrix.languages != language] = -np.inf
        count = min(limit, len(per_article))
        chosen = set(np.argpartition(-per_article, count - 1)[:count].tolist())
        chosen |= {matrix.positions[article_id] for article_id in also if article_id in matrix.positions}
        return {
            int(matrix.article_ids[position]): float(per_article[position])
            for position in chosen
            if np.isfinite(per_article[position])
        }

    def nearest(self, text: str, *, limit: int = 5, language: str | None = None) -> list[tuple[int, float]]:
        """(article id, score) of the public articles closest to a text, closest first, without the "no match"
        thresholds: where a question nobody found an answer to might belong. Cosines in the text's space where a
        model reads it, else BM25 scores."""
        self.ensure_current()
        query = clean_query(text)
        if not query:
            return []
        searched = self.understood(query, self.text_index.chinese_corrector().correct(query))
        text_hits, dense, *_ = self.candidates(
            searched, terms=query_terms(searched), category=None, language=language, limit=limit
        )
        scores = dense if dense else {article_id: score for article_id, (_, score) in text_hits.items()}
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]

    def similar_articles(self, article_id: int) -> dict[int, float] | None:
        """Cosine of every other public article of its space to this article's questions (their normalised mean),
        each article as close as its closest question and its body; None when the article has no vectors."""
        if get_readers() is None:
            return None  # vectors kept from before embeddings were switched off are not current
        self.ensure_current()
        with self._lock:
            entry = self._dense.get(article_id)
            if entry is None or not entry.vectors:
                return None
            space = next(iter(entry.passages), None) or max(entry.vectors, key=lambda name: len(entry.vectors[name]))
            rows = entry.vectors[space]
            centre = rows.mean(axis=0)
            norm = float(np.linalg.norm(centre))
            if norm == 0:
                return None
            count = len(self._dense_matrices[space].article_ids) if space in self._dense_matrices else 0
            scores = self._dense_scores(centre / norm, space, None, None, limit=max(count, 1), also=set())
        scores.pop(article_id, None)
        return scores

    def _stored_fields(self, article_ids: list[int]) -> dict[int, dict]:
        found = {}
        for article_id in article_ids:
            fields = self.text_index.document(article_id)
            if fields is not None:
                found[article_id] = fields
        return found


def _load_articles(session: Session, article_ids: list[int]) -> list[Article]:
    articles: list[Article] = []
    for start in range(0, len(article_ids), 500):
        chunk = article_ids[start : start + 500]
        articles.extend(
            session.scalars(
                sa.select(Article)
                .where(Article.id.in_(chunk))
                .options(sa.orm.joinedload(Article.live_version))
                .order_by(Article.id)
            )
        )
    return [article for article in articles if article.live_version is not None]


@dataclass(frozen=True)
class Fusion:
    """How one space's dense cosines and BM25 scores make one ranking, and which candidates are shown at all."""

    #: Weight of the BM25 score relative to the query's best, added to the cosine.
    weight: float
    #: A candidate found by the vectors alone is shown from this cosine up.
    min_similarity: float
    #: A BM25 hit is shown from this cosine up (None: always). Chinese BM25 matches single characters and common
    #: words (用, 不了), so without a floor 优惠券用不了 would list ten unrelated articles.
    bm25_floor: float | None = None
    #: Weight of the share of the query the article covers (kb.coverage), added to the cosine.
    coverage_weight: float = 0.0
    #: Added to the cosine of an article whose questions state the same side of a condition as the query, and taken
    #: off one whose questions state only the other side (text.conditions).
    condition_bonus: float = 0.0
    condition_penalty: float = 0.0
    #: Results more than this below the best one's score are left out (None: all that pass the thresholds).
    result_margin: float | None = None


def configured_fusion(space: str | None) -> Fusion:
    """The fusion of a space. Another embedding model needs its own (tune them with bench/eval_search.py and
    eval_search_zh.py): CONSULTKB_SEARCH_BM25_WEIGHT and _MIN_SIMILARITY (English), and
    CONSULTKB_SEARCH_CHINESE_BM25_WEIGHT, _MIN_SIMILARITY, _BM25_MIN_SIMILARITY, _COVERAGE_WEIGHT, _CONDITION_BONUS,
    _CONDITION_PENALTY and _RESULT_MARGIN (Chinese)."""
    config = current_app.config
    if space == CHINESE:
        return Fusion(
            float(config.get("SEARCH_CHINESE_BM25_WEIGHT", CHINESE_BM25_WEIGHT)),
            float(config.get("SEARCH_CHINESE_MIN_SIMILARITY", CHINESE_MIN_SIMILARITY)),
            float(config.get("SEARCH_CHINESE_BM25_MIN_SIMILARITY", CHINESE_BM25_MIN_SIMILARITY)),
            float(config.get("SEARCH_CHINESE_COVERAGE_WEIGHT", CHINESE_COVERAGE_WEIGHT)),
            float(config.get("SEARCH_CHINESE_CONDITION_BONUS", CHINESE_CONDITION_BONUS)),
            float(config.get("SEARCH_CHINESE_CONDITION_PENALTY", CHINESE_CONDITION_PENALTY)),
            float(config.get("SEARCH_CHINESE_RESULT_MARGIN", CHINESE_RESULT_MARGIN)),
        )
    return Fusion(
        float(config.get("SEARCH_BM25_WEIGHT", BM25_WEIGHT)),
        float(config.get("SEARCH_MIN_SIMILARITY", DENSE_MIN_SIMILARITY)),
    )


def fuse(
    text_scores: dict[int, float],
    dense_scores: dict[int, float] | None,
    fusion: Fusion,
    coverage: dict[int, float] | None = None,
    agreed: dict[int, int] | None = None,
) -> list[tuple[float, int]]:
    """(score, article id), best first: the cosine plus the weighted BM25 score relative to the query's best, plus
    the weighted share of the query the article covers, plus the condition bonus or minus the condition penalty where
    the article's questions state the same or the other side of a condition the query states.

    Candidates must reach the fusion's thresholds (on the cosine alone) and score within its result margin of the
    best; with no dense scores the ranking is BM25's.
    """
    coverage = coverage or {}
    agreed = agreed or {}
    shift = {1: fusion.condition_bonus, -1: -fusion.condition_penalty}
    best = max(text_scores.values(), default=0.0)
    relative = {article_id: score / best for article_id, score in text_scores.items()} if best > 0 else {}
    if dense_scores is None:
        fused = [(score, article_id) for article_id, score in relative.items()]
    else:
        floor = -np.inf if fusion.bm25_floor is None else fusion.bm25_floor
        candidates = {a for a in relative if dense_scores.get(a, 0.0) >= floor} | {
            a for a, similarity in dense_scores.items() if similarity >= fusion.min_similarity
        }
        fused = [
            (
                dense_scores.get(article_id, 0.0)
                + fusion.weight * relative.get(article_id, 0.0)
                + fusion.coverage_weight * coverage.get(article_id, 0.0)
                + shift.get(agreed.get(article_id, 0), 0.0),
                article_id,
            )
            for article_id in candidates
        ]
    fused.sort(key=lambda item: (-item[0], item[1]))
    if fusion.result_margin is not None and fused and dense_scores is not None:
        fused = [item for item in fused if item[0] >= fused[0][0] - fusion.result_margin]
    return fused


#: Characters of a query that are searched: a customer question is far shorter, and a pasted 10,000-character
#: message would otherwise cost seconds of BM25 terms and encoding.
MAX_QUERY_CHARS = 500


def clean_query(query: str | None) -> str:
    """A query as searched: controls and lone surrogates dropped, clipped to MAX_QUERY_CHARS, trimmed."""
    return without_unusable(query)[:MAX_QUERY_CHARS].strip()


#: Query vectors kept per process (a help center sees the same short queries again and again).
QUERY_CACHE_SIZE = 2048
_query_cache: dict[tuple[str, str], np.ndarray] = {}
_query_cache_lock = threading.Lock()


def query_vectors(embedder, query: str) -> np.ndarray:
    """The vector of one query, from this process's small cache when it was asked before."""
    key = (embedder.name, query)
    with _query_cache_lock:
        vector = _query_cache.get(key)
    if vector is None:
        vector = embedder.encode([query])[0]
        with _query_cache_lock:
            if len(_query_cache) >= QUERY_CACHE_SIZE:
                _query_cache.pop(next(iter(_query_cache)))
            _query_cache[key] = vector
    return vector


def warm_up() -> dict[str, float]:
    """Make this process ready to search before its first request (a web worker at start, `consultkb run`): load
    the models, bring the index and vectors up to date, and run one probe query through every model and through
    jieba, so that the first customer's search answers like any other (without this it took 35 s). Returns the
    seconds each step took."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    readers = load_models()
    timings["models"] = time.perf_counter() - started
    mark = time.perf_counter()
    search_service().ensure_current()
    timings["index"] = time.perf_counter() - mark
    mark = time.perf_counter()
    query_terms("登录 login")  # jieba's dictionary loads on first use
    search_service().text_index.chinese_corrector()
    if readers is not None:
        for embedder in readers.embedders().values():
            embedder.encode(["warm up 预热"])
    timings["probe"] = time.perf_counter() - mark
    release_freed_memory()  # what catching up encoded is freed: the worker keeps only what it searches with
    log.info("Ready to search in %.1f s (%s).", time.perf_counter() - started, timings)
    return timings


_services_lock = threading.Lock()


def search_service(app: Flask | None = None) -> SearchService:
    app = app or current_app._get_current_object()
    with _services_lock:
        service = app.extensions.get("consultkb_search")
        if service is None:
            service = app.extensions["consultkb_search"] = SearchService(app)
        return service


def search(query: str, **kwargs) -> SearchResponse:
    return search_service().search(query, **kwargs)


def assist(note: str, *, limit: int) -> SearchResponse:
    """Agent assist: the articles for what an agent's note asks. The note is searched as the customer would ask it
    (text.rewriting.asked_in): "客户反映订单DD2026…付款5天了还显示待发货，用的华为 Mate 60" as "付款5天了还显示待发货".
    A note that asks nothing recognisable is searched as written."""
    return search_service().search(asked_in(clean_query(note)) or note, limit=limit)


def sync_after_commit(session: Session) -> None:
    """Session hook: a commit that changed what is public brings this process's indexes up to date at once."""
    if session.in_transaction():
        return  # a savepoint committed; the enclosing transaction has not
    if not session.info.pop(PENDING_KEY, False):
        return
    try:
        search_service().ensure_current()
    except Exception:  # the next search catches up; a failed index update must not fail the committed change
        log.exception("Updating the search index after a commit failed; the next search will retry.")


__all__ = ["SearchHit", "SearchResponse", "SearchService", "search", "search_service"]


def init_app(app: Flask) -> None:
    """Index updates follow commits: listen once per process for sessions that changed what is public."""
    app.config.setdefault("EMBEDDINGS_ENABLED", True)
    if not sa.event.contains(Session, "after_commit", sync_after_commit):
        sa.event.listen(Session, "after_commit", sync_after_commit)
