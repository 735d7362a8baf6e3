"""Retention: records past their category's period are archived or deleted.

RETENTION_POLICIES maps top-level categories (codes or labels; "default" for every other record) to
{"years": N, "action": "archive" | "delete"}. A record's age counts from the later of its contact and its resolution:
a case resolved long after the first call keeps its full period from when it ended (an imported record's resolution
time is when it was imported, so imported history is kept at least that long). Exempt are records under legal hold
(a dispute, set by supervisors and administrators) and records whose grade is under open dispute.

Archiving sets `archived_at`: the record stays, read-only, out of default lists and searches, FAQ proposals and bulk
rescoring. Deleting removes it from every store (jobs.erasure).

Help-center search logs (sessions, searches, clicks) are deleted SEARCH_LOG_RETENTION_DAYS after the visit began.

Records are handled RETENTION_BATCH at a time, each batch in one short transaction: a run killed midway leaves every
record either fully handled or untouched, and the next run finishes the job.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from jobs.erasure import RunMemo, erase_records
from kb.selfservice import expire_search_logs
from records import audit
from records.db import db, read_session
from records.models import Record, User
from records.operations import taxonomy
from records.timeutil import utcnow
from scoring.models import Dispute, DisputeStatus, Grade

ACTIONS = ("archive", "delete")
#: What applies when RETENTION_POLICIES says nothing: the guides' general minimum of two years, then archive
#: (reversible by an administrator in the database, unlike deletion).
DEFAULT_POLICY = {"years": 2, "action": "archive"}
#: Records per transaction. On the 2,400 demo records with 119 FAQ proposals (SQLite, 2 cores) a batch of 500
#: deletions holds the write lock 0.2-0.5 s (the scrubbing it needs is done before, in a read session) and 500
#: archivings 0.02-0.13 s, so web requests waiting for the lock are not held up for long.
RETENTION_BATCH = 500
#: Counts of records without a category are reported under this key.
UNCATEGORISED = "uncategorised"


class RetentionConfigError(ValueError):
    """RETENTION_POLICIES cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Policy:
    years: int
    action: str

    def cutoff(self, now: datetime) -> datetime:
        """The moment `years` calendar years before `now` (29 February falls back to the 28th)."""
        try:
            return now.replace(year=now.year - self.years)
        except ValueError:
            return now.replace(year=now.year - self.years, day=28)

    def as_dict(self) -> dict[str, Any]:
        return {"years": self.years, "action": self.action}


@dataclass
class Policies:
    default: Policy
    #: Top-level category code → its policy.
    categories: dict[str, Policy] = field(default_factory=dict)
    #: Problems worth telling the operator that do not stop the run (e.g. a category the taxonomy lacks).
    warnings: list[str] = field(default_factory=list)

    def for_category(self, category: str | None) -> Policy:
        return self.categories.get(category or "", self.default)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {"default": self.default.as_dict(), **{code: p.as_dict() for code, p in self.categories.items()}}


def _policy(name: str, entry: Any) -> Policy:
    where = f"RETENTION_POLICIES[{name!r}]"
    if not isinstance(entry, Mapping):
        raise RetentionConfigError(f'{where} must be a mapping like {{"years": 2, "action": "archive"}}.')
    unknown = sorted(set(entry) - {"years", "action"})
    if unknown:
        raise RetentionConfigError(f"{where} has unknown keys {', '.join(map(str, unknown))}; allowed: years, action.")
    years = entry.get("years")
    if isinstance(years, bool) or not isinstance(years, int):
        raise RetentionConfigError(f"{where}: years must be a whole number of years, not {years!r}.")
    if years < 1:
        # Zero would archive or delete every record on the next night; nobody means that.
        raise RetentionConfigError(f"{where}: years must be at least 1, not {years}.")
    action = entry.get("action")
    if action not in ACTIONS:
        raise RetentionConfigError(f"{where}: action must be one of {', '.join(ACTIONS)}, not {action!r}.")
    return Policy(years=years, action=action)


