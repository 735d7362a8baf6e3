"""The public help center: search sessions, clicks, "was this helpful?", contact requests, and their counts.

A search session is one visitor's visit: what they searched, which results they opened, what they said about the
articles, and whether they still asked us for help ("still need help?" opens a contact request, a new open record
on the web channel). kb.insights turns these events into the self-service figures.

Like the other operations these flush and never commit; the request commits.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from kb.content import PublicVersion, public_text
from kb.models import (
    Article,
    ArticleFeedback,
    ArticleStatus,
    ArticleVersion,
    FeedbackReason,
    SearchEvent,
    SearchSession,
)
from kb.related import related_articles as related_by_meaning
from kb.search import SearchHit
from records import audit
from records.access import NotFound, can_create_records
from records.customer_links import create_link
from records.db import db
from records.enums import Channel, Language, Role, Status
from records.identifiers import scrub_identifiers
from records.models import Record, User
from records.operations import create_record, taxonomy
from records.people import find_agent
from records.timeutil import format_local, utcnow

log = logging.getLogger(__name__)

#: The audit log's actor for what customers do in the help center.
ACTOR = "self-service"
#: Records created from contact requests carry this source, so reports can tell them from agents' own records.
SOURCE = "self-service"
#: Instant search sends a query at each pause in typing. A query that continues (or trims) the session's previous
#: search within this many seconds replaces it, so "refu", "refun", "refund" count as one search, not two
#: zero-result searches and one hit. Ten seconds covers a slow typist's pauses, not a new question.
TYPING_MERGE_SECONDS = 10
#: Related articles shown under an article.
RELATED_LIMIT = 5
#: Zero-result queries listed in the deflection summary.
TOP_ZERO_RESULT_QUERIES = 10


class NoAgentAvailable(RuntimeError):
    """No active agent may take a contact request; the message says what the administrator should do."""


# -- sessions and events --------------------------------------------------------------------------------------------


def get_session(session_id: str | None) -> SearchSession | None:
    return db.session.get(SearchSession, session_id) if session_id else None


def get_or_start_session(session_id: str | None, language: str | None = None) -> SearchSession:
    """The visitor's session, or a new one (with a fresh id: ids are never taken from the client)."""
    session = get_session(session_id)
    now = utcnow()
    if session is None:
        session = SearchSession(
            id=uuid.uuid4().hex,
            started_at=now,
            last_seen_at=now,
            language=language,
            searches=0,
            zero_result_searches=0,
            clicks=0,
        )
        db.session.add(session)
    else:
        session.last_seen_at = now
        if language and not session.language:
            session.language = language
    db.session.flush()
    return session


def _last_event(session: SearchSession) -> SearchEvent | None:
    return db.session.scalar(
        sa.select(SearchEvent).where(SearchEvent.session_id == session.id).order_by(SearchEvent.id.desc()).limit(1)
    )


#: Search sessions (with their searches, clicks and contact markers) older than this many days are deleted by the
#: nightly retention job. They are about anonymous visits and only feed the deflection figures, which the weekly and
#: monthly reports have stored by then; half a year keeps two quarters for comparison. SEARCH_LOG_RETENTION_DAYS
#: overrides it.
SEARCH_LOG_RETENTION_DAYS = 180
#: A search log keeps no run of this many digits or more, even when it is not recognisably personal: a visitor typing
#: a phone number is logged at every pause ("1381234" before "13812345678"), and an order number in a search says
#: nothing about what the help center lacks.
SEARCH_LOG_MAX_DIGITS = 7
_LONG_NUMBER_RE = re.compile(rf"\d(?:[ ()-]{{0,2}}\d){{{SEARCH_LOG_MAX_DIGITS - 1},}}")
_NUMBER_SHAPE_RE = re.compile(r"[\d*]+(?:[ ()./-]{0,2}[\d*]+)*")


def loggable_query(query: str) -> str:
    """A search as the logs keep it: personal data, names and addresses scrubbed (records.identifiers), and every
    remaining run of SEARCH_LOG_MAX_DIGITS or more digits shortened to its first 3 with the rest hidden."""
    scrubbed = scrub_identifiers(query.strip()) or ""
    return _LONG_NUMBER_RE.sub(lambda m: m.group()[:3] + "*" * (len(m.group()) - 3), scrubbed)[:500]


