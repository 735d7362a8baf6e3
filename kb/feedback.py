"""Reading what customers said about articles ("was this helpful?"): the staff feed and an article's summary.

Trainers and administrators read all feedback; anyone else reads the feedback on the articles they wrote (owned, or
wrote a version of), so an author who is no longer a trainer still hears about their articles. Writing feedback is
kb.selfservice.add_feedback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from kb.models import Article, ArticleFeedback, ArticleVersion, FeedbackReason
from kb.operations import can_edit_articles, get_article
from records.access import require
from records.db import db
from records.models import User
from records.timeutil import local_day_start

#: Comments listed on an article's staff page (the feed has the rest).
ARTICLE_PAGE_COMMENTS = 10


@dataclass(frozen=True)
class FeedbackFilters:
    article_id: int | None = None
    helpful: bool | None = None
    reason: FeedbackReason | None = None
    #: Only answers with a comment.
    commented: bool = False
    #: [start, end) of the last change, naive UTC.
    start: datetime | None = None
    end: datetime | None = None


def filters_from(args: dict[str, Any]) -> FeedbackFilters:
    """The filters FeedbackQuerySchema loaded: an article by id or external id, local days as UTC bounds."""
    return FeedbackFilters(
        article_id=get_article(args["article"]).id if args.get("article") else None,
        helpful=args.get("helpful"),
        reason=args.get("reason"),
        commented=bool(args.get("commented")),
        start=local_day_start(args["date_from"]) if args.get("date_from") else None,
        end=local_day_start(args["date_to"] + timedelta(days=1)) if args.get("date_to") else None,
    )


def _written_by(user: User) -> sa.ColumnElement[bool]:
    """Articles the user owns or wrote a version of, as a condition on Article."""
    wrote_a_version = sa.exists().where(ArticleVersion.article_id == Article.id, ArticleVersion.author_id == user.id)
    return sa.or_(Article.owner_id == user.id, wrote_a_version)


def reads_all_feedback(user: User) -> bool:
    return can_edit_articles(user)


def may_read_feedback(user: User, article: Article | None = None) -> bool:
    """On `article`, or (None) on any article at all: whether the feed has anything for the user."""
    if reads_all_feedback(user):
        return True
    query = sa.select(Article.id).where(_written_by(user))
    if article is not None:
        query = query.where(Article.id == article.id)
    return db.session.scalar(query.limit(1)) is not None


def list_feedback(
    user: User, filters: FeedbackFilters, *, offset: int = 0, limit: int = 50
) -> tuple[list[ArticleFeedback], int]:
    """Feedback the user may read, most recently changed first, and how many match in all."""
    require(may_read_feedback(user), "Only trainers, administrators and an article's authors read its feedback.")
    query = sa.select(ArticleFeedback).join(Article, Article.id == ArticleFeedback.article_id)
    if not reads_all_feedback(user):
        query = query.where(_written_by(user))
    if filters.article_id is not None:
        query = query.where(ArticleFeedback.article_id == filters.article_id)
    if filters.helpful is not None:
        query = query.where(ArticleFeedback.helpful.is_(filters.helpful))
    if filters.reason is not None:
        query = query.where(ArticleFeedback.reason == filters.reason)
    if filters.commented:
        query = query.where(ArticleFeedback.comment.is_not(None))
    if filters.start is not None:
        query = query.where(ArticleFeedback.updated_at >= filters.start)
    if filters.end is not None:
        query = query.where(ArticleFeedback.updated_at < filters.end)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(ArticleFeedback.updated_at.desc(), ArticleFeedback.id.desc()).offset(offset).limit(limit)
    ).all()
    return list(rows), total or 0


def reason_counts(article: Article) -> dict[FeedbackReason, int]:
    """How often each reason was given for "not helpful" on the article, every reason listed."""
    rows = db.session.execute(
        sa.select(ArticleFeedback.reason, sa.func.count())
        .where(ArticleFeedback.article_id == article.id, ArticleFeedback.reason.is_not(None))
        .group_by(ArticleFeedback.reason)
    ).all()
    found = dict(rows)
    return {reason: found.get(reason, 0) for reason in FeedbackReason}


def feedback_to_dict(row: ArticleFeedback) -> dict[str, Any]:
    """A row as staff read it (FeedbackItemSchema); the article's newest title, drafts' included."""
    return {
        "id": row.id,
        "article_id": row.article_id,
        "article_title": row.article.title,
        "helpful": row.helpful,
        "reason": row.reason,
        "comment": row.comment,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }
