"""Erasure on request: an administrator deletes a record, or erases a customer (PIPL / GDPR right to erasure).

Both run the erasure retention runs (jobs.erasure.erase_records), which reaches every store that copied the
records' text, and go further in three ways: the training cases made from the records are deleted too (retention
keeps those anonymised snapshots); erasing a customer also deletes the help-center searches whose words hold their
phone, e-mail or name, in anyone's visit, and their profile even without records; and on SQLite the write-ahead log
is checkpointed and truncated afterwards, so that no copy of the erased text stays readable in the database's files
(records.db.reclaim_erased_space).

Records on legal hold or under an open grade dispute are refused, as retention leaves them: a legal claim is an
exception to the right to erasure (GDPR art. 17(3)(e)); clear the hold first.

Every erasure is audit-logged (who, when, which reference, how much went), never what was erased.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from jobs.erasure import CHUNK, RunMemo, erase_records, scrub_audit_details
from kb.models import SearchEvent, SearchSession
from records import audit
from records.access import require
from records.customers import ANONYMOUS_NAME
from records.db import db, like_pattern, reclaim_erased_space
from records.enums import Role
from records.models import Customer, Record, User
from scoring.cases.models import TrainingCase
from scoring.models import Dispute, DisputeStatus, Grade

#: A customer's name is looked for in the help-center searches only when it is at least this long: one character
#: ("王") would take out searches that have nothing to do with them.
SEARCHED_NAME_CHARS = 2
#: A phone is looked for in searches by its last this many digits together (a shorter run matches order numbers).
SEARCHED_PHONE_DIGITS = 7


@dataclass
class ErasureSummary:
    """What one erasure removed; the API and the CLI show it, the audit log keeps it."""

    customer: str | None = None
    records: list[str] = field(default_factory=list)
    customers_deleted: int = 0
    training_cases: int = 0
    help_center_visits: int = 0
    searches: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def may_erase(user: User) -> bool:
    return user.role == Role.ADMIN


def _refuse_held(records: list[Record]) -> None:
    """Records on legal hold, or whose grade is under open dispute, are kept: 422 naming them."""
    held = [record.number for record in records if record.legal_hold]
    ids = [record.id for record in records]
    disputed = (
        db.session.scalars(
            sa.select(Record.number)
            .join(Grade, Grade.record_id == Record.id)
            .join(Dispute, Dispute.grade_id == Grade.id)
            .where(Record.id.in_(ids), Dispute.status == DisputeStatus.OPEN)
        ).all()
        if ids
        else []
    )
    if held:
        raise ValidationError(
            {
                "legal_hold": [
                    _l(
                        "Record %(numbers)s is under legal hold and cannot be erased; clear the hold first.",
                        numbers=", ".join(sorted(held)),
                    )
                ]
            }
        )
    if disputed:
        raise ValidationError(
            {
                "dispute": [
                    _l(
                        "Record %(numbers)s has a grade under open dispute and cannot be erased; resolve the dispute "
                        "first.",
                        numbers=", ".join(sorted(set(disputed))),
                    )
                ]
            }
        )


def erase_record(record: Record, *, by: User) -> ErasureSummary:
    """Delete one record from every store (administrators). The caller commits, then calls `finish_erasure`."""
    require(may_erase(by), "Only administrators delete records.")
    _refuse_held([record])
    summary = ErasureSummary(records=[record.number])
    summary.training_cases = _count_cases([record.id])
    summary.help_center_visits = _count_visits([record.id])
    record_id, number = record.id, record.number
    memo = RunMemo()
    summary.customers_deleted = erase_records([record_id], [number], memo, on_request=True)
    entry = audit.log(by, "record.delete", "record", **_audited(summary))
    entry.object_id = number
    return summary


def erasure_preview(customer: Customer) -> ErasureSummary:
    """What erasing the customer would remove, for the confirmation step."""
    records = _records_of(customer)
    ids = [record.id for record in records]
    return ErasureSummary(
        customer=customer.number,
        records=[record.number for record in records],
        customers_deleted=1,
        training_cases=_count_cases(ids),
        help_center_visits=_count_visits(ids),
        searches=len(_searches_naming(customer)),
    )


def erase_customer(customer: Customer, *, by: User) -> ErasureSummary:
    """Erase a customer on their request (administrators): every record of theirs, with everything derived from
    those (jobs.erasure), the training cases made from them, the help-center searches that name them, and the
    profile. Audit entries about the customer and their records keep who did what when, and no detail.

    The caller commits, then calls `finish_erasure`.
    """
    require(may_erase(by), "Only administrators erase customers.")
    records = _records_of(customer)
    _refuse_held(records)
    ids = [record.id for record in records]
    summary = ErasureSummary(customer=customer.number, records=[record.number for record in records])
    summary.training_cases = _count_cases(ids)
    summary.help_center_visits = _count_visits(ids)
    searches = _searches_naming(customer)
    summary.searches = len(searches)
    number = customer.number
    # Searches naming them, in whichever visit: the visits that ended in their records go whole with the records.
    for start in range(0, len(searches), CHUNK):
        db.session.execute(sa.delete(SearchEvent).where(SearchEvent.id.in_(searches[start : start + CHUNK])))
    memo = RunMemo()
    for start in range(0, len(ids), CHUNK):  # the statements' IN lists stay within the databases' limits
        erase_records(ids[start : start + CHUNK], summary.records[start : start + CHUNK], memo, on_request=True)
    # erase_records deleted the customer once their last record went; one without records goes here.
    remaining = db.session.scalar(sa.select(Customer).where(Customer.number == number))
    if remaining is not None:
        scrub_audit_details("customer", [number])
        db.session.delete(remaining)
    summary.customers_deleted = 1
    entry = audit.log(by, "customer.erase", "customer", **_audited(summary))
    entry.object_id = number
    db.session.flush()
    return summary


def finish_erasure() -> dict[str, Any]:
    """After the erasure committed: leave no copy of the erased text in the database's files (SQLite)."""
    return reclaim_erased_space()