def _continues(previous: str, query: str) -> bool:
    # Compared with every number (masked or not) as one token: "我的手机138****" continues as "我的手机138****5678".
    before = _NUMBER_SHAPE_RE.sub("#", previous.casefold())
    after = _NUMBER_SHAPE_RE.sub("#", query.casefold())
    return after.startswith(before) or before.startswith(after)


def log_search(session: SearchSession, query: str, result_count: int) -> SearchEvent:
    """Count a search (and a zero-result search when nothing was found); the query is stored scrubbed."""
    query = loggable_query(query)
    now = utcnow()
    last = _last_event(session)
    if (
        last is not None
        and last.kind == "search"
        and last.query is not None
        and now - last.at <= timedelta(seconds=TYPING_MERGE_SECONDS)
        and _continues(last.query, query)
    ):
        # The visitor is still typing the same question: the newer query replaces the older one.
        if (last.result_count == 0) != (result_count == 0):
            session.zero_result_searches += 1 if result_count == 0 else -1
        last.query, last.result_count, last.at = query, result_count, now
        event = last
    else:
        event = SearchEvent(session_id=session.id, at=now, kind="search", query=query, result_count=result_count)
        db.session.add(event)
        session.searches += 1
        if result_count == 0:
            session.zero_result_searches += 1
    session.last_seen_at = now
    db.session.flush()
    return event


def log_click(session: SearchSession, article: Article) -> SearchEvent:
    """The visitor opened a search result."""
    if not article.is_public:
        raise NotFound(f"No article {article.id}.")
    now = utcnow()
    event = SearchEvent(session_id=session.id, at=now, kind="click", article_id=article.id)
    db.session.add(event)
    session.clicks += 1
    session.last_seen_at = now
    db.session.flush()
    return event


def _increment(article: Article, **deltas: int) -> None:
    # One UPDATE adding to the stored value: two visitors at once must not both write "n + 1".
    values: dict[str, Any] = {name: getattr(Article, name) + delta for name, delta in deltas.items()}
    # A view or a rating is not an edit: keep the article's "last changed" time.
    values["updated_at"] = Article.updated_at
    db.session.execute(
        sa.update(Article).where(Article.id == article.id).values(**values),
        execution_options={"synchronize_session": False},
    )
    db.session.expire(article, list(deltas))


def record_view(article: Article, session: SearchSession | None = None) -> None:
    """Count a view of the article page; with the visitor's session, also as an event for the self-service figures
    (kb.insights: views per article, and whether the visitor still asked for help afterwards)."""
    _increment(article, view_count=1)
    if session is not None:
        now = utcnow()
        db.session.add(SearchEvent(session_id=session.id, at=now, kind="view", article_id=article.id))
        session.last_seen_at = now
        db.session.flush()


# -- feedback ---------------------------------------------------------------------------------------------------------


def add_feedback(
    article: Article,
    helpful: bool,
    comment: str | None = None,
    session_id: str | None = None,
    *,
    reason: FeedbackReason | None = None,
) -> ArticleFeedback:
    """'Was this helpful?' on a public article, with why not (a reason) and a comment.

    A session answers once per article: answering again replaces its answer, reason and comment (a visitor who
    changes "no, outdated" into "yes" no longer says it is outdated), and moves the tally instead of adding to it.
    """
    if not article.is_public:
        raise NotFound(f"No article {article.id}.")
    if helpful and reason is not None:
        raise ValidationError({"reason": [_l('Only a "not helpful" answer has a reason.')]})
    comment = (comment or "").strip() or None
    session = get_session(session_id)
    now = utcnow()
    feedback = None
    if session is not None:
        feedback = db.session.scalar(
            sa.select(ArticleFeedback).where(
                ArticleFeedback.article_id == article.id, ArticleFeedback.session_id == session.id
            )
        )
    if feedback is None:
        feedback = ArticleFeedback(
            article_id=article.id,
            helpful=helpful,
            session_id=session.id if session else None,
            created_at=now,
        )
        db.session.add(feedback)
        _increment(article, **{_tally(helpful): 1})
    elif feedback.helpful != helpful:
        _increment(article, **{_tally(feedback.helpful): -1, _tally(helpful): 1})
        feedback.helpful = helpful
    feedback.reason, feedback.comment, feedback.updated_at = reason, comment, now
    if session is not None:
        session.last_seen_at = now
        db.session.add(SearchEvent(session_id=session.id, at=now, kind="feedback", article_id=article.id))
    db.session.flush()
    return feedback


