"""The signals of a knowledge gap: searches and votes that show someone looked for an answer and found none.

- a help-center search that found nothing (a zero-result search),
- a search in a session that still ended in a contact request ("still need help?"),
- a "not helpful" vote, read as the question the visitor searched before voting (or their comment),
- an agent-assist search that found nothing (kept masked in kb_assist_misses; agents type as they go, so a text
  that continues the same agent's miss of a few seconds ago replaces it, like the help center's instant search).

Every text is scrubbed of phones, e-mails, ID and card numbers, names and addresses before anything else reads it
(`records.identifiers.scrub_identifiers`, the FAQ proposals' masking): search boxes receive whatever people paste.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kb.gaps.models import AssistMiss, SignalKind
from kb.models import ArticleFeedback, SearchEvent, SearchSession
from kb.selfservice import TYPING_MERGE_SECONDS
from records.db import db
from records.enums import Language
from records.identifiers import scrub_identifiers
from records.models import User
from records.timeutil import utcnow
from text.analysis import normalise
from text.embeddings import has_han
from text.rewriting import without_case_details

#: Shortest text (characters, after masking) that counts: "a" or "?" asks nothing.
MIN_SIGNAL_CHARS = 2
#: Characters of a signal's text that are kept (the search log keeps 500).
MAX_SIGNAL_CHARS = 300


@dataclass
class Signal:
    """One thing not found: its masked text, what it is grouped by, why it counts, when."""

    text: str
    question: str
    at: datetime
    kinds: set[str] = field(default_factory=set)
    #: For "not helpful" votes: the articles that did not help.
    articles: set[int] = field(default_factory=set)

    @property
    def language(self) -> Language:
        return Language.ZH if has_han(self.text) else Language.EN


def masked(text: str | None) -> str:
    """A signal's text as anyone may read it: identifiers scrubbed, whitespace folded, clipped."""
    text = " ".join((text or "").split())
    return " ".join((scrub_identifiers(text) or "").split())[:MAX_SIGNAL_CHARS]


def grouping_text(text: str) -> str:
    """What a signal is grouped by: the masked text without what names one case (order numbers and the like)."""
    return without_case_details(text) or text


def _key(text: str) -> str:
    return normalise(text).casefold()


class _Collector:
    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], Signal] = {}
        self.anonymous: list[Signal] = []

    def add(self, owner: str | None, raw: str | None, at: datetime, kind: SignalKind, article: int | None = None):
        text = masked(raw)
        if len(text.strip()) < MIN_SIGNAL_CHARS:
            return
        key = (owner, _key(text)) if owner else None
        signal = self.by_key.get(key) if key else None
        if signal is None:
            signal = Signal(text=text, question=grouping_text(text), at=at)
            if key:
                self.by_key[key] = signal
            else:
                self.anonymous.append(signal)
        signal.kinds.add(kind.value)
        signal.at = max(signal.at, at)
        if article is not None:
            signal.articles.add(article)

    def signals(self) -> list[Signal]:
        return sorted([*self.by_key.values(), *self.anonymous], key=lambda signal: (signal.at, signal.text))


def collect_signals(session: Session, start: datetime, end: datetime) -> list[Signal]:
    """Every signal in [start, end) (naive UTC), masked. One visitor asking the same thing twice in a session (a
    zero-result search, then a contact request) is one signal with both reasons."""
    collector = _Collector()
    in_window = sa.and_(SearchEvent.at >= start, SearchEvent.at < end)
    zero = session.execute(
        sa.select(SearchEvent.session_id, SearchEvent.query, SearchEvent.at).where(
            in_window, SearchEvent.kind == "search", SearchEvent.result_count == 0, SearchEvent.query.is_not(None)
        )
    )
    for session_id, query, at in zero:
        collector.add(session_id, query, at, SignalKind.ZERO_RESULT)
    contacted = session.execute(
        sa.select(SearchEvent.session_id, SearchEvent.query, SearchEvent.at)
        .join(SearchSession, SearchSession.id == SearchEvent.session_id)
        .where(in_window, SearchEvent.kind == "search", SearchEvent.query.is_not(None))
        .where(SearchSession.record_id.is_not(None))
    )
    for session_id, query, at in contacted:
        collector.add(session_id, query, at, SignalKind.CONTACT)
    for session_id, article_id, comment, at, query in _unhelpful_votes(session, start, end):
        # The question is what the visitor searched before voting; without a search, what they wrote.
        collector.add(session_id, query or comment, at, SignalKind.NOT_HELPFUL, article_id)
    misses = session.execute(
        sa.select(AssistMiss.user_id, AssistMiss.query, AssistMiss.at).where(
            AssistMiss.at >= start, AssistMiss.at < end
        )
    )
    for _, query, at in misses:
        collector.add(None, query, at, SignalKind.ASSIST)
    return collector.signals()


def _unhelpful_votes(session: Session, start: datetime, end: datetime):
    """(session id, article id, comment, when, the session's last search before the vote) of "no" answers."""
    last_search = (
        sa.select(SearchEvent.query)
        .where(
            SearchEvent.session_id == ArticleFeedback.session_id,
            SearchEvent.kind == "search",
            SearchEvent.at <= ArticleFeedback.updated_at,
        )
        .order_by(SearchEvent.at.desc(), SearchEvent.id.desc())
        .limit(1)
        .correlate(ArticleFeedback)
        .scalar_subquery()
    )
    return session.execute(
        sa.select(
            ArticleFeedback.session_id,
            ArticleFeedback.article_id,
            ArticleFeedback.comment,
            ArticleFeedback.updated_at,
            last_search,
        ).where(
            ArticleFeedback.helpful.is_(False),
            ArticleFeedback.updated_at >= start,
            ArticleFeedback.updated_at < end,
        )
    ).all()


# -- agent assist ---------------------------------------------------------------------------------------------------


def _continues(previous: str, query: str) -> bool:
    before, after = previous.casefold(), query.casefold()
    return after.startswith(before) or before.startswith(after)


def note_assist_search(user: User | None, text: str, found: int) -> AssistMiss | None:
    """Keep an agent-assist search that found nothing, masked. Agent assist follows the description as the agent
    types: a text continuing the same agent's last miss within TYPING_MERGE_SECONDS replaces it, and a search that
    then finds something withdraws it (the agent found the article after all)."""
    query = masked(text)
    if len(query) < MIN_SIGNAL_CHARS:
        return None
    now = utcnow()
    user_id = user.id if user is not None else None
    last = None
    if user_id is not None:
        last = db.session.scalar(
            sa.select(AssistMiss)
            .where(AssistMiss.user_id == user_id, AssistMiss.at >= now - timedelta(seconds=TYPING_MERGE_SECONDS))
            .order_by(AssistMiss.id.desc())
            .limit(1)
        )
    if last is not None and _continues(last.query, query):
        if found:
            db.session.delete(last)
            db.session.flush()
            return None
        last.query, last.at = query, now
        db.session.flush()
        return last
    if found:
        return None
    miss = AssistMiss(at=now, user_id=user_id, query=query)
    db.session.add(miss)
    db.session.flush()
    return miss


def forget_assist_misses(before: datetime) -> int:
    """Delete agent-assist misses older than `before` (they are kept only as long as gaps read them)."""
    result = db.session.execute(sa.delete(AssistMiss).where(AssistMiss.at < before))
    return int(result.rowcount or 0)
