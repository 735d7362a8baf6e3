"""Row versions against lost updates: ETag and If-Match for records and articles.

Two people editing one record at once each saved what they had read, and the later save silently undid the earlier
one (82 of 157 concurrent tag edits were lost). Every record and article now carries `row_version`, raised by every
flush that changes it (a follow-up added or changed, a link, a field), and shows it as an entity tag
(``"r42-7"``, ``"a5-3"``). A writer that sends the tag it read (HTTP ``If-Match``, the edit pages' hidden field) is
refused with `StaleVersion` when the row changed meanwhile; one that sends none writes as before.

The check reads the row's version under a row lock (PostgreSQL ``SELECT … FOR UPDATE``; SQLite write transactions
already run one at a time, records.db), so two writers holding the same tag cannot both pass it: the second waits
for the first to commit and then sees its new version. The locked read also reloads the object, so the write
applies to what is stored, not to what this request loaded before the other writer committed.

Counters that customers' reading changes (an article's views and helpful votes) do not raise the version: a
trainer's edit does not go stale because someone read the article.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from records.db import db


class StaleVersion(Exception):
    """The row changed since the writer read it (If-Match names an older version): HTTP 412."""

    def __init__(self, current_etag: str):
        super().__init__(f"The resource was changed meanwhile; its current ETag is {current_etag}.")
        self.current_etag = current_etag


class RowVersioned:
    """Mixin: a `row_version` raised by every flush that changes the row (see the module docstring)."""

    #: Letter that starts the entity tag, so a record's tag is never mistaken for an article's.
    etag_prefix = "x"
    #: Attributes whose change does not make an earlier read stale.
    unversioned_attributes: frozenset[str] = frozenset()

    row_version: Mapped[int] = mapped_column(default=1, server_default="1")


def versioned_parent(instance: Any) -> RowVersioned | None:
    """The versioned row a dependent row belongs to (a record's follow-up); None for anything else."""
    parent_of = getattr(instance, "versioned_parent", None)
    return parent_of() if callable(parent_of) else None


def etag(instance: RowVersioned) -> str:
    """The strong entity tag of the row's current version: ``"r42-7"``."""
    return f'"{instance.etag_prefix}{instance.id}-{instance.row_version}"'


_TAG_RE = re.compile(r'\s*(?:W/)?("[^"]*"|\*)\s*(?:,|$)')


def parse_if_match(header: str | None) -> list[str] | None:
    """The entity tags of an If-Match header (``*`` included); None when there is none, [] when it is malformed."""
    if header is None or not header.strip():
        return None
    tags, position = [], 0
    while position < len(header):
        match = _TAG_RE.match(header, position)
        if not match:
            return []
        tags.append(match.group(1))
        position = match.end()
    return tags


def lock_current(instance: RowVersioned) -> RowVersioned:
    """Lock the row for this transaction and reload it, so what is checked and changed is what is stored."""
    model = type(instance)
    db.session.execute(
        sa.select(model).where(model.id == instance.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    return instance


def require_version(instance: RowVersioned, expected: list[str] | str | None) -> None:
    """Raise StaleVersion unless `expected` (If-Match tags, or one tag from a form) names the row's current version.

    None (no If-Match, no hidden field) checks nothing: writers that do not ask keep working as before.
    """
    if expected is None:
        return
    tags = [expected] if isinstance(expected, str) else expected
    lock_current(instance)
    current = etag(instance)
    if "*" in tags or current in tags or current.strip('"') in tags:
        return
    raise StaleVersion(current)


def bump(instance: RowVersioned) -> None:
    """Raise the version of a row changed behind the ORM's back (link rows written with INSERT, say)."""
    instance.row_version = (instance.row_version or 0) + 1


def _changed(session: Session, instance: RowVersioned) -> bool:
    state = sa.inspect(instance)
    for attribute in state.mapper.column_attrs:
        if attribute.key in ("row_version", *instance.unversioned_attributes):
            continue
        if state.attrs[attribute.key].history.has_changes():
            return True
    return False


@event.listens_for(Session, "before_flush")
def _raise_row_versions(session: Session, _context: Any, _instances: Any) -> None:
    touched: dict[int, RowVersioned] = {}
    for instance in session.dirty:
        if isinstance(instance, RowVersioned) and _changed(session, instance):
            touched[id(instance)] = instance
    for instance in (*session.new, *session.dirty, *session.deleted):
        parent = versioned_parent(instance)
        if parent is not None and parent not in session.new and parent not in session.deleted:
            touched[id(parent)] = parent
    for instance in touched.values():
        if sa.inspect(instance).persistent and not sa.inspect(instance).attrs.row_version.history.has_changes():
            bump(instance)