def session_feedback(article: Article, session_id: str | None) -> ArticleFeedback | None:
    """The visitor's current answer on an article, to show it (and let them change it) instead of asking again."""
    if not session_id:
        return None
    return db.session.scalar(
        sa.select(ArticleFeedback).where(
            ArticleFeedback.article_id == article.id, ArticleFeedback.session_id == session_id
        )
    )


def _tally(helpful: bool) -> str:
    return "helpful_yes" if helpful else "helpful_no"


# -- contact requests ("still need help?") -----------------------------------------------------------------------------


def contact_agent() -> User:
    """Who takes contact requests: SELF_SERVICE_AGENT if it names an active agent, else the least busy agent."""
    reference = current_app.config.get("SELF_SERVICE_AGENT") if has_app_context() else None
    if reference:
        agent = find_agent(str(reference))
        if agent is not None and agent.active and can_create_records(agent):
            return agent
        # A customer's request must not be lost to a configuration slip; the least busy agent takes it.
        log.error(
            "SELF_SERVICE_AGENT=%r is not an active agent, supervisor or administrator; "
            "contact requests go to the least busy agent instead.",
            reference,
        )
    open_records = (
        sa.select(sa.func.count(Record.id))
        .where(Record.agent_id == User.id, Record.status == Status.OPEN)
        .correlate(User)
        .scalar_subquery()
    )
    agent = db.session.scalar(
        sa.select(User).where(User.role == Role.AGENT, User.active.is_(True)).order_by(open_records, User.id).limit(1)
    )
    if agent is None:
        raise NoAgentAvailable(
            "No active agent can take self-service contact requests: create an agent at /admin/users "
            "(or `consultkb users create --role agent`) or set CONSULTKB_SELF_SERVICE_AGENT."
        )
    return agent


def create_contact_request(data: dict[str, Any], session_id: str | None = None) -> Record:
    """A new open web-channel record from data loaded by ContactRequestSchema, carrying the visitor's session."""
    agent = contact_agent()
    session = get_or_start_session(session_id)
    now = utcnow()
    record = create_record(
        {
            "source": SOURCE,
            "channel": Channel.WEB,
            "contacted_at": now.replace(second=0, microsecond=0),
            "status": Status.OPEN,
            "problem_description": data["description"].strip(),
            "customer": {"name": data["name"].strip(), "phone": data.get("phone"), "email": data.get("email")},
            "key_details": session_summary(session),
        },
        by=agent,
        # Nobody verified that the visitor owns the phone or e-mail: never join (or show) a known customer's history.
        unverified_customer=True,
    )
    session.record_id = record.id
    session.last_seen_at = now
    db.session.add(SearchEvent(session_id=session.id, at=now, kind="contact"))
    audit.log(ACTOR, "record.contact_request", record, session=session.id, agent=agent.username)
    # The visitor gets a status link at once (shown on the confirmation, mailed to the address they gave).
    create_link(record, by=ACTOR)
    db.session.flush()
    return record


def session_queries(session: SearchSession) -> list[str]:
    """What the visitor searched in this session, oldest first, without repeats."""
    queries = db.session.scalars(
        sa.select(SearchEvent.query)
        .where(SearchEvent.session_id == session.id, SearchEvent.kind == "search")
        .order_by(SearchEvent.id)
    )
    return list(dict.fromkeys(query for query in queries if query))


