"""Hybrid self-service search: BM25 (Whoosh) and sentence vectors, fused by a weighted score sum.

Why not reciprocal-rank fusion: on BANKING77 plain RRF scored below dense search alone, because it gives the weaker
BM25 ranking as much say as the stronger dense one. Here the dense cosine is the base score, and BM25 adds a bounded
bonus (its score divided by the query's best BM25 score) times a weight tuned by bench/eval_search.py. With the
weight at 0 this is dense search exactly, so tuning can only find a weight at least as good as the better ranker.

The default model reads English only: a query or article text it mostly cannot tokenize (Chinese) is left to BM25,
so a Chinese query ranks by BM25 alone.

The database is the source of truth. Each process keeps the dense vectors of public articles in memory and the
Whoosh index on disk; both catch up whenever the kb.state token moved (after every commit that changed what is
public, and lazily before a search).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from kb.content import plain_text
from kb.embeddings import Embedder, cached_vectors, get_embedder
from kb.index import TextIndex, query_terms, snippet
from kb.models import Article, ArticleStatus, ArticleVersion
from kb.state import PENDING_KEY, current_token
from records.db import read_session

log = logging.getLogger(__name__)

#: Weight of the BM25 score (relative to the query's best) added to the dense cosine. Tuned on BANKING77 with
#: bench/eval_search.py: best on the dev queries (unused train questions) of the grid 0–1, and on the test split
#: 78.9 % hit@1 against 78.2 % dense-only and 63.2 % BM25-only. Larger weights let BM25's many near-misses win.
BM25_WEIGHT = 0.05
#: Below this cosine a dense-only match is not shown: without it every query, however unrelated, would list
#: articles and zero-result searches (a deflection signal) would never be counted. On BANKING77's test questions
#: the right article is below it for 1.0 % of queries (0.5 % at 0.30, 1.9 % at 0.40).
DENSE_MIN_SIMILARITY = 0.35
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


@dataclass
class _DenseEntry:
    article_id: int
    version_id: str
    category: str | None
    subcategory: str | None
    language: str
    vectors: np.ndarray | None = None


def _pending_entry(article: Article) -> tuple[_DenseEntry, list[str]]:
    version = article.live_version
    entry = _DenseEntry(
        article_id=article.id,
        version_id=version_key(version),
        category=version.category,
        subcategory=version.subcategory,
        language=version.language.value,
    )
    return entry, version_texts(version)


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
        if get_embedder() is None:
            return len(wanted)
        return sum(len(version_texts(article.live_version)) for article in _load_articles(reader, list(wanted)))


class SearchService:
    """Per app and process: the Whoosh index and the in-memory vectors, kept in step with the database."""

    def __init__(self, app: Flask):
        self.text_index = TextIndex(Path(app.config["DATA_DIR"]) / "search-index")
        self._dense: dict[int, _DenseEntry] = {}
        self._dense_matrix = _DenseMatrix()
        self._dense_token: str | None = None
        self._dense_model: str | None = None
        self._lock = threading.RLock()

    # -- keeping up with the database ------------------------------------------------------------------------
    def ensure_current(self) -> None:
        """Catch up with the database if what is public changed since this process last looked."""
        embedder = get_embedder()
        if embedder is not None:
            embedder.model  # noqa: B018  (loads it now, before any transaction: loading takes seconds)
        with self._lock:
            # Read in a short session of our own: no transaction is held while Whoosh writes or the model encodes.
            with read_session() as reader:
                token = current_token(reader)
                text_stale = self.text_index.token() != token
                dense_stale = embedder is not None and (
                    self._dense_token != token or self._dense_model != embedder.name
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
                    if self._dense_model != embedder.name:
                        self._dense = {}
                    changed = [
                        a for a, key in wanted.items() if a not in self._dense or self._dense[a].version_id != key
                    ]
                    pending = [_pending_entry(article) for article in _load_articles(reader, changed)]
            if text_stale:
                self.text_index.apply(documents, removed, token)
            if dense_stale:
                self._apply_dense(embedder, wanted, pending, token)

    def _apply_dense(
        self,
        embedder: Embedder,
        wanted: dict[int, str],
        pending: list,
        token: str,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        for article_id in [article_id for article_id in self._dense if article_id not in wanted]:
            del self._dense[article_id]
        flat = [text for _, texts in pending for text in texts]
        vectors = cached_vectors(embedder, flat, progress=progress) if flat else None
        # Texts the model cannot read (Chinese for the default model) are left to BM25.
        understood = embedder.understands_all(flat)
        offset = 0
        for entry, texts in pending:
            rows = [offset + i for i in range(len(texts)) if understood[offset + i]]
            entry.vectors = vectors[rows]
            self._dense[entry.article_id] = entry
            offset += len(texts)
        self._rebuild_matrix()
        self._dense_token = token
        self._dense_model = embedder.name

    def _rebuild_matrix(self) -> None:
        # Articles the model cannot read (Chinese for the default model) are found by BM25 alone.
        ids = sorted(article_id for article_id, entry in self._dense.items() if len(entry.vectors))
        if not ids:
            self._dense_matrix = _DenseMatrix()
            return
        blocks = [self._dense[article_id].vectors for article_id in ids]
        sizes = np.array([len(block) for block in blocks], dtype=np.int64)
        entries = [self._dense[article_id] for article_id in ids]
        self._dense_matrix = _DenseMatrix(
            article_ids=np.array(ids, dtype=np.int64),
            starts=np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64),
            matrix=np.vstack(blocks),
            categories=np.array([entry.category or "" for entry in entries], dtype=object),
            subcategories=np.array([entry.subcategory or "" for entry in entries], dtype=object),
            languages=np.array([entry.language for entry in entries], dtype=object),
            positions={article_id: position for position, article_id in enumerate(ids)},
        )

    def rebuild(self, *, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the Whoosh index from scratch and (re)load every vector; returns the number of articles."""
        embedder = get_embedder()
        if embedder is not None:
            embedder.model  # noqa: B018  (loaded before any transaction)
        with self._lock:
            with read_session() as reader:
                token = current_token(reader)
                wanted = public_versions(reader)
                articles = _load_articles(reader, list(wanted))
                documents = [version_document(article, article.live_version) for article in articles]
                pending = [_pending_entry(article) for article in articles]
            if embedder is not None:
                self._dense = {}
                self._apply_dense(embedder, wanted, pending, token, progress=progress)
            count = self.text_index.apply(documents, [], token, clear=True)
            if progress and embedder is None:
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
        query = (query or "").strip()
        terms = query_terms(query)
        exclude = exclude or set()
        text_hits, dense_scores = self.candidates(
            query, terms=terms, category=category, language=language, limit=CANDIDATES + len(exclude)
        )
        weight = bm25_weight if bm25_weight is not None else configured_bm25_weight()
        text_scores = {article_id: score for article_id, (_, score) in text_hits.items() if article_id not in exclude}
        dense = None if dense_scores is None else {k: v for k, v in dense_scores.items() if k not in exclude}
        top = fuse(text_scores, dense, weight)[:limit]

        stored = {article_id: fields for article_id, (fields, _) in text_hits.items()}
        missing = [article_id for _, article_id in top if article_id not in stored]
        if missing:
            stored.update(self._stored_fields(missing))
        results = []
        for score, article_id in top:
            fields = stored.get(article_id)
            if fields is None:
                continue  # unpublished between the two lookups
            results.append(
                SearchHit(
                    article_id=article_id,
                    external_id=fields.get("external_id"),
                    title=fields["title"],
                    snippet=snippet(fields.get("body", ""), terms, fallback=fields.get("summary") or None),
                    score=round(float(score), 4),
                    category=fields.get("category") or None,
                    subcategory=fields.get("subcategory") or None,
                    language=fields.get("language"),
                    bm25=round(float(text_hits[article_id][1]), 4) if article_id in text_hits else 0.0,
                    dense=round(float(dense_scores.get(article_id, 0.0)), 4) if dense_scores is not None else None,
                )
            )
        did_you_mean = self.text_index.did_you_mean(query) if query else None
        return SearchResponse(
            query=query,
            results=results,
            did_you_mean=did_you_mean,
            mode="hybrid" if dense_scores is not None else "bm25",
        )

    def candidates(
        self,
        query: str,
        *,
        terms: list[str],
        category: str | None,
        language: str | None,
        limit: int,
        query_vector: np.ndarray | None = None,
    ) -> tuple[dict[int, tuple[dict, float]], dict[int, float] | None]:
        """Both rankers' raw scores: BM25 hits (stored fields, score), and the cosines of the closest articles and
        of the BM25 hits, or None when embeddings are off or the model cannot read the query."""
        text_hits = {
            int(fields["article_id"]): (fields, score)
            for fields, score in self.text_index.search(terms, limit=limit, category=category, language=language)
        }
        embedder = get_embedder()
        dense_scores = None
        if embedder is not None and query and embedder.understands(query):
            vector = query_vector if query_vector is not None else embedder.encode([query])[0]
            dense_scores = self._dense_scores(vector, category, language, limit=limit, also=set(text_hits))
        return text_hits, dense_scores

    def _dense_scores(
        self,
        vector: np.ndarray,
        category: str | None,
        language: str | None,
        *,
        limit: int,
        also: set[int],
    ) -> dict[int, float]:
        """Cosines of the `limit` closest articles, and of the articles in `also` (BM25's candidates)."""
        matrix = self._dense_matrix
        if matrix.matrix is None or not len(matrix.article_ids):
            return {}
        # An article is as close as its closest way of asking.
        per_article = np.maximum.reduceat(matrix.matrix @ vector, matrix.starts)
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


def configured_bm25_weight() -> float:
    """BM25_WEIGHT, or CONSULTKB_SEARCH_BM25_WEIGHT for another embedding model (tune it with eval_search.py)."""
    return float(current_app.config.get("SEARCH_BM25_WEIGHT", BM25_WEIGHT))


def fuse(
    text_scores: dict[int, float], dense_scores: dict[int, float] | None, bm25_weight: float
) -> list[tuple[float, int]]:
    """(score, article id), best first: the cosine plus the weighted BM25 score relative to the query's best.

    Dense-only candidates must reach DENSE_MIN_SIMILARITY; with no dense scores the ranking is BM25's.
    """
    best = max(text_scores.values(), default=0.0)
    relative = {article_id: score / best for article_id, score in text_scores.items()} if best > 0 else {}
    if dense_scores is None:
        fused = [(score, article_id) for article_id, score in relative.items()]
    else:
        candidates = set(relative) | {a for a, similarity in dense_scores.items() if similarity >= DENSE_MIN_SIMILARITY}
        fused = [
            (dense_scores.get(article_id, 0.0) + bm25_weight * relative.get(article_id, 0.0), article_id)
            for article_id in candidates
        ]
    fused.sort(key=lambda item: (-item[0], item[1]))
    return fused


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
