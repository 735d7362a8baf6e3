"""Exports in the canonical import columns (docs/import-format.md), masked unless revealing is allowed and asked."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from records import audit
from records.access import can_reveal_record, require
from records.db import db
from records.formats import CANONICAL_COLUMNS
from records.models import Record, User
from records.operations import RecordFilters, filtered_records_query
from records.presenting import record_to_dict, visible_related
from records.spreadsheets import csv_writer, safe_row
from records.timeutil import format_local

EXPORT_COLUMNS = ("record_no", *CANONICAL_COLUMNS)
STRUCTURED = ("attachments", "collaboration", "follow_ups")
LISTS = ("customer_tags", "tags", "related")
EXPORT_FORMATS = ("csv", "jsonl", "xlsx")
#: Rows fetched from the database at a time, so exporting 100k records does not hold them all in memory.
EXPORT_BATCH = 500


def canonical_row(record: Record, viewer: User, *, revealed: bool) -> dict[str, Any]:
    shown = record_to_dict(record, viewer=viewer, revealed=revealed)
    customer = shown["customer"]
    row = {column: shown.get(column) for column in EXPORT_COLUMNS}
    row.update(
        record_no=record.number,
        # Local time without offset: what a person reads, and what the importer reads back the same way.
        contacted_at=format_local(record.contacted_at),
        # When the record was written: an import of this file scores timeliness on it, as this system did.
        recorded_at=format_local(record.written_at) or None,
        customer_no=customer["number"],
        customer_name=customer["name"],
        customer_phone=customer["phone"],
        customer_email=customer["email"],
        customer_type=customer["customer_type"],
        company=customer["company"],
        industry=customer["industry"],
        customer_tier=customer["tier"],
        customer_tags=customer["tags"],
        # Links are symmetric; listing them on the later record only lets a re-import resolve every one in order.
        related=[
            other.number
            for other in visible_related(record, viewer)
            if (other.contacted_at, other.id) < (record.contacted_at, record.id)
        ],
        follow_ups=[
            {
                "action": f["action"],
                "owner": f["owner"],
                **({"owner_user": f["owner_user"]} if f["owner_user"] else {}),
                "due": f["due"].isoformat() if f["due"] else None,
                "done": f["done"],
            }
            for f in shown["follow_ups"]
        ],
    )
    return row


def iter_export_rows(viewer: User, filters: RecordFilters, *, reveal: bool) -> Iterator[dict[str, Any]]:
    query = filtered_records_query(viewer, filters).order_by(Record.contacted_at, Record.id)
    for record in db.session.scalars(query.execution_options(yield_per=EXPORT_BATCH)):
        if reveal:
            require(can_reveal_record(viewer, record), f"Your role may not reveal personal data of {record.number}.")
        yield canonical_row(record, viewer, revealed=reveal)


def cell(column: str, value: Any) -> Any:
    """A value as one spreadsheet cell: lists joined, structures as JSON, absent as empty."""
    if value is None:
        return ""
    if column in STRUCTURED:
        return json.dumps(value, ensure_ascii=False) if value else ""
    if column in LISTS:
        return ", ".join(value)
    return value


def export_records(
    viewer: User,
    filters: RecordFilters,
    path: Path,
    fmt: str,
    *,
    reveal: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the records the viewer may see to `path`; returns how many. Audit-logged as an export."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; allowed: {', '.join(EXPORT_FORMATS)}.")
    rows = iter_export_rows(viewer, filters, reveal=reveal)
    count = 0
    # Written to a temporary name first so an interrupted export never leaves a truncated file that looks complete.
    partial = path.with_name(path.name + ".partial")
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("records")
        sheet.append(list(EXPORT_COLUMNS))
        for row in rows:
            sheet.append(safe_row(cell(column, row[column]) for column in EXPORT_COLUMNS))
            count += 1
            if progress:
                progress(1)
        workbook.save(partial)
    else:
        # A BOM lets Excel open Chinese CSV correctly; the importer accepts it.
        with partial.open("w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as handle:
            writer = csv_writer(handle) if fmt == "csv" else None
            if writer:
                writer.writerow(EXPORT_COLUMNS)
            for row in rows:
                if writer:
                    writer.writerow([cell(column, row[column]) for column in EXPORT_COLUMNS])
                else:
                    handle.write(
                        json.dumps({k: v for k, v in row.items() if v not in (None, "", [])}, ensure_ascii=False)
                    )
                    handle.write("\n")
                count += 1
                if progress:
                    progress(1)
    partial.replace(path)
    audit.log(viewer, "records.export", "records", format=fmt, count=count, revealed=reveal, path=str(path))
    db.session.commit()
    return count