def session_summary(session: SearchSession) -> str:
    """What the visitor tried before asking, for the agent who takes the request (the record's 关键细节)."""
    events = list(
        db.session.scalars(sa.select(SearchEvent).where(SearchEvent.session_id == session.id).order_by(SearchEvent.id))
    )
    titles = _public_titles({event.article_id for event in events if event.article_id})
    searches = [
        f"- “{event.query}”：{f'{event.result_count} 条结果' if event.result_count else '无结果'}"
        for event in events
        if event.kind == "search"
    ]
    opened = list(
        dict.fromkeys(
            f"- #{event.article_id} {titles.get(event.article_id, '（已下线的文章）')}"
            for event in events
            if event.kind == "click" and event.article_id
        )
    )
    ratings = _session_ratings(session)
    lines = [f"自助服务会话 {session.id}（{format_local(session.started_at)} 开始）"]
    lines += ["搜索：", *searches] if searches else ["搜索：无"]
    lines += ["查看的文章：", *opened] if opened else ["查看的文章：无"]
    if ratings:
        lines += ["文章反馈：", *ratings]
    return "\n".join(lines)


def _session_ratings(session: SearchSession) -> list[str]:
    rows = db.session.scalars(
        sa.select(ArticleFeedback).where(ArticleFeedback.session_id == session.id).order_by(ArticleFeedback.id)
    ).all()
    titles = _public_titles({row.article_id for row in rows})
    return [
        f"- #{row.article_id} {titles.get(row.article_id, '')}：{'有帮助' if row.helpful else '没有帮助'}"
        + (f"，{row.reason.zh}" if row.reason else "")
        + (f"（{row.comment}）" if row.comment else "")
        for row in rows
    ]


def _public_titles(article_ids: set[int]) -> dict[int, str]:
    """The titles customers saw (the live versions'), not newer drafts."""
    if not article_ids:
        return {}
    rows = db.session.execute(
        sa.select(Article.id, ArticleVersion.title, ArticleVersion.language)
        .join(ArticleVersion, ArticleVersion.id == Article.live_version_id)
        .where(Article.id.in_(article_ids))
    ).all()
    return {article_id: public_text(title, chinese=language == Language.ZH) for article_id, title, language in rows}


# -- browsing ---------------------------------------------------------------------------------------------------------


def category_code(value: str | None) -> str | None:
    """A category or subcategory filter as its code; labels (zh or en) are accepted too."""
    if not value or not value.strip():
        return None
    text = value.strip()
    for top in taxonomy().categories:
        if top.matches(text):
            return top.code
        for sub in top.children:
            if sub.matches(text):
                return sub.code
    raise ValidationError({"category": [f"Unknown category {text!r}."]})


def _public_live_versions() -> sa.Select:
    return (
        sa.select(Article, ArticleVersion)
        .join(ArticleVersion, ArticleVersion.id == Article.live_version_id)
        .where(Article.status != ArticleStatus.ARCHIVED)
    )


def public_category_counts() -> dict[str, int]:
    """Public articles per category and per subcategory code (a subcategory's articles count for its parent too)."""
    counts: dict[str, int] = {}
    rows = db.session.execute(
        sa.select(ArticleVersion.category, ArticleVersion.subcategory, sa.func.count())
        .join(Article, Article.live_version_id == ArticleVersion.id)
        .where(Article.status != ArticleStatus.ARCHIVED, ArticleVersion.category.is_not(None))
        .group_by(ArticleVersion.category, ArticleVersion.subcategory)
    ).all()
    for category, subcategory, number in rows:
        counts[category] = counts.get(category, 0) + number
        if subcategory:
            counts[subcategory] = counts.get(subcategory, 0) + number
    return counts


def public_articles_in(code: str) -> list[tuple[Article, PublicVersion]]:
    """Public articles of a category or subcategory, most viewed first, as customers read them."""
    rows = db.session.execute(
        _public_live_versions()
        .where(sa.or_(ArticleVersion.category == code, ArticleVersion.subcategory == code))
        .order_by(Article.view_count.desc(), ArticleVersion.title)
    ).all()
    return [(article, PublicVersion(version)) for article, version in rows]


def related_articles(
    article: Article, version: ArticleVersion | PublicVersion, limit: int = RELATED_LIMIT
) -> list[SearchHit]:
    """Other public articles about the same question: by meaning and category (kb.related)."""
    return related_by_meaning(article, version, limit)


