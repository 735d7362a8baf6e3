"""The help center's self-service figures, each computed from the stored visitor events with one stated definition.

A visitor is a help-center session (kb.models.SearchSession: the browser keeps its id in the session cookie until a
contact request ends the visit). Its events (kb.models.SearchEvent) are searches, result clicks, article views,
"was this helpful?" answers and contact requests ("still need help?"). Every ratio comes with the counts behind it
({"count": 12, "of": 340, "value": 0.0353}) and is None ("no data") when there was nothing to divide.

- sessions: help-center sessions with at least one event in the period.
- customers who contacted us: distinct customers of the records whose contact time is in the period, whatever the
  channel (phone, chat, e-mail, in person, social media, web) or source (agents' records, imports, and the help
  center's contact requests, which are records on the web channel).
- self-service score (Zendesk's): sessions ÷ customers who contacted us, "4.2 : 1".
- search click-through: searches after which the visitor opened a result (a click in the same session before its
  next search) ÷ searches.
- zero-result rate: searches that found no article ÷ searches.
- contact rate after search: sessions that searched and afterwards sent a contact request ÷ sessions that searched.
- deflection: a session that viewed an article in the period is classed by its first view there: failed when the
  same visitor sent a contact request within N days after it; successful when N days have passed without one;
  potential when fewer than N days have passed and no request has come (yet). The rate is successful ÷ (successful
  + failed): sessions still in their window are left out, never counted as a success.
- helpful ratio: "yes" answers ÷ all answers given in the period (a changed answer counts as its latest value).
- per article: views (article pages shown in the period), helpful ratio, contacts after a view (viewing sessions that
  sent a contact request within N days after viewing it ÷ sessions that viewed it).
- review lists (after Zendesk's Content Cues): among the most viewed articles, those with a low helpful ratio; public
  articles nobody viewed in the last M days (published before then).

Like kb.selfservice these only read; times are naive UTC, days are local days (records.timeutil).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from kb.models import Article, ArticleFeedback, ArticleStatus, ArticleVersion, SearchEvent
from kb.selfservice import deflection_summary
from records.db import db
from records.models import Record
from records.timeutil import to_local, utcnow

#: N: a contact request within this many days after an article view makes the view's deflection failed; without one
#: it is successful once the days have passed. A week covers a visitor who reads, tries and comes back; the
#: insights page takes another value (?window=), CONSULTKB_SELF_SERVICE_DEFLECTION_DAYS changes the default.
DEFLECTION_DAYS = 7
#: M: public articles with no view for this many days are listed for review (?unviewed=, or
#: CONSULTKB_SELF_SERVICE_UNVIEWED_DAYS). A month is long enough for a seasonal question to have come up once.
UNVIEWED_DAYS = 30
#: Articles ranked for "most viewed with a low helpful ratio", and what counts as low (Content Cues flags articles
#: most visitors did not find helpful), from at least this many answers (two answers say nothing yet).
REVIEW_TOP_VIEWED = 20
LOW_HELPFUL_RATIO = 0.5
REVIEW_MIN_ANSWERS = 3
#: Articles listed in the per-article table and in the unviewed list.
ARTICLE_ROWS = 50
#: The longest window a visitor's contact can count for (and the largest ?window= the page takes).
MAX_WINDOW_DAYS = 90

VIEW = "view"
CONTACT = "contact"


def ratio(count: int, of: int) -> dict[str, Any]:
    """A share with its counts; value None when `of` is 0 ("no data", never 0 % or 100 % of nothing)."""
    return {"count": count, "of": of, "value": round(count / of, 4) if of else None}


def self_service_figures(
    start: datetime,
    end: datetime,
    *,
    window_days: int = DEFLECTION_DAYS,
    unviewed_days: int = UNVIEWED_DAYS,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Every figure of the module docstring for [start, end) (naive UTC); `now` decides which deflection windows
    are still open. Search counts, zero-result queries and the helpful tally come from
    kb.selfservice.deflection_summary, so both count a search the same way."""
    now = now or utcnow()
    window = timedelta(days=window_days)
    base = deflection_summary(start, end)
    in_period = sa.and_(SearchEvent.at >= start, SearchEvent.at < end)

    sessions = int(
        db.session.scalar(
            sa.select(sa.func.count(sa.distinct(SearchEvent.session_id))).where(
                in_period, SearchEvent.session_id.is_not(None)
            )
        )
        or 0
    )
    customers = int(
        db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Record.customer_id))).where(
                Record.contacted_at >= start, Record.contacted_at < end
            )
        )
        or 0
    )
    deflection, days = _deflection(start, end, window, now)
    articles = _articles(start, end, window)
    return {
        "start": start,
        "end": end,
        "window_days": window_days,
        "unviewed_days": unviewed_days,
        "sessions": sessions,
        "customers_contacted": customers,
        "self_service_score": {
            "sessions": sessions,
            "customers": customers,
            "value": round(sessions / customers, 2) if customers else None,
        },
        "searches": base["searches"],
        "zero_result": ratio(base["zero_result_searches"], base["searches"]),
        "top_zero_result_queries": base["top_zero_result_queries"],
        "click_through": ratio(_searches_clicked(start, end), base["searches"]),
        "contact_after_search": ratio(*_contacts_after_search(start, end)),
        "helpful": ratio(base["helpful_yes"], base["helpful_yes"] + base["helpful_no"]),
        "deflection": deflection,
        "days": days,
        "articles": articles[:ARTICLE_ROWS],
        "low_helpful": _low_helpful(articles),
        "unviewed": _unviewed(end, unviewed_days),
    }


