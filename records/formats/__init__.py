"""Parsing layer of `consultkb records import`: turns import files into canonical rows.

Every supported format (see docs/import-format.md) is read into `SourceRow`s whose `values` use the canonical
column names. This module only maps and normalises *shapes* (lists, JSON cells, dates from Excel, Zendesk and
Freshdesk vocabularies); business rules (allowed enum values, "resolved needs a resolution", dates not in the
future, ...) are checked later by the record schema, which reports them per row.

Two kinds of problems are reported here:

* `FormatError` for the whole file (unreadable, undecodable, wrong header, not a Zendesk export, ...). It is raised
  by `read_rows()` itself, before any row is produced, so nothing is imported from a file that raises it.
* Per-row shape problems (a JSON cell that does not parse, a JSONL line that is not an object, a value in a column
  without header) are put into `values["__errors__"]` as ``{field: [message, ...]}``; the caller rejects that row
  and goes on with the others. Row-wide problems use the fields ``__line__`` (JSON lines) and ``__row__``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from records.formats.base import CANONICAL_COLUMNS, FORMATS, FormatError, SourceRow, decode, read_bytes
from records.formats.canonical import (
    first_json_line,
    read_canonical_table,
    read_csv_records,
    read_jsonl,
    read_xlsx_records,
    sniff_delimiter,
)
from records.formats.freshdesk import read_freshdesk
from records.formats.transcript import read_transcript
from records.formats.zendesk import is_zendesk_ticket, looks_like_zendesk, read_zendesk, zendesk_document

# ---------------------------------------------------------------------------------------------------------------
# Public API


def detect_format(path: Path | str) -> str:
    """Guess the format from the extension, looking inside where an extension is shared by two formats."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # Only the header is needed; "replace" keeps a GB18030 file from failing here (read_rows decodes properly).
        head = read_bytes(path)[:65536].decode("utf-8-sig", errors="replace")
        first_line = next((line for line in head.split("\n") if line.strip()), "")
        header = next(csv.reader([first_line], delimiter=sniff_delimiter(first_line)), [])
        return "freshdesk" if any(cell.strip().lower() == "ticket id" for cell in header) else "csv"
    if suffix in (".jsonl", ".ndjson"):
        # Zendesk's incremental export is NDJSON too; its tickets have "via"/"requester_id" instead of external_id.
        first = first_json_line(decode(read_bytes(path), path.name))
        return "zendesk" if is_zendesk_ticket(first) else "jsonl"
    if suffix == ".json":
        _text, document = zendesk_document(path)
        if document is None or looks_like_zendesk(document):
            return "zendesk"
        raise FormatError(
            f'{path.name}: a .json file is read as a Zendesk ticket export, but this one has no "tickets" list and '
            'no ticket objects (with "via" or "requester_id"). For canonical rows use JSON Lines (.jsonl), '
            "one object per line."
        )
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".txt", ".srt", ".vtt"):
        return "transcript"
    if suffix == ".xls":
        raise FormatError(f"{path.name}: old Excel .xls files are not supported; save it as .xlsx or CSV UTF-8.")
    raise FormatError(
        f"{path.name}: cannot tell the format from the extension {suffix or '(none)'!r}. Use .csv, .jsonl, .xlsx, "
        f".json (Zendesk), .txt/.srt/.vtt (transcript), or give --format ({', '.join(FORMATS)})."
    )


def read_rows(
    path: Path | str, fmt: str | None = None, *, transcript_defaults: dict[str, Any] | None = None
) -> Iterator[SourceRow]:
    """Read `path` as `fmt` (detected when None) and return its rows in canonical columns.

    Whole-file problems raise `FormatError` from this call, before any row is returned. Blank rows/lines are
    skipped; row numbers are what a person sees: spreadsheet row (header = 1) for CSV/XLSX/Freshdesk, line number
    for JSONL and NDJSON, ticket position for a Zendesk JSON document, 1 for a transcript.
    `transcript_defaults` (e.g. agent, contacted_at) is only used by the transcript format.
    """
    path = Path(path)
    fmt = detect_format(path) if fmt is None else fmt.strip().lower()
    if fmt not in FORMATS:
        raise FormatError(f"Unknown import format {fmt!r}; choose one of: {', '.join(FORMATS)}.")
    readers: dict[str, Callable[[], Iterator[SourceRow]]] = {
        "csv": lambda: read_canonical_table(path.name, read_csv_records(path)),
        "xlsx": lambda: read_canonical_table(path.name, read_xlsx_records(path)),
        "jsonl": lambda: read_jsonl(path),
        "zendesk": lambda: read_zendesk(path),
        "freshdesk": lambda: read_freshdesk(path),
        "transcript": lambda: iter([read_transcript(path, transcript_defaults or {})]),
    }
    return readers[fmt]()


__all__ = ["CANONICAL_COLUMNS", "FORMATS", "FormatError", "SourceRow", "detect_format", "read_rows"]
