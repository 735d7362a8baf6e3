"""What trainers do with knowledge gaps: read them, and turn each into an article, an alternative question of an
existing article, "not a gap" or resolved; and the one trainer queue where gaps and FAQ proposals meet.

Like the other operations modules these validate, change the session and audit-log, flush but never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from kb.gaps.models import GapStatus, KnowledgeGap
from kb.models import Article, ArticleStatus, Proposal, ProposalStatus
from kb.operations import create_article, update_article
from records import audit
from records.access import NotFound, require
from records.db import db, row_id
from records.enums import Language, Role
from records.identifiers import contains_identifiers
from records.models import User
from records.timeutil import utcnow

#: Roles that read and act on gaps: the texts are what customers typed (masked), and the decisions are editorial.
GAP_REVIEWERS = (Role.TRAINER, Role.ADMIN)
#: Alternative questions taken from a gap's examples into a new article (the title is the first example).
ARTICLE_QUESTIONS = 5


def can_review_gaps(user: User) -> bool:
    return user.role in GAP_REVIEWERS


def require_gap_reviewer(user: User) -> None:
    require(can_review_gaps(user), "Only trainers and administrators work on knowledge gaps.")


def _require_open(gap: KnowledgeGap) -> None:
    if gap.status != GapStatus.OPEN:
        message = _l("Only an open gap can be decided on; this one is %(status)s.", status=gap.status.label_lazy())
        raise ValidationError({"status": [message]})


# -- reading --------------------------------------------------------------------------------------------------------


@dataclass
class GapFilters:
    status: GapStatus | None = GapStatus.OPEN
    language: Language | None = None
    category: str | None = None


def _filtered(filters: GapFilters) -> sa.Select:
    query = sa.select(KnowledgeGap)
    if filters.status is not None:
        query = query.where(KnowledgeGap.status == filters.status)
        if filters.status == GapStatus.OPEN:
            # An open gap nobody hit in the window is not work for anyone.
            query = query.where(KnowledgeGap.signal_count > 0)
    if filters.language is not None:
        query = query.where(KnowledgeGap.language == filters.language)
    if filters.category:
        query = query.where(
            sa.or_(KnowledgeGap.category == filters.category, KnowledgeGap.subcategory == filters.category)
        )
    return query


def list_gaps(filters: GapFilters, *, page: int = 1, per_page: int = 25) -> tuple[list[KnowledgeGap], int]:
    """Most signals first, then the fastest growing."""
    query = _filtered(filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(KnowledgeGap.signal_count.desc(), KnowledgeGap.impact.desc(), KnowledgeGap.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), int(total or 0)


def count_gaps_by_status() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(KnowledgeGap.status, sa.func.count())
        .where(sa.or_(KnowledgeGap.status != GapStatus.OPEN, KnowledgeGap.signal_count > 0))
        .group_by(KnowledgeGap.status)
    )
    counts = {status.value: 0 for status in GapStatus}
    counts.update({GapStatus(status).value: count for status, count in rows})
    return counts


def get_gap(gap_id: int | str) -> KnowledgeGap:
    gap = db.session.get(KnowledgeGap, int(gap_id)) if row_id(gap_id) else None
    if gap is None:
        raise NotFound(f"No knowledge gap {gap_id}.")
    return gap


def last_refreshed() -> Any:
    return db.session.scalar(sa.select(sa.func.max(KnowledgeGap.refreshed_at)))


def suggested_articles(gap: KnowledgeGap) -> list[Article]:
    """The articles a trainer may add the gap's question to, nearest first (archived ones left out)."""
    ids = list(gap.suggested_articles or [])
    if not ids:
        return []
    found = {
        article.id: article
        for article in db.session.scalars(
            sa.select(Article).where(Article.id.in_(ids), Article.status != ArticleStatus.ARCHIVED)
        )
    }
    return [found[article_id] for article_id in ids if article_id in found]


def gap_questions(gap: KnowledgeGap) -> list[str]:
    """The gap's masked texts, most central first, without repeats."""
    texts = [gap.title, *(example["text"] for example in gap.examples or [])]
    return list(dict.fromkeys(text.strip() for text in texts if text and text.strip()))


# -- decisions ------------------------------------------------------------------------------------------------------


def _decide(gap: KnowledgeGap, status: GapStatus, by: User, *, note: str | None, article: Article | None = None):
    gap.status = status
    gap.decided_by_id, gap.decided_at = by.id, utcnow()
    gap.note = (note or "").strip() or None
    gap.status_note = None
    if article is not None:
        gap.article_id = article.id
    audit.log(by, f"gap.{status.value}", gap, article=article.id if article else None, title=gap.title)
    db.session.flush()