def _searches_clicked(start: datetime, end: datetime) -> int:
    """Searches in [start, end) followed by a click in their session before the session's next search."""
    searches = (
        sa.select(
            SearchEvent.id,
            SearchEvent.session_id,
            SearchEvent.at,
            sa.func.lead(SearchEvent.id)
            .over(partition_by=SearchEvent.session_id, order_by=SearchEvent.id)
            .label("next_id"),
        )
        .where(SearchEvent.kind == "search", SearchEvent.at >= start, SearchEvent.session_id.is_not(None))
        .subquery()
    )
    click = sa.orm.aliased(SearchEvent)
    clicked = (
        sa.select(click.id)
        .where(
            click.session_id == searches.c.session_id,
            click.kind == "click",
            click.id > searches.c.id,
            sa.or_(searches.c.next_id.is_(None), click.id < searches.c.next_id),
        )
        .exists()
    )
    return int(
        db.session.scalar(sa.select(sa.func.count()).select_from(searches).where(searches.c.at < end, clicked)) or 0
    )


def _contacts_after_search(start: datetime, end: datetime) -> tuple[int, int]:
    """(sessions that searched in the period and sent a contact request after their first search there, sessions
    that searched in the period)."""
    first = (
        sa.select(SearchEvent.session_id, sa.func.min(SearchEvent.at).label("first_at"))
        .where(
            SearchEvent.kind == "search",
            SearchEvent.at >= start,
            SearchEvent.at < end,
            SearchEvent.session_id.is_not(None),
        )
        .group_by(SearchEvent.session_id)
        .subquery()
    )
    contact = sa.orm.aliased(SearchEvent)
    asked = (
        sa.select(contact.id)
        .where(contact.session_id == first.c.session_id, contact.kind == CONTACT, contact.at >= first.c.first_at)
        .exists()
    )
    searched, contacted = db.session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(asked)).select_from(first)
    ).one()
    return int(contacted), int(searched)


def _contact_times(session_ids: set[str]) -> dict[str, list[datetime]]:
    """Each session's contact-request times, oldest first."""
    found: dict[str, list[datetime]] = defaultdict(list)
    ids = sorted(session_ids)
    for offset in range(0, len(ids), 500):  # bounded IN lists
        rows = db.session.execute(
            sa.select(SearchEvent.session_id, SearchEvent.at)
            .where(SearchEvent.kind == CONTACT, SearchEvent.session_id.in_(ids[offset : offset + 500]))
            .order_by(SearchEvent.at)
        )
        for session_id, at in rows:
            found[session_id].append(at)
    return found


def _contact_within(contacts: list[datetime], viewed_at: datetime, window: timedelta) -> bool:
    return any(viewed_at <= at <= viewed_at + window for at in contacts)


def classify(viewed_at: datetime, contacts: list[datetime], window: timedelta, now: datetime) -> str:
    """failed, successful or potential: the deflection of one session by its first view (module docstring)."""
    if _contact_within(contacts, viewed_at, window):
        return "failed"
    return "successful" if viewed_at + window <= now else "potential"


def _deflection(
    start: datetime, end: datetime, window: timedelta, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    first_views = dict(
        db.session.execute(
            sa.select(SearchEvent.session_id, sa.func.min(SearchEvent.at))
            .where(SearchEvent.kind == VIEW, SearchEvent.at >= start, SearchEvent.at < end)
            .where(SearchEvent.session_id.is_not(None))
            .group_by(SearchEvent.session_id)
        ).all()
    )
    contacts = _contact_times(set(first_views))
    counts = {"successful": 0, "failed": 0, "potential": 0}
    by_day: dict[date, dict[str, int]] = {}
    for session_id, viewed_at in first_views.items():
        kind = classify(viewed_at, contacts.get(session_id, []), window, now)
        counts[kind] += 1
        day = to_local(viewed_at).date()
        by_day.setdefault(day, {"successful": 0, "failed": 0, "potential": 0})[kind] += 1
    days = []
    day, last = to_local(start).date(), to_local(end - timedelta(microseconds=1)).date()
    while day <= last:
        days.append({"day": day, **by_day.get(day, {"successful": 0, "failed": 0, "potential": 0})})
        day += timedelta(days=1)
    decided = counts["successful"] + counts["failed"]
    return (
        {
            **counts,
            "viewing_sessions": len(first_views),
            "rate": ratio(counts["successful"], decided),
        },
        days,
    )


def _titles(article_ids: set[int]) -> dict[int, tuple[str, bool]]:
    """Each article's live (public) title, else its working title, and whether customers can read it now (an
    article archived since cannot be)."""
    if not article_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            Article.id,
            sa.func.coalesce(ArticleVersion.title, Article.title),
            Article.live_version_id.is_not(None) & (Article.status != ArticleStatus.ARCHIVED),
        )
        .outerjoin(ArticleVersion, ArticleVersion.id == Article.live_version_id)
        .where(Article.id.in_(article_ids))
    ).all()
    return {article_id: (title, bool(public)) for article_id, title, public in rows}