def load_policies(raw: Mapping[str, Any] | None = None) -> Policies:
    """Validate RETENTION_POLICIES (or `raw`); raises RetentionConfigError naming the entry at fault.

    Category keys may be codes or labels (zh or en) of the taxonomy. A key the taxonomy lacks is kept as a code
    (records imported under an older taxonomy may carry it) and reported as a warning.
    """
    if raw is None:
        raw = current_app.config.get("RETENTION_POLICIES") or {}
    if not isinstance(raw, Mapping):
        raise RetentionConfigError('RETENTION_POLICIES must be a mapping like {"default": {"years": 2, ...}}.')
    policies = Policies(default=_policy("default", raw.get("default", DEFAULT_POLICY)))
    known = taxonomy()
    for name, entry in raw.items():
        if name == "default":
            continue
        policy = _policy(str(name), entry)
        try:
            code, _ = known.resolve(str(name), None)
        except ValueError:
            code = str(name)
            policies.warnings.append(
                f"RETENTION_POLICIES names category {name!r}, which the taxonomy does not know; "
                "it applies to records stored with exactly that category code."
            )
        if code in policies.categories:
            raise RetentionConfigError(f"RETENTION_POLICIES names category {code!r} twice ({name!r}).")
        policies.categories[code] = policy
    return policies


# ---------------------------------------------------------------------------------------------------------------
# Which records are due


@dataclass(frozen=True)
class DueRecord:
    id: int
    number: str
    category: str | None
    action: str


def _older_than(cutoff: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(Record.contacted_at < cutoff, sa.or_(Record.resolved_at.is_(None), Record.resolved_at < cutoff))


def due_condition(now: datetime, policies: Policies) -> sa.ColumnElement[bool]:
    """WHERE clause of the records retention acts on at `now`."""

    def applies(policy: Policy) -> sa.ColumnElement[bool]:
        condition = _older_than(policy.cutoff(now))
        # An archived record is done unless its policy deletes.
        return sa.and_(condition, Record.archived_at.is_(None)) if policy.action == "archive" else condition

    rules = [sa.and_(Record.category == code, applies(policy)) for code, policy in policies.categories.items()]
    others: sa.ColumnElement[bool] = sa.true()
    if policies.categories:
        others = sa.or_(Record.category.is_(None), Record.category.not_in(list(policies.categories)))
    rules.append(sa.and_(others, applies(policies.default)))
    disputed = (
        sa.select(Dispute.id)
        .join(Grade, Grade.id == Dispute.grade_id)
        .where(Grade.record_id == Record.id, Dispute.status == DisputeStatus.OPEN)
        .exists()
    )
    return sa.and_(Record.legal_hold.is_(False), ~disputed, sa.or_(*rules))


def records_due_for_retention(
    now: datetime,
    policies: Policies | None = None,
    *,
    session: Session | None = None,
    after_id: int = 0,
    limit: int | None = None,
    ids: Iterable[int] | None = None,
    lock: bool = False,
) -> list[DueRecord]:
    """The records to archive or delete at `now`, in id order, with the action each gets.

    `after_id`/`limit` page through them; `ids` narrows to given records; `lock` takes row locks (PostgreSQL) so a
    legal hold set meanwhile waits for the batch instead of being lost.
    """
    policies = policies or load_policies()
    session = session or db.session
    query = sa.select(Record.id, Record.number, Record.category).where(
        due_condition(now, policies), Record.id > after_id
    )
    if ids is not None:
        query = query.where(Record.id.in_(list(ids)))
    query = query.order_by(Record.id)
    if limit is not None:
        query = query.limit(limit)
    if lock:
        query = query.with_for_update(of=Record)
    return [
        DueRecord(row.id, row.number, row.category, policies.for_category(row.category).action)
        for row in session.execute(query)
    ]


# ---------------------------------------------------------------------------------------------------------------
# Archiving


def log_each(due: list[DueRecord], action: str, policies: Policies, by: User | str) -> None:
    """One audit entry per record: its number, category and period, nothing about the person."""
    for item in due:
        entry = audit.log(
            by, action, "record", category=item.category, years=policies.for_category(item.category).years
        )
        entry.object_id = item.number


def archive_records(due: list[DueRecord], policies: Policies, *, by: User | str) -> None:
    if not due:
        return
    # A bulk UPDATE: the session's scoring hook does not see it, so archived records are not rescored.
    db.session.execute(sa.update(Record).where(Record.id.in_([item.id for item in due])).values(archived_at=utcnow()))
    log_each(due, "record.retention_archive", policies, by)


# ---------------------------------------------------------------------------------------------------------------
# Deleting


def delete_records(due: list[DueRecord], policies: Policies, memo: RunMemo, *, by: User | str) -> int:
    """Delete the records from every store (jobs.erasure); returns how many customers went with them."""
    if not due:
        return 0
    customers = erase_records([item.id for item in due], [item.number for item in due], memo)
    log_each(due, "record.retention_delete", policies, by)
    return customers


# ---------------------------------------------------------------------------------------------------------------
# The run


@dataclass
class RetentionRun:
    now: datetime
    dry_run: bool
    policies: Policies
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    archived: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    customers_deleted: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    batches: int = 0

    def add(self, due: list[DueRecord]) -> None:
        for item in due:
            self.counts[item.category or UNCATEGORISED][item.action] += 1
            (self.archived if item.action == "archive" else self.deleted).append(item.id)

    def totals(self) -> dict[str, int]:
        return {"archived": len(self.archived), "deleted": len(self.deleted), "errors": len(self.errors)}

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "dry_run": self.dry_run,
            "policies": self.policies.as_dict(),
            "warnings": list(self.policies.warnings),
            "counts": {
                category: {action: counted.get(action, 0) for action in ACTIONS}
                for category, counted in sorted(self.counts.items())
            },
            **self.totals(),
            "customers_deleted": self.customers_deleted,
            "archived_ids": self.archived,
            "deleted_ids": self.deleted,
            "errors_detail": self.errors,
            "batches": self.batches,
        }