# -- deflection -------------------------------------------------------------------------------------------------------


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def deflection_summary(start: datetime, end: datetime) -> dict[str, Any]:
    """Search and feedback counts for [start, end) in naive UTC; ratios are None when nothing was there to divide.

    Searches, clicks and feedback count by when they happened; sessions by when they started. The defined
    self-service figures (click-through, deflection, the self-service score ...) are kb.insights', which builds on
    these counts. A session that ended without a contact request is not a solved one, so no "deflection" here.
    """
    in_range = sa.and_(SearchEvent.at >= start, SearchEvent.at < end)
    searches, zero_results, clicks = db.session.execute(
        sa.select(
            sa.func.count().filter(SearchEvent.kind == "search"),
            sa.func.count().filter(SearchEvent.kind == "search", SearchEvent.result_count == 0),
            sa.func.count().filter(SearchEvent.kind == "click"),
        ).where(in_range)
    ).one()
    normalised = sa.func.lower(sa.func.trim(SearchEvent.query))
    top_zero = db.session.execute(
        sa.select(normalised, sa.func.count())
        .where(in_range, SearchEvent.kind == "search", SearchEvent.result_count == 0)
        .group_by(normalised)
        .order_by(sa.func.count().desc(), normalised)
        .limit(TOP_ZERO_RESULT_QUERIES)
    ).all()
    helpful_yes, helpful_no = db.session.execute(
        sa.select(
            sa.func.count().filter(ArticleFeedback.helpful.is_(True)),
            sa.func.count().filter(ArticleFeedback.helpful.is_(False)),
        ).where(ArticleFeedback.created_at >= start, ArticleFeedback.created_at < end)
    ).one()
    sessions, with_contact, searched = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(SearchSession.record_id.is_not(None)),
            sa.func.count().filter(SearchSession.searches > 0),
        ).where(SearchSession.started_at >= start, SearchSession.started_at < end)
    ).one()
    return {
        "start": start,
        "end": end,
        "searches": searches,
        "zero_result_searches": zero_results,
        "zero_result_rate": _ratio(zero_results, searches),
        # Stored scrubbed since logs are; scrubbed again for what an older version logged before retention ends it.
        "top_zero_result_queries": [
            {"query": loggable_query(query or ""), "count": number} for query, number in top_zero
        ],
        "clicks": clicks,
        "helpful_yes": helpful_yes,
        "helpful_no": helpful_no,
        "helpful_ratio": _ratio(helpful_yes, helpful_yes + helpful_no),
        "sessions": sessions,
        "sessions_with_contact": with_contact,
        "sessions_without_contact": sessions - with_contact,
        "sessions_with_search": searched,
    }


# -- retention --------------------------------------------------------------------------------------------------------


def search_log_retention_days() -> int:
    if has_app_context():
        return int(current_app.config.get("SEARCH_LOG_RETENTION_DAYS", SEARCH_LOG_RETENTION_DAYS))
    return SEARCH_LOG_RETENTION_DAYS


def expire_search_logs(now: datetime, *, dry_run: bool = False, days: int | None = None) -> int:
    """Delete the search sessions that started more than `days` (SEARCH_LOG_RETENTION_DAYS) before now, with their
    events; returns how many sessions. Feedback given in them stays, without its session. Flushes, never commits."""
    cutoff = now - timedelta(days=search_log_retention_days() if days is None else days)
    old_sessions = sa.select(SearchSession.id).where(SearchSession.started_at < cutoff)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(old_sessions.subquery())) or 0
    if dry_run:
        return count
    db.session.execute(sa.delete(SearchEvent).where(SearchEvent.session_id.in_(old_sessions)))
    db.session.execute(sa.delete(SearchEvent).where(SearchEvent.session_id.is_(None), SearchEvent.at < cutoff))
    db.session.execute(
        sa.update(ArticleFeedback).where(ArticleFeedback.session_id.in_(old_sessions)).values(session_id=None)
    )
    db.session.execute(sa.delete(SearchSession).where(SearchSession.started_at < cutoff))
    db.session.flush()
    return count