def _audited(summary: ErasureSummary) -> dict[str, Any]:
    """The audit details of an erasure: references and counts, kept by later erasures (KEPT_AUDIT_DETAILS)."""
    return {
        "records": summary.records,
        "customers_deleted": summary.customers_deleted,
        "training_cases": summary.training_cases,
        "help_center_visits": summary.help_center_visits,
        "searches": summary.searches,
    }


def _records_of(customer: Customer) -> list[Record]:
    return list(db.session.scalars(sa.select(Record).where(Record.customer_id == customer.id).order_by(Record.id)))


def _count_cases(ids: list[int]) -> int:
    if not ids:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(TrainingCase).where(TrainingCase.source_record_id.in_(ids))
    )


def _count_visits(ids: list[int]) -> int:
    if not ids:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(SearchSession).where(SearchSession.record_id.in_(ids))
    )


def _searches_naming(customer: Customer) -> list[int]:
    """Help-center searches whose words hold the customer's phone (its last SEARCHED_PHONE_DIGITS digits, however
    typed), e-mail or name. Visitors type such things into the search box; they are the customer's data too. The
    visits that ended in the customer's records are left out: they go whole with the records."""
    conditions = []
    digits = customer.phone_key or ""
    if len(digits) >= SEARCHED_PHONE_DIGITS:
        tail = digits[-SEARCHED_PHONE_DIGITS:]
        squeezed = SearchEvent.query
        for separator in (" ", "-", ".", "(", ")", "+"):
            squeezed = sa.func.replace(squeezed, separator, "")
        conditions.append(squeezed.like(like_pattern(tail), escape="\\"))
    if customer.email_key:
        conditions.append(sa.func.lower(SearchEvent.query).like(like_pattern(customer.email_key), escape="\\"))
    name = (customer.name or "").strip()
    if len(name) >= SEARCHED_NAME_CHARS and name != ANONYMOUS_NAME:
        conditions.append(sa.func.lower(SearchEvent.query).like(like_pattern(name.lower()), escape="\\"))
    if not conditions:
        return []
    own_visits = (
        sa.select(SearchSession.id)
        .join(Record, Record.id == SearchSession.record_id)
        .where(Record.customer_id == customer.id)
    )
    query = sa.select(SearchEvent.id).where(
        SearchEvent.query.is_not(None),
        sa.or_(SearchEvent.session_id.is_(None), SearchEvent.session_id.not_in(own_visits)),
        sa.or_(*conditions),
    )
    return list(db.session.scalars(query))
