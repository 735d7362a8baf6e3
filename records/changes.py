"""Which local contact days changed: a version per day, for figures kept per day (jobs.reports.days).

A day's figures depend on its records, their follow-ups, scores and grades, the staff's responses in the audit log,
and, through repeat contacts (first-contact resolution), on the same customer's contacts up to REPEAT_CONTACT_DAYS
later. Every write that can change them bumps the version of the days concerned in the writer's transaction, so
figures stored with an older version are known to be out of date the moment the write commits.

The days are collected as the session flushes (ORM writes of tracked classes) or from `touch` (code writing with bulk
SQL), and bumped when the session commits, in one statement in day order: a day's row is locked only while its
writer commits, and two writers never wait for each other's days in opposite orders (no deadlock).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from records.db import conflict_insert, db
from records.models import AuditLog, FollowUp, Record
from records.sla import RESPOND_ACTIONS, sla_rules
from records.timeutil import local_day_start, to_local

#: A contact counts as a repeat of an earlier one about the same category within this many days.
REPEAT_CONTACT_DAYS = 7
#: session.info key: the days the session's transaction changed, bumped when it commits.
_CHANGED_DAYS = "records.changes.changed_days"


class ContactDayVersion(db.Model):
    """How often the figures of one local contact day have changed."""

    __tablename__ = "contact_day_versions"

    day: Mapped[date] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


def longest_deadline() -> timedelta:
    """The longest SLA deadline: until it has passed, a day's breaches change with the time alone."""
    limits = [hours for rule in sla_rules().values() for hours in (rule.respond_hours, rule.resolve_hours)]
    return timedelta(hours=max((limit for limit in limits if limit is not None), default=0))


def ended_before(now: datetime) -> date:
    """The first local day not over at `now` (naive UTC): today."""
    return to_local(now).date()


def settled_before(now: datetime) -> date:
    """The first local day whose deadlines have not all passed at `now`: every day before it is settled."""
    passed = now - longest_deadline()
    day = to_local(passed).date()
    # `day` itself is settled only once it has ended.
    return day if local_day_start(day + timedelta(days=1)) > passed else day + timedelta(days=1)


def days_affected(moments: Iterable[datetime | None]) -> set[date]:
    """The local days whose figures a change to records contacted at `moments` can alter: their own day and, as
    they may be the repeat of an earlier contact, the REPEAT_CONTACT_DAYS before it."""
    days = set()
    for moment in moments:
        if moment is not None:
            day = to_local(moment).date()
            days.update(day - timedelta(days=back) for back in range(REPEAT_CONTACT_DAYS + 1))
    return days


def touch(session: Session, moments: Iterable[datetime | None]) -> None:
    """Note a change to records contacted at `moments`: their days' versions are bumped when the session commits."""
    days = days_affected(moments)
    if days:
        session.connection()  # in a transaction, whose end (commit or rollback) settles what becomes of them
        session.info.setdefault(_CHANGED_DAYS, set()).update(days)


def _bump(session: Session, days: set[date]) -> None:
    table = ContactDayVersion.__table__
    insert = conflict_insert(session.get_bind().dialect.name)
    statement = insert(table).values([{"day": day, "version": 1} for day in sorted(days)])
    statement = statement.on_conflict_do_update(index_elements=[table.c.day], set_={"version": table.c.version + 1})
    # The connection, not the session: nothing for the session to flush.
    session.connection().execute(statement)


#: Mapped classes belonging to a record (by their record_id) whose writes change its day's figures.
_TRACKED: set[type] = {FollowUp}


def track(cls: type) -> None:
    """Make ORM writes of `cls` (a class with a record_id, e.g. a record's score) bump the record's days."""
    _TRACKED.add(cls)


def _known(item: object, name: str) -> object:
    """An attribute as the session holds it, without loading it: a deleted object's row may already be gone."""
    return sa.inspect(item).dict.get(name)


def _contact_times(session: Session) -> list[datetime | None]:
    moments: list[datetime | None] = []
    record_ids: set[int] = set()
    numbers: set[str] = set()
    for item in (*session.new, *session.dirty, *session.deleted):
        deleted = item in session.deleted
        if isinstance(item, Record):
            moments.append(_known(item, "contacted_at") if deleted else item.contacted_at)
            history = sa.inspect(item).attrs.contacted_at.history
            moments.extend(history.deleted or ())
        elif isinstance(item, AuditLog):
            # The staff's first response (records.sla) is read from the audit log.
            if item.object_type == "record" and item.object_id and item.user_id and item.action in RESPOND_ACTIONS:
                numbers.add(item.object_id)
        elif isinstance(item, tuple(_TRACKED)):
            # A deleted follow-up, score or grade whose record id was never loaded left with its record's
            # collection, which makes the record itself dirty.
            found = _known(item, "record_id") if deleted else item.record_id
            if found is not None:
                record_ids.add(found)
    if record_ids or numbers:
        query = sa.select(Record.contacted_at).where(
            sa.or_(Record.id.in_(sorted(record_ids)), Record.number.in_(sorted(numbers)))
        )
        moments.extend(session.connection().scalars(query))
    return moments


def _note_deleted_records(session: Session, _flush_context, _instances) -> None:
    # Read before the flush deletes their rows.
    touch(session, [item.contacted_at for item in session.deleted if isinstance(item, Record)])


def _note_flushed_changes(session: Session, _flush_context) -> None:
    if session.new or session.dirty or session.deleted:
        touch(session, _contact_times(session))


def _bump_changed_days(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: its days are bumped with its transaction's
    if session.new or session.dirty or session.deleted:
        session.flush()  # the last changes first: their days too
    days = session.info.pop(_CHANGED_DAYS, None)
    if days:
        _bump(session, days)


def _forget_changed_days(session: Session, transaction) -> None:
    # A committed transaction's days were bumped in before_commit; a rolled-back one changed nothing. A savepoint
    # ending leaves its transaction's days alone.
    if transaction.parent is None:
        session.info.pop(_CHANGED_DAYS, None)


def init_app(app: Flask) -> None:
    """Writes bump their contact days' versions: listen once per process on every session (web.register_extensions
    states the order of the session listeners)."""
    for name, handler in (
        ("before_flush", _note_deleted_records),
        ("after_flush", _note_flushed_changes),
        ("before_commit", _bump_changed_days),
        ("after_transaction_end", _forget_changed_days),
    ):
        if not event.contains(Session, name, handler):
            event.listen(Session, name, handler)