def _articles(start: datetime, end: datetime, window: timedelta) -> list[dict[str, Any]]:
    """Articles viewed or rated in the period, most viewed first."""
    views: dict[int, int] = dict(
        db.session.execute(
            sa.select(SearchEvent.article_id, sa.func.count())
            .where(SearchEvent.kind == VIEW, SearchEvent.at >= start, SearchEvent.at < end)
            .where(SearchEvent.article_id.is_not(None))
            .group_by(SearchEvent.article_id)
        ).all()
    )
    answers = {
        article_id: (int(yes), int(no))
        for article_id, yes, no in db.session.execute(
            sa.select(
                ArticleFeedback.article_id,
                sa.func.count().filter(ArticleFeedback.helpful.is_(True)),
                sa.func.count().filter(ArticleFeedback.helpful.is_(False)),
            )
            .where(ArticleFeedback.created_at >= start, ArticleFeedback.created_at < end)
            .group_by(ArticleFeedback.article_id)
        )
    }
    # Each (article, session): its first view in the period; did that session ask for help within the window?
    first_views = db.session.execute(
        sa.select(SearchEvent.article_id, SearchEvent.session_id, sa.func.min(SearchEvent.at))
        .where(SearchEvent.kind == VIEW, SearchEvent.at >= start, SearchEvent.at < end)
        .where(SearchEvent.article_id.is_not(None), SearchEvent.session_id.is_not(None))
        .group_by(SearchEvent.article_id, SearchEvent.session_id)
    ).all()
    contacts = _contact_times({session_id for _, session_id, _ in first_views})
    viewers: dict[int, int] = defaultdict(int)
    contacted: dict[int, int] = defaultdict(int)
    for article_id, session_id, viewed_at in first_views:
        viewers[article_id] += 1
        if _contact_within(contacts.get(session_id, []), viewed_at, window):
            contacted[article_id] += 1
    ids = set(views) | set(answers)
    titles = _titles(ids)
    rows = [
        {
            "id": article_id,
            "title": titles.get(article_id, (f"#{article_id}", False))[0],
            "public": titles.get(article_id, ("", False))[1],
            "views": views.get(article_id, 0),
            "helpful": ratio(answers.get(article_id, (0, 0))[0], sum(answers.get(article_id, (0, 0)))),
            "contacts_after_view": ratio(contacted[article_id], viewers[article_id]),
        }
        for article_id in ids
    ]
    rows.sort(key=lambda row: (-row["views"], -row["helpful"]["of"], row["id"]))
    return rows


def _low_helpful(articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Among the REVIEW_TOP_VIEWED most viewed articles, those whose helpful ratio is under LOW_HELPFUL_RATIO from
    at least REVIEW_MIN_ANSWERS answers, least helpful first."""
    viewed = [row for row in articles if row["views"]][:REVIEW_TOP_VIEWED]
    low = [
        row
        for row in viewed
        if row["helpful"]["of"] >= REVIEW_MIN_ANSWERS and row["helpful"]["value"] < LOW_HELPFUL_RATIO
    ]
    return sorted(low, key=lambda row: (row["helpful"]["value"], -row["views"]))


def _unviewed(end: datetime, days: int) -> list[dict[str, Any]]:
    """Public articles published before `end` − `days` and not viewed since then, longest unviewed first."""
    since = end - timedelta(days=days)
    last_view = (
        sa.select(SearchEvent.article_id, sa.func.max(SearchEvent.at).label("last_at"))
        .where(SearchEvent.kind == VIEW, SearchEvent.article_id.is_not(None), SearchEvent.at < end)
        .group_by(SearchEvent.article_id)
        .subquery()
    )
    published = sa.func.coalesce(Article.published_at, Article.created_at)
    rows = db.session.execute(
        sa.select(Article.id, ArticleVersion.title, published, last_view.c.last_at)
        .join(ArticleVersion, ArticleVersion.id == Article.live_version_id)
        .outerjoin(last_view, last_view.c.article_id == Article.id)
        .where(Article.status != ArticleStatus.ARCHIVED, published < since)
        .where(sa.or_(last_view.c.last_at.is_(None), last_view.c.last_at < since))
        .order_by(sa.func.coalesce(last_view.c.last_at, published), Article.id)
        .limit(ARTICLE_ROWS)
    ).all()
    return [
        {"id": article_id, "title": title, "published_at": published_at, "last_viewed_at": last_at}
        for article_id, title, published_at, last_at in rows
    ]