def _checked_question(text: str, field: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError({field: [_l("Give the question to add.")]})
    if len(text) > 300:
        raise ValidationError({field: [_l("A question has at most 300 characters.")]})
    if contains_identifiers(text):
        raise ValidationError(
            {field: [_l("Remove personal data (names, phone numbers, addresses, ID or card numbers) first.")]}
        )
    return text


def create_article_from_gap(
    gap: KnowledgeGap, *, by: User, title: str | None = None, note: str | None = None
) -> Article:
    """A draft article prefilled from the gap: its most central question as title, the other ways it was asked as
    alternative questions, the category of the nearest articles. The trainer writes the answer before review."""
    require_gap_reviewer(by)
    _require_open(gap)
    questions = gap_questions(gap)
    title = _checked_question(title, "title") if title else questions[0]
    alternatives = [text for text in questions if text != title and not contains_identifiers(text)]
    language = gap.language
    # Article text, in the article's language whoever writes it: the trainer replaces it before review.
    body = (
        f"(Write the answer here. Customers asked this {gap.signal_count} times without finding one.)"
        if language == Language.EN
        else f"（请在此写下答案。客户问过 {gap.signal_count} 次，没有找到答案。）"
    )
    article = create_article(
        {
            "title": title,
            "body": body,
            "category": gap.category,
            "subcategory": gap.subcategory,
            "alt_questions": alternatives[:ARTICLE_QUESTIONS],
            "language": language,
            "note": gettext("from knowledge gap %(number)s", number=gap.id),
        },
        by=by,
    )
    _decide(gap, GapStatus.ARTICLE, by, note=note, article=article)
    return article


def add_alternative_question(
    gap: KnowledgeGap, article: Article, *, by: User, question: str | None = None, note: str | None = None
) -> Article:
    """The gap's question (or the trainer's wording of it) becomes an alternative question of an article; a
    published article shows it once the new version is reviewed and published."""
    require_gap_reviewer(by)
    _require_open(gap)
    if article.status == ArticleStatus.ARCHIVED:
        raise ValidationError({"article": [_l("An archived article takes no alternative questions.")]})
    question = _checked_question(question or gap.title, "question")
    existing = [text.casefold() for text in [article.title, *(article.alt_questions or [])]]
    if question.casefold() not in existing:
        update_article(
            article,
            {
                "alt_questions": [*(article.alt_questions or []), question],
                "note": gettext("alternative question from knowledge gap %(number)s", number=gap.id),
            },
            by=by,
        )
    _decide(gap, GapStatus.ALTERNATIVE, by, note=note, article=article)
    return article


def mark_not_a_gap(gap: KnowledgeGap, *, by: User, note: str | None = None) -> KnowledgeGap:
    """Not something the knowledge base should answer (spam, a test, a question for sales): the same meaning is
    folded into this gap in every later refresh instead of coming back."""
    require_gap_reviewer(by)
    _require_open(gap)
    _decide(gap, GapStatus.NOT_A_GAP, by, note=note)
    return gap


def resolve_gap(gap: KnowledgeGap, *, by: User, note: str | None = None) -> KnowledgeGap:
    """Answered some other way (an article was fixed, a product change): it comes back only if customers keep
    failing to find the answer afterwards."""
    require_gap_reviewer(by)
    _require_open(gap)
    _decide(gap, GapStatus.RESOLVED, by, note=note)
    return gap


def reopen_gap(gap: KnowledgeGap, *, by: User) -> KnowledgeGap:
    """Undo a decision."""
    require_gap_reviewer(by)
    if gap.status == GapStatus.OPEN:
        raise ValidationError({"status": [_l("The gap is open already.")]})
    gap.status = GapStatus.OPEN
    gap.status_note = None
    gap.decided_by_id, gap.decided_at = by.id, utcnow()
    audit.log(by, "gap.reopen", gap)
    db.session.flush()
    return gap


# -- the trainer queue ----------------------------------------------------------------------------------------------

QUEUE_KINDS = ("gap", "proposal")


@dataclass
class QueueFilters:
    kind: str | None = None
    language: Language | None = None
    category: str | None = None


@dataclass
class QueueItem:
    kind: str
    id: int
    title: str
    volume: int
    recent: int
    previous: int
    impact: float
    language: str
    category: str | None
    subcategory: str | None
    detail: Any


def trainer_queue(filters: QueueFilters, *, page: int = 1, per_page: int = 25) -> tuple[list[QueueItem], int]:
    """Open gaps and open FAQ proposals together, most volume first (signals for a gap, records for a proposal),
    then the fastest growing."""
    items: list[QueueItem] = []
    if filters.kind in (None, "gap"):
        gaps = db.session.scalars(
            _filtered(GapFilters(status=GapStatus.OPEN, language=filters.language, category=filters.category))
        )
        items += [
            QueueItem(
                "gap",
                gap.id,
                gap.title,
                gap.signal_count,
                gap.recent_count,
                gap.previous_count,
                gap.impact,
                gap.language.value,
                gap.category,
                gap.subcategory,
                gap,
            )
            for gap in gaps
        ]
    if filters.kind in (None, "proposal"):
        query = sa.select(Proposal).where(Proposal.status == ProposalStatus.OPEN)
        if filters.language is not None:
            query = query.where(Proposal.language == filters.language)
        if filters.category:
            query = query.where(sa.or_(Proposal.category == filters.category, Proposal.subcategory == filters.category))
        items += [
            QueueItem(
                "proposal",
                proposal.id,
                proposal.title,
                proposal.record_count,
                proposal.recent_count,
                proposal.previous_count,
                proposal.impact,
                proposal.language.value,
                proposal.category,
                proposal.subcategory,
                proposal,
            )
            for proposal in db.session.scalars(query)
        ]
    items.sort(key=lambda item: (-item.volume, -item.impact, item.kind, -item.id))
    start = (page - 1) * per_page
    return items[start : start + per_page], len(items)
