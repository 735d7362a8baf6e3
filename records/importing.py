"""Writing imported rows: each row validated like an API request, written atomically, idempotent by external_id.

Imports bring history from other systems, so a row that today's template would refuse at entry (a pending record
without a follow-up owner or due date, a resolved one without a resolution: records.schemas.HISTORY_RULES) is kept,
flagged in Record.template_exceptions and scored low for it; only malformed rows are rejected. The optional
`recorded_at` column says when the record was first written there, which is what timeliness is scored on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError

from records.access import PermissionDenied
from records.db import db
from records.enums import Role
from records.formats import SourceRow
from records.models import Record, User
from records.operations import create_record, update_record
from records.schemas import ImportRecordSchema

#: Rows are committed in batches: a crash loses at most one batch, and a re-run (idempotent) completes it.
COMMIT_EVERY_ROWS = 200

CUSTOMER_COLUMNS = {
    "customer_name": "name",
    "customer_phone": "phone",
    "customer_email": "email",
    "customer_type": "customer_type",
    "company": "company",
    "industry": "industry",
    "customer_tier": "tier",
    "customer_tags": "tags",
}


@dataclass(frozen=True)
class RowProblem:
    row: int
    field: str
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_rows: set[int] = field(default_factory=set)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejected_rows)

    def reject(self, row: int, messages: Any) -> None:
        self.rejected_rows.add(row)
        for field_name, reason in flatten_messages(messages):
            self.problems.append(RowProblem(row, field_name, reason))


def system_actor() -> User:
    """Who the command line acts as: an administrator that is not a stored user (audit entries say "cli")."""
    return User(username="cli", display_name="Command line", role=Role.ADMIN, password_hash="!")


def canonical_to_input(values: dict[str, Any]) -> dict[str, Any]:
    """A canonical import row (flat customer columns) in the shape RecordInputSchema loads."""
    data = {key: value for key, value in values.items() if key not in CUSTOMER_COLUMNS}
    customer = {target: values[column] for column, target in CUSTOMER_COLUMNS.items() if column in values}
    if customer:
        data["customer"] = customer
    return data


def import_rows(
    rows: Iterable[SourceRow],
    *,
    source: str,
    by: User | None = None,
    default_agent: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    actor = by or system_actor()
    schema = ImportRecordSchema()
    report = ImportReport()
    # (source, external_id) → the row that gave it first: a later row with the same id is rejected, not applied over
    # the first (the last would win, and importing the file again would flip the record back and forth).
    first_rows: dict[tuple[str, str], int] = {}
    for count, row in enumerate(rows, start=1):
        _import_row(row, schema, actor, source, default_agent, report, first_rows)
        if count % COMMIT_EVERY_ROWS == 0:
            db.session.commit()
        if progress:
            progress(1)
    db.session.commit()
    return report


def _import_row(
    row: SourceRow,
    schema: ImportRecordSchema,
    actor: User,
    source: str,
    default_agent: str | None,
    report: ImportReport,
    first_rows: dict[tuple[str, str], int],
) -> None:
    values = dict(row.values)
    if "__errors__" in values:
        report.reject(row.number, values["__errors__"])
        return
    if not values.get("external_id"):
        report.reject(row.number, {"external_id": ["Missing; imports need an id from the source to stay idempotent."]})
        return
    values.setdefault("source", source)
    key = (str(values["source"]), str(values["external_id"]).strip())
    first = first_rows.setdefault(key, row.number)
    if first != row.number:
        report.reject(
            row.number,
            {"external_id": [f"{key[1]!r} was already given in row {first}; each source record is imported once."]},
        )
        return
    if default_agent and not values.get("agent"):
        values["agent"] = default_agent
    if not values.get("agent"):
        report.reject(row.number, {"agent": ["Missing; name the agent or pass --default-agent."]})
        return
    try:
        data = schema.load(canonical_to_input(values))
        existing = db.session.scalar(
            sa.select(Record).where(Record.source == data["source"], Record.external_id == data["external_id"])
        )
        # A savepoint per row: a row rejected half-way (e.g. an unknown related record) leaves nothing behind.
        with db.session.begin_nested():
            if existing is None:
                create_record(data, by=actor, imported=True)
                report.created += 1
            else:
                for key in ("customer", "customer_no"):
                    data.pop(key, None)
                if update_record(existing, data, by=actor, imported=True):
                    report.updated += 1
                else:
                    report.unchanged += 1
    except ValidationError as exc:
        report.reject(row.number, exc.messages)
    except PermissionDenied as exc:
        report.reject(row.number, {"agent": [str(exc)]})


def flatten_messages(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """{"customer": {"email": ["Not a valid email address."]}} → [("customer.email", "Not a valid email address.")]."""
    if isinstance(messages, dict):
        flat = []
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.extend(flatten_messages(value, name))
        return flat
    if isinstance(messages, list | tuple):
        flat = []
        for item in messages:
            flat.extend(
                flatten_messages(item, prefix) if isinstance(item, dict | list) else [(prefix or "row", str(item))]
            )
        return flat
    return [(prefix or "row", str(messages))]