def _handle(now: datetime, policies: Policies, memo: RunMemo, by, **selection) -> tuple[list[DueRecord], int]:
    """One batch in the caller's transaction: the records still due among `selection`, archived or deleted."""
    due = records_due_for_retention(now, policies, lock=True, **selection)
    archive_records([item for item in due if item.action == "archive"], policies, by=by)
    customers = delete_records([item for item in due if item.action == "delete"], policies, memo, by=by)
    return due, customers


def run_retention(
    now: datetime | None = None,
    *,
    dry_run: bool = False,
    by: User | str = "scheduler",
    policies: Mapping[str, Any] | None = None,
    batch_size: int | None = None,
) -> dict[str, Any]:
    """Archive or delete every record due at `now` (default: the current time); returns what was done.

    Each batch of `batch_size` (RETENTION_BATCH) records commits on its own. A batch that fails is rolled back
    and its records are tried one at a time, so one record that cannot be deleted (say, a table added later that
    still references it) is reported in `errors_detail` without holding back the rest. `dry_run` writes nothing
    and reports what a run would do. A real run is audit-logged with its counts.

    Whatever the session holds is committed first, so a batch's short transaction is the only one open.
    """
    now = now or utcnow()
    loaded = load_policies(policies)
    size = batch_size or int(current_app.config.get("RETENTION_BATCH", RETENTION_BATCH))
    run = RetentionRun(now=now, dry_run=dry_run, policies=loaded)
    memo = RunMemo()
    db.session.commit()
    last_id = 0
    while True:
        with read_session() as reader:
            upcoming = records_due_for_retention(now, loaded, session=reader, after_id=last_id, limit=size)
        if not upcoming:
            break
        last_id = upcoming[-1].id
        run.batches += 1
        if dry_run:
            run.add(upcoming)
            continue
        memo.warm([item.id for item in upcoming if item.action == "delete"])
        try:
            # Due-ness is checked again under the write lock: a legal hold set meanwhile is respected.
            due, customers = _handle(now, loaded, memo, by, ids=[item.id for item in upcoming])
            db.session.commit()
        except Exception:
            db.session.rollback()
            due, customers = _one_at_a_time(run, upcoming, now, loaded, memo, by)
        except BaseException:
            # Interrupted (Ctrl-C, shutdown): this batch is left untouched for the next run.
            db.session.rollback()
            raise
        run.add(due)
        run.customers_deleted += customers
    # Help-center search logs fall under retention too (kb.selfservice.SEARCH_LOG_RETENTION_DAYS).
    search_sessions = expire_search_logs(now, dry_run=dry_run)
    if not dry_run:
        audit.log(
            by,
            "retention.run",
            "retention",
            counts=run.as_dict()["counts"],
            customers_deleted=run.customers_deleted,
            search_sessions_deleted=search_sessions,
            **run.totals(),
        )
        db.session.commit()
    return {**run.as_dict(), "search_sessions_deleted": search_sessions}


def _one_at_a_time(
    run: RetentionRun, batch: list[DueRecord], now: datetime, policies: Policies, memo: RunMemo, by
) -> tuple[list[DueRecord], int]:
    """A failed batch again, one record per transaction; a record that fails again is reported in the run."""
    done: list[DueRecord] = []
    customers = 0
    for candidate in batch:
        try:
            due, removed = _handle(now, policies, memo, by, ids=[candidate.id])
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            message = f"{type(error).__name__}: {error}"[:500]
            run.errors.append({"record_id": candidate.id, "action": candidate.action, "error": message})
            continue
        done.extend(due)
        customers += removed
    return done, customers
