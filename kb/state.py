"""The token that says what customers can find has changed.

It is a random value, not a counter: tests and restores reset the database, and an index must never mistake a new
state for the one it already holds because a counter happened to reach the same number again.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kb.models import SearchGeneration
from records.db import db

_ROW_ID = 1
#: Set on the session when a change committed; the web layer and the CLI sync the index after the commit.
PENDING_KEY = "kb_search_changed"


def search_changed() -> None:
    """Within the current transaction: the searchable set changed. Index updates follow the commit."""
    token = uuid.uuid4().hex
    updated = db.session.execute(
        sa.update(SearchGeneration).where(SearchGeneration.id == _ROW_ID).values(token=token)
    ).rowcount
    if not updated:
        db.session.add(SearchGeneration(id=_ROW_ID, token=token))
    db.session.info[PENDING_KEY] = True


def current_token(session: Session) -> str:
    return session.scalar(sa.select(SearchGeneration.token).where(SearchGeneration.id == _ROW_ID)) or ""
