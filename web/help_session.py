"""Which self-service search session a visitor is in: kept in the Flask session cookie, shared by the help-center
pages and the public API (instant search calls the API from the page)."""

from __future__ import annotations

import re

from flask import request, session

from kb.models import SearchSession

#: The Flask-session key holding the visitor's search-session id.
SESSION_KEY = "help_session"
#: User agents that announce a crawler. Their article views count in the article's view count but start no visitor
#: session: a crawler sends no cookie, so each of its requests would be a new "visitor" who never asks for help.
CRAWLER = re.compile(r"bot\b|crawl|spider|slurp|facebookexternalhit|bingpreview", re.IGNORECASE)


def is_crawler() -> bool:
    return bool(CRAWLER.search(request.headers.get("User-Agent", "")))


def current_session_id(explicit: str | None = None) -> str | None:
    """The id a client sent (API clients without cookies), else the one in the cookie."""
    return explicit or session.get(SESSION_KEY)


def remember(search_session: SearchSession) -> None:
    session[SESSION_KEY] = search_session.id


def forget() -> None:
    """After a contact request the visit is over; the next search starts a new session."""
    session.pop(SESSION_KEY, None)
