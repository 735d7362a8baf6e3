"""The report's knowledge-base figures: FAQ proposals made and approved, articles published and reused, whether the
top problems have an article, and the help center's self-service figures (kb.insights.self_service_figures, defined
there and in docs/self-service.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from jobs.reports.common import CURRENT, PREVIOUS, Window, compare
from kb.insights import DEFLECTION_DAYS, self_service_figures
from kb.models import Article, ArticleRecordLink, ArticleStatus, LinkKind, Proposal, ProposalStatus
from records.db import READ_ONLY_OPTION, db
from records.identifiers import scrub_identifiers

#: Articles named per top problem as covering it.
COVERING_ARTICLES = 3
#: Help-center figures carried from kb.insights into the report, compared with the previous period: the key in the
#: report, and how to read it from self_service_figures. Reports made before these figures carry "deflection_rate"
#: (sessions that searched without a contact request), which the template still shows for them.
_SELF_SERVICE_FIGURES = {
    "searches": lambda f: f["searches"],
    "zero_result_rate": lambda f: f["zero_result"]["value"],
    "click_through_rate": lambda f: f["click_through"]["value"],
    "contact_after_search_rate": lambda f: f["contact_after_search"]["value"],
    "helpful_ratio": lambda f: f["helpful"]["value"],
    "sessions": lambda f: f["sessions"],
    "customers_contacted": lambda f: f["customers_contacted"],
    "self_service_score": lambda f: f["self_service_score"]["value"],
    "deflection_successful": lambda f: f["deflection"]["successful"],
    "deflection_failed": lambda f: f["deflection"]["failed"],
    "deflection_potential": lambda f: f["deflection"]["potential"],
    "deflection_success_rate": lambda f: f["deflection"]["rate"]["value"],
}


@contextmanager
def _reading_db_session() -> Iterator[None]:
    """Run code written against db.session (kb.insights.self_service_figures) without joining the caller's
    transaction or taking SQLite's write lock: a fresh app context has its own db.session, which is put on a
    read-only connection before its first query and removed when the context ends."""
    with current_app.app_context():
        db.session.connection(execution_options={READ_ONLY_OPTION: True})
        yield


def help_center(window: Window, now: datetime) -> dict[str, Any]:
    """The self-service figures of both periods; `now` (the report's time) decides which deflections are still
    potential."""
    days = int(current_app.config.get("SELF_SERVICE_DEFLECTION_DAYS", DEFLECTION_DAYS))
    summaries = {}
    with _reading_db_session():
        for which in (CURRENT, PREVIOUS):
            period = window.period(which)
            summaries[which] = self_service_figures(period.starts_at, period.ends_at, window_days=days, now=now)
    figures: dict[str, Any] = {
        key: compare(read(summaries[CURRENT]), read(summaries[PREVIOUS])) for key, read in _SELF_SERVICE_FIGURES.items()
    }
    figures["deflection_days"] = days
    # Customers type phone numbers and names into the search box too.
    figures["top_zero_result_queries"] = [
        {"query": scrub_identifiers(item["query"]) or "", "count": item["count"]}
        for item in summaries[CURRENT]["top_zero_result_queries"]
    ]
    return figures


def knowledge_figures(session: Session, window: Window, topics: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """Counts for both periods; `coverage` for each of `topics` (the top and the rising problems)."""

    def counted(column: sa.ColumnElement, *conditions: Any) -> dict[str, Any]:
        values = {}
        for which in (CURRENT, PREVIOUS):
            period = window.period(which)
            values[which] = int(
                session.scalar(
                    sa.select(sa.func.count()).where(column >= period.starts_at, column < period.ends_at, *conditions)
                )
                or 0
            )
        return compare(values[CURRENT], values[PREVIOUS])

    return {
        "new_proposals": counted(Proposal.created_at),
        "approved_proposals": counted(Proposal.reviewed_at, Proposal.status == ProposalStatus.APPROVED),
        "published_articles": counted(Article.published_at),
        "reused_articles": counted(ArticleRecordLink.created_at, ArticleRecordLink.kind == LinkKind.REUSE),
        "open_proposals": int(
            session.scalar(sa.select(sa.func.count()).where(Proposal.status == ProposalStatus.OPEN)) or 0
        ),
        "coverage": [coverage(session, topic) for topic in topics],
        "help_center": help_center(window, now),
    }


def public_articles() -> sa.ColumnElement[bool]:
    """Articles customers can read now (kb.models.Article.is_public, in SQL)."""
    return sa.and_(Article.live_version_id.is_not(None), Article.status != ArticleStatus.ARCHIVED)


def coverage(session: Session, problem: dict[str, Any]) -> dict[str, Any]:
    """Public articles on a top problem's category and subcategory, and open proposals for it."""
    same_topic = sa.and_(
        Article.category == problem["category"], Article.subcategory.is_not_distinct_from(problem["subcategory"])
    )
    articles = session.execute(
        sa.select(Article.id, Article.title)
        .where(public_articles(), same_topic)
        .order_by(Article.helpful_yes.desc(), Article.id)
        .limit(COVERING_ARTICLES)
    ).all()
    covering = int(session.scalar(sa.select(sa.func.count()).where(public_articles(), same_topic)) or 0)
    proposals = int(
        session.scalar(
            sa.select(sa.func.count()).where(
                Proposal.status == ProposalStatus.OPEN,
                Proposal.category == problem["category"],
                Proposal.subcategory.is_not_distinct_from(problem["subcategory"]),
            )
        )
        or 0
    )
    return {
        "category": problem["category"],
        "subcategory": problem["subcategory"],
        "name": problem["name"],
        "covered": covering > 0,
        "articles": covering,
        "examples": [{"article_id": article_id, "title": title} for article_id, title in articles],
        "open_proposals": proposals,
    }
