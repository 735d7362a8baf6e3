"""Related articles: the public articles closest in meaning to an article, with those of its category first.

Before, related articles were a search with the article's title and questions, and the search's thresholds let
whatever came next through: on a refund article e5's compressed cosines (unrelated Chinese questions score 0.85)
listed 账号被盗. Now the article's own vectors (those search uses, in its language's space) are compared with every
other public article of that space, and each cosine is read against the article's typical cosine to the rest of the
knowledge base (its median): 0 is "as close as any article", 1 "the same text". That meaning score plus a bonus for
the same subcategory and category ranks the candidates; an article of another category is shown only when its
meaning score alone is high. bench/eval_related.py measures it (figures in the README).

With embeddings off the meaning score is the BM25 score of the article's title and questions (relative to the best).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from flask import current_app

from kb.content import public_text
from kb.models import Article, ArticleStatus, ArticleVersion
from kb.search import SearchHit, search_service
from records.db import db

#: Related articles shown under an article.
RELATED_LIMIT = 5
#: Added to the meaning score (0-1) for the same subcategory, and for the same top category. Chosen with
#: bench/eval_related.py on the demo knowledge base: large enough that an article of the same subcategory beats
#: a merely similar-sounding one of another category, small enough that meaning still orders within a category.
RELATED_SUBCATEGORY_WEIGHT = 0.3
RELATED_CATEGORY_WEIGHT = 0.15
#: An article of another category (or with no category) is related only from this meaning score; one of the same
#: category from RELATED_SAME_CATEGORY_MIN (it needs some meaning too: a category can be broad). Chosen with
#: bench/eval_related.py --grid on the demo articles' hand-labelled relations (the same data reports the result, so
#: an optimistic figure): 0.4 / 0.05 showed 1.8 articles per article, 82.7 % on topic; 0.5 / 0.1 1.3 at 91.4 % but
#: nothing under 16 of 55 articles; 0.5 / 0 2.4 at 69.7 %; the title search before 5 at 49.8 %.
RELATED_MIN_MEANING = 0.4
RELATED_SAME_CATEGORY_MIN = 0.05


@dataclass
class Candidate:
    article_id: int
    meaning: float
    score: float = 0.0


def _setting(name: str, default: float) -> float:
    return float(current_app.config.get(name, default))


def meaning_scores(article: Article, version: ArticleVersion) -> dict[int, float]:
    """article id → meaning score in [0, 1] of the other public articles."""
    service = search_service()
    cosines = service.similar_articles(article.id)
    if cosines:
        values = np.array(list(cosines.values()), dtype=np.float64)
        baseline = float(np.median(values)) if len(values) >= 3 else float(values.min()) if len(values) > 1 else 0.0
        baseline = min(baseline, 0.999)
        return {other: max(0.0, min(1.0, (cosine - baseline) / (1.0 - baseline))) for other, cosine in cosines.items()}
    query = " ".join([version.title, *(version.alt_questions or [])])
    hits = service.search(query, limit=50, exclude={article.id}, language=version.language.value).results
    best = max((hit.score for hit in hits), default=0.0)
    return {hit.article_id: hit.score / best for hit in hits} if best > 0 else {}


def _public_versions(
    article_ids: Iterable[int] | None, language: str, category: str | None
) -> dict[int, ArticleVersion]:
    query = (
        sa.select(Article.id, ArticleVersion)
        .join(ArticleVersion, ArticleVersion.id == Article.live_version_id)
        .where(Article.status != ArticleStatus.ARCHIVED, ArticleVersion.language == language)
    )
    if article_ids is not None:
        query = query.where(Article.id.in_(list(article_ids)))
    if category:
        query = query.where(ArticleVersion.category == category)
    return {article_id: found for article_id, found in db.session.execute(query)}


def related_articles(article: Article, version: ArticleVersion, limit: int = RELATED_LIMIT) -> list[SearchHit]:
    """Other public articles in the article's language, by meaning blended with the same (sub)category."""
    meaning = meaning_scores(article, version)
    language = version.language.value
    versions = _public_versions(set(meaning), language, None) if meaning else {}
    if version.category:
        versions.update(_public_versions(None, language, version.category))
    versions.pop(article.id, None)
    sub_weight = _setting("RELATED_SUBCATEGORY_WEIGHT", RELATED_SUBCATEGORY_WEIGHT)
    cat_weight = _setting("RELATED_CATEGORY_WEIGHT", RELATED_CATEGORY_WEIGHT)
    floor = _setting("RELATED_MIN_MEANING", RELATED_MIN_MEANING)
    same_floor = _setting("RELATED_SAME_CATEGORY_MIN", RELATED_SAME_CATEGORY_MIN)
    views = (
        dict(db.session.execute(sa.select(Article.id, Article.view_count).where(Article.id.in_(list(versions)))).all())
        if versions
        else {}
    )
    ranked = []
    for other, other_version in versions.items():
        score = meaning.get(other, 0.0)
        same_category = bool(version.category) and other_version.category == version.category
        same_subcategory = (
            same_category and bool(version.subcategory) and other_version.subcategory == version.subcategory
        )
        if score < (same_floor if same_category else floor) and not (same_subcategory and not meaning):
            continue
        blended = score + cat_weight * same_category + sub_weight * same_subcategory
        ranked.append((-blended, -views.get(other, 0), other))
    ranked.sort()
    return [
        SearchHit(
            article_id=other,
            external_id=None,
            # Shown on public pages: identifiers left in published text are replaced (kb.content.public_text).
            title=public_text(versions[other].title, chinese=language == "zh"),
            snippet="",
            score=round(-negative, 4),
            category=versions[other].category,
            subcategory=versions[other].subcategory,
            language=language,
        )
        for negative, _, other in ranked[:limit]
    ]
