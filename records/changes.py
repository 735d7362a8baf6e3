"""Which local contact days changed: a version per day, for figures kept per day (jobs.report_days).

A day's figures depend on its records, their follow-ups, scores and grades, the staff's responses in the audit log,
and, through repeat contacts (first-contact resolution), on the same customer's contacts up to REPEAT_CONTACT_DAYS
later. Every write that can change them bumps the version of the days concerned, in the writer's transaction, so
figures stored with an older version are known to be out of date the moment the write commits.

Only settled days are versioned: a day whose repeat-contact period and SLA deadlines have all passed
(settled_before). Figures of younger days are always computed afresh, so the writes of the day — nearly all of
them — lock nothing shared. The ORM writes of tracked classes bump versions by themselves (after every flush); code
writing them with bulk SQL calls `touch` with the contact times of the records concerned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from records.db import conflict_insert, db
from records.models import AuditLog, FollowUp, Record
from records.sla import RESPOND_ACTIONS, sla_rules
from records.timeutil import local_day_start, to_local, utcnow

#: A contact counts as a repeat of an earlier one about the same category within this many days.
REPEAT_CONTACT_DAYS = 7
#: Writes this close to a day settling bump it anyway: a transaction writing while the day settles commits before
#: anything computes the settled day's figures.
SETTLING_MARGIN = timedelta(hours=1)


class ContactDayVersion(db.Model):
    """How often the figures of one local contact day have changed since it settled."""

    __tablename__ = "contact_day_versions"

    day: Mapped[date] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


def settling_time() -> timedelta:
    """How long after its end a day's figures can still change without a write about its records: repeat contacts,
    and deadlines that pass (an open record becomes a breach)."""
    limits = [hours for rule in sla_rules().values() for hours in (rule.respond_hours, rule.resolve_hours)]
    hours = [limit for limit in limits if limit is not None]
    return max(timedelta(days=REPEAT_CONTACT_DAYS), timedelta(hours=max(hours, default=0)))


def settled_before(now: datetime) -> date:
    """The first local day not settled at `now` (naive UTC): every day before it is."""
    day = to_local(now - settling_time()).date()
    # `day` itself is settled only once it has ended.
    return day if local_day_start(day + timedelta(days=1)) > now - settling_time() else day + timedelta(days=1)


def days_affected(moments: Iterable[datetime | None]) -> set[date]:
    """The local days whose figures a change to records contacted at `moments` can alter: their own day and, as
    they may be the repeat of an earlier contact, the REPEAT_CONTACT_DAYS before it."""
    days = set()
    for moment in moments:
        if moment is not None:
            day = to_local(moment).date()
            days.update(day - timedelta(days=back) for back in range(REPEAT_CONTACT_DAYS + 1))
    return days


def touch(session: Session, moments: Iterable[datetime | None], *, now: datetime | None = None) -> None:
    """Bump the version of the settled days that a change to records contacted at `moments` affects."""
    limit = settled_before((now or utcnow()) + SETTLING_MARGIN)
    days = sorted(day for day in days_affected(moments) if day < limit)
    if not days:
        return
    table = ContactDayVersion.__table__
    insert = conflict_insert(session.get_bind().dialect.name)
    # In day order, so two writers bumping overlapping days lock them in the same order (no deadlock).
    statement = insert(table).values([{"day": day, "version": 1} for day in days])
    statement = statement.on_conflict_do_update(index_elements=[table.c.day], set_={"version": table.c.version + 1})
    # The connection, not the session: this also runs while the session flushes.
    session.connection().execute(statement)


#: Mapped classes whose writes change a day's figures, with how to find the ids of the records they belong to.
_TRACKED: dict[type, Callable[[object], int | None]] = {
    FollowUp: lambda item: item.record_id,
}


def track(cls: type, record_id: Callable[[object], int | None]) -> None:
    """Make ORM writes of `cls` (a class belonging to a record, e.g. its score) bump the record's days."""
    _TRACKED[cls] = record_id


def _known(item: object, name: str) -> object:
    """An attribute as the session holds it, without loading it: a deleted object's row may already be gone."""
    return sa.inspect(item).dict.get(name)


def _contact_times(session: Session) -> list[datetime | None]:
    moments: list[datetime | None] = list(session.info.pop(_DELETED_CONTACTS, ()))
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
        else:
            for cls, record_id in _TRACKED.items():
                if isinstance(item, cls):
                    # A deleted follow-up, score or grade whose record id was never loaded left with its record's
                    # collection, which makes the record itself dirty.
                    found = _known(item, "record_id") if deleted else record_id(item)
                    if found is not None:
                        record_ids.add(found)
    if record_ids or numbers:
        query = sa.select(Record.contacted_at).where(
            sa.or_(Record.id.in_(sorted(record_ids)), Record.number.in_(sorted(numbers)))
        )
        moments.extend(session.connection().scalars(query))
    return moments


#: session.info key: contact times of records deleted by the flush under way, read before their rows go.
_DELETED_CONTACTS = "records.changes.deleted_contacts"


@event.listens_for(Session, "before_flush")
def _remember_deleted_contacts(session: Session, _flush_context, _instances) -> None:
    deleted = [item.contacted_at for item in session.deleted if isinstance(item, Record)]
    if deleted:
        session.info.setdefault(_DELETED_CONTACTS, []).extend(deleted)


@event.listens_for(Session, "after_flush")
def _bump_changed_days(session: Session, _flush_context) -> None:
    if not (session.new or session.dirty or session.deleted or session.info.get(_DELETED_CONTACTS)):
        return
    moments = _contact_times(session)
    if moments:
        touch(session, moments)
