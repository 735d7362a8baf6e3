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
import difflib
import hashlib
import html
import io
import json
import math
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

FORMATS = ("csv", "jsonl", "xlsx", "zendesk", "freshdesk", "transcript")

CANONICAL_COLUMNS = (
    "external_id", "source", "customer_no", "customer_name", "customer_phone", "customer_email", "customer_type",
    "company", "industry", "customer_tier", "customer_tags", "channel", "channel_platform", "contacted_at",
    "duration_minutes", "agent", "team", "category", "subcategory", "tags", "priority", "status",
    "problem_description", "customer_request", "key_details", "attachments", "emotion", "handling_steps",
    "collaboration", "resolution", "satisfaction", "satisfaction_efficiency", "satisfaction_resolution",
    "satisfaction_attitude", "customer_feedback", "follow_ups", "related", "language",
)  # fmt: skip
REQUIRED_COLUMNS = ("external_id", "channel", "contacted_at", "agent", "status", "problem_description")
IGNORED_COLUMNS = frozenset({"record_no"})  # written by the export, meaningless on import
LIST_COLUMNS = frozenset({"customer_tags", "tags", "related"})
STRUCTURED_COLUMNS = frozenset({"attachments", "collaboration", "follow_ups"})
NUMERIC_COLUMNS = frozenset(
    {"duration_minutes", "satisfaction", "satisfaction_efficiency", "satisfaction_resolution", "satisfaction_attitude"}
)
ERRORS_KEY = "__errors__"

_NumberedCells = tuple[int, Sequence[Any]]  # (row number, cells)
_Table = tuple[list[Any], list[_NumberedCells]]  # (header cells, data rows)

ZENDESK_RESOLUTION_MISSING = "Marked solved in Zendesk; the export did not include the resolution text."
FRESHDESK_RESOLUTION_MISSING = "Marked resolved in Freshdesk; the export did not include the resolution text."

_LIST_SEPARATORS = re.compile(r"[,，;；|]")
_STRUCTURED_EXAMPLES = {
    "attachments": '[{"type": "screenshot", "obtained_via": "wechat", "note": "..."}]',
    "collaboration": '[{"department": "物流部", "ticket_no": "WL-1001", "note": "..."}]',
    "follow_ups": '[{"action": "...", "owner": "wang", "due": "YYYY-MM-DD", "done": false}]',
}


@dataclass(frozen=True)
class SourceRow:
    """One row of an import file, already in canonical columns (only the columns that were given)."""

    number: int
    values: dict[str, Any]

    @property
    def errors(self) -> dict[str, list[str]]:
        return self.values.get(ERRORS_KEY, {})


class FormatError(ValueError):
    """The file as a whole cannot be imported; the message says why and what to do."""


class _CellError(ValueError):
    """A single value has the wrong shape; becomes a per-row error."""


# ---------------------------------------------------------------------------------------------------------------
# Public API


def detect_format(path: Path | str) -> str:
    """Guess the format from the extension, looking inside where an extension is shared by two formats."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # Only the header is needed; "replace" keeps a GB18030 file from failing here (read_rows decodes properly).
        head = _read_bytes(path)[:65536].decode("utf-8-sig", errors="replace")
        first_line = next((line for line in head.split("\n") if line.strip()), "")
        header = next(csv.reader([first_line], delimiter=_sniff_delimiter(first_line)), [])
        return "freshdesk" if any(cell.strip().lower() == "ticket id" for cell in header) else "csv"
    if suffix in (".jsonl", ".ndjson"):
        # Zendesk's incremental export is NDJSON too; its tickets have "via"/"requester_id" instead of external_id.
        first = _first_json_line(_decode(_read_bytes(path), path.name))
        return "zendesk" if _is_zendesk_ticket(first) else "jsonl"
    if suffix == ".json":
        _text, document = _zendesk_document(path)
        if document is None or _looks_like_zendesk(document):
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
        "csv": lambda: _read_canonical_table(path.name, _read_csv_records(path)),
        "xlsx": lambda: _read_canonical_table(path.name, _read_xlsx_records(path)),
        "jsonl": lambda: _read_jsonl(path),
        "zendesk": lambda: _read_zendesk(path),
        "freshdesk": lambda: _read_freshdesk(path),
        "transcript": lambda: iter([_read_transcript(path, transcript_defaults or {})]),
    }
    return readers[fmt]()


# ---------------------------------------------------------------------------------------------------------------
# Bytes, text and single values


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FormatError(f"Cannot read {path}: {exc.strerror or exc}. Check the path and the permissions.") from exc


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else GB18030, which is what Chinese Excel writes for "CSV"."""
    if b"\x00" in data:
        raise FormatError(
            f"{name} contains NUL bytes, so it is a binary or UTF-16 file. Save it as UTF-8 text (Excel: "
            '"CSV UTF-8"), or use the .xlsx file directly.'
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise FormatError(
                f"{name} is neither UTF-8 nor GB18030 text (undecodable bytes on line {line}). Save it as UTF-8."
            ) from utf8_error


def _clean_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _number_text(number: int | float) -> str:
    return str(int(number)) if isinstance(number, float) and number.is_integer() else str(number)


def _split_list(text: str) -> list[str]:
    """A list cell: a JSON array, or text separated by , ， ; ； or |."""
    # '["a", ...' is a (broken) JSON array; "[VIP] 老客户" is plain text that happens to start with a bracket.
    if text.startswith("[") and (text.endswith("]") or text[1:].lstrip().startswith('"')):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _CellError(
                f"Looks like a JSON array but is not valid JSON ({exc.msg} at character {exc.pos + 1}); "
                'write ["a", "b"] or plain text separated by commas.'
            ) from exc
        return _list_items(items)
    return _list_items(_LIST_SEPARATORS.split(text))


def _list_items(items: Any) -> list[str]:
    if not isinstance(items, list):
        raise _CellError('Expected a list: a JSON array like ["a", "b"] or text separated by commas.')
    result: list[str] = []
    for item in items:
        if isinstance(item, (dict, list, bool)):
            raise _CellError(f"List items must be text, not {json.dumps(item, ensure_ascii=False)}.")
        text = _number_text(item) if isinstance(item, (int, float)) else str(item or "").strip()
        if text and text not in result:  # duplicates carry no meaning in tags or related records
            result.append(text)
    return result


def _parse_structured(column: str, text: str) -> list[Any]:
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _CellError(
            f"Not valid JSON ({exc.msg} at character {exc.pos + 1}); write a JSON array such as "
            f"{_STRUCTURED_EXAMPLES[column]}."
        ) from exc
    if not isinstance(parsed, list):
        raise _CellError(f"Must be a JSON array (in [ ]), e.g. {_STRUCTURED_EXAMPLES[column]}.")
    return parsed


def _normalise(column: str, value: Any) -> Any:
    """Bring one given value into its canonical shape; None means "not given". Raises _CellError."""
    if _is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if column in NUMERIC_COLUMNS:
            return int(value) if isinstance(value, float) and value.is_integer() else value
        # Ids, phone numbers and agent codes typed as numbers are still text.
        value = _number_text(value)
    if isinstance(value, str):
        text = _clean_text(value)
        if column in STRUCTURED_COLUMNS:
            return _parse_structured(column, text) or None
        if column in LIST_COLUMNS:
            return _split_list(text) or None
        return text
    if column in LIST_COLUMNS:
        return _list_items(value) or None
    if column in STRUCTURED_COLUMNS and not isinstance(value, list):
        raise _CellError(f"Must be a JSON array, e.g. {_STRUCTURED_EXAMPLES[column]}.")
    return value  # other JSON values keep their type; the schema decides


def _put(values: dict[str, Any], errors: dict[str, list[str]], column: str, raw: Any) -> None:
    try:
        value = _normalise(column, raw)
    except _CellError as exc:
        errors.setdefault(column, []).append(str(exc))
        return
    if value is not None:
        values[column] = value


def _row(number: int, values: dict[str, Any], errors: dict[str, list[str]]) -> SourceRow:
    if errors:
        values[ERRORS_KEY] = errors
    return SourceRow(number, values)


def _column_key(name: Any) -> str:
    """Header matching: case-insensitive, surrounding blanks ignored, "Customer Name" == "customer_name"."""
    return re.sub(r"[\s-]+", "_", str(name if name is not None else "").lstrip("\ufeff").strip().lower())


def _unknown_message(name: str) -> str:
    close = difflib.get_close_matches(_column_key(name), CANONICAL_COLUMNS, n=1)
    return f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name)


# ---------------------------------------------------------------------------------------------------------------
# Canonical tables: CSV and XLSX


def _sniff_delimiter(text: str) -> str:
    first_line = next((line for line in text.split("\n") if line.strip()), "")
    return max((",", ";", "\t"), key=first_line.count)  # comma wins ties, so normal files are unaffected


def _csv_table(path: Path) -> list[list[str]]:
    text = _decode(_read_bytes(path), path.name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    try:
        return list(reader)
    except csv.Error as exc:
        raise FormatError(f"{path.name}: broken CSV near line {reader.line_num}: {exc}. Check the quotes.") from exc


def _read_csv_records(path: Path) -> _Table:
    # Row numbers count CSV records, which is the row number Excel shows even when a cell spans several lines.
    return _split_header(path.name, list(enumerate(_csv_table(path), start=1)))


def _read_xlsx_records(path: Path) -> _Table:
    with warnings.catch_warnings():
        # Files written by Excel/WPS make openpyxl warn about styles and extensions it ignores; values are unaffected.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
            raise FormatError(f"{path.name} is not a readable .xlsx workbook ({exc}). Save it again as .xlsx.") from exc
        try:
            sheet = workbook.worksheets[0]
            # min_row=1: read-only sheets otherwise start at their stored dimension, shifting row numbers.
            rows = [(number, row) for number, row in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)]
        finally:
            workbook.close()
    return _split_header(path.name, rows)


def _split_header(name: str, rows: list[_NumberedCells]) -> _Table:
    for index, (_number, cells) in enumerate(rows):
        if not all(_is_blank(cell) for cell in cells):
            return list(cells), rows[index + 1 :]
    raise FormatError(f"{name} is empty; the first row must be a header with the canonical column names.")


def _check_canonical_header(name: str, header: list[Any]) -> list[str]:
    keys = [_column_key(cell) for cell in header]
    unknown = [
        str(cell).strip()
        for cell, key in zip(header, keys, strict=True)
        if key and key not in CANONICAL_COLUMNS and key not in IGNORED_COLUMNS
    ]
    problems = []
    if unknown:
        problems.append(f"unknown column(s) {', '.join(_unknown_message(cell) for cell in unknown)}")
    duplicates = sorted({key for key in keys if key and keys.count(key) > 1})
    if duplicates:
        problems.append(f"column(s) given twice: {', '.join(duplicates)}")
    missing = [column for column in REQUIRED_COLUMNS if column not in keys]
    if missing:
        problems.append(f"missing required column(s) {', '.join(missing)}")
    if problems:
        raise FormatError(
            f"{name}: the header row has {'; '.join(problems)}. Fix the first row; allowed columns are: "
            f"{', '.join(CANONICAL_COLUMNS)} (see docs/import-format.md)."
        )
    return keys


def _read_canonical_table(name: str, table: _Table) -> Iterator[SourceRow]:
    header, rows = table
    keys = _check_canonical_header(name, header)
    return (_canonical_table_row(keys, number, cells) for number, cells in rows if not all(map(_is_blank, cells)))


def _canonical_table_row(keys: list[str], number: int, cells: Sequence[Any]) -> SourceRow:
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for index, cell in enumerate(cells):
        key = keys[index] if index < len(keys) else ""
        if key in IGNORED_COLUMNS or _is_blank(cell):
            continue
        if not key:
            errors.setdefault("__row__", []).append(
                f"Column {index + 1} has a value but no header; an unquoted comma or a shifted cell is likely."
            )
            continue
        _put(values, errors, key, _spreadsheet_value(cell))
    return _row(number, values, errors)


def _spreadsheet_value(cell: Any) -> Any:
    """Excel cell types to canonical text; numbers stay numbers (see _normalise for text columns)."""
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M")
    if isinstance(cell, date):
        return cell.strftime("%Y-%m-%d")
    if isinstance(cell, time):
        return cell.strftime("%H:%M")
    if isinstance(cell, timedelta):  # a duration typed as [h]:mm
        return round(cell.total_seconds() / 60)
    return cell


# ---------------------------------------------------------------------------------------------------------------
# JSON Lines


def _json_lines(text: str) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object or _CellError) for each non-blank line."""
    # split("\n"), not splitlines(): U+2028 may legally appear inside JSON strings.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, _CellError(f"Invalid JSON at column {exc.colno}: {exc.msg}. Each line must be one object.")
            continue
        if not isinstance(parsed, dict):
            yield number, _CellError(f"Expected a JSON object {{...}} on this line, got {type(parsed).__name__}.")
            continue
        yield number, parsed


def _first_json_line(text: str) -> Any:
    for _number, parsed in _json_lines(text):
        return None if isinstance(parsed, _CellError) else parsed
    return None


def _read_jsonl(path: Path) -> Iterator[SourceRow]:
    lines = list(_json_lines(_decode(_read_bytes(path), path.name)))
    return (_jsonl_row(number, parsed) for number, parsed in lines)


def _jsonl_row(number: int, parsed: dict[str, Any] | _CellError) -> SourceRow:
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if isinstance(parsed, _CellError):
        return _row(number, values, {"__line__": [str(parsed)]})
    seen: dict[str, str] = {}
    for raw_key, raw_value in parsed.items():
        key = _column_key(raw_key)
        if key in IGNORED_COLUMNS:
            continue
        if key not in CANONICAL_COLUMNS:
            # Per row rather than per file: JSONL lines are independent, so one stray key rejects only its line.
            errors.setdefault(raw_key, []).append(f"Unknown field {_unknown_message(raw_key)}.")
        elif key in seen:
            errors.setdefault(key, []).append(f"Given twice, as {seen[key]!r} and {raw_key!r}.")
        else:
            seen[key] = raw_key
            _put(values, errors, key, raw_value)
    return _row(number, values, errors)


# ---------------------------------------------------------------------------------------------------------------
# Shared helpers of the help-desk mappings


def _set(values: dict[str, Any], column: str, value: Any) -> None:
    if not _is_blank(value):
        values[column] = value.strip() if isinstance(value, str) else value


def _join_text(*parts: Any) -> str:
    texts = [_clean_text(str(part)) for part in parts if not _is_blank(part)]
    if len(texts) == 2 and texts[1].startswith(texts[0]):
        return texts[1]  # help desks often copy the subject into the first line of the description
    return "\n\n".join(texts)


def _social_or_other(name: str, platforms: dict[str, str], fallback_platform: str) -> tuple[str, str]:
    platform = platforms.get(name.lower())
    return ("social_media", platform) if platform else ("other", fallback_platform)


_SOCIAL_PLATFORMS = {
    "twitter": "Twitter", "facebook": "Facebook", "instagram": "Instagram", "instagram_dm": "Instagram",
    "whatsapp": "WhatsApp", "wechat": "WeChat", "line": "LINE",
}  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Zendesk

_ZENDESK_CHANNELS = {
    "email": "email", "web": "web", "web_form": "web", "help_center": "web", "chat": "online_chat",
    "native_messaging": "online_chat", "voice": "phone", "phone": "phone",
}  # fmt: skip
_ZENDESK_STATUS = {"new": "open", "open": "open", "pending": "pending", "hold": "pending", "solved": "resolved",
                   "closed": "resolved"}  # fmt: skip
_ZENDESK_PRIORITY = {"low": "low", "normal": "medium", "high": "high", "urgent": "urgent"}


def _is_zendesk_ticket(item: Any) -> bool:
    return isinstance(item, dict) and ("via" in item or "requester_id" in item) and "external_id" not in item


def _looks_like_zendesk(document: Any) -> bool:
    if isinstance(document, dict):
        return isinstance(document.get("tickets"), list) or _is_zendesk_ticket(document.get("ticket"))
    return isinstance(document, list) and bool(document) and _is_zendesk_ticket(document[0])


def _zendesk_document(path: Path) -> tuple[str, Any]:
    """The file's text and its JSON document, or None as document for NDJSON (one ticket per line)."""
    text = _decode(_read_bytes(path), path.name)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return text, None
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        if _is_zendesk_ticket(_first_json_line(text)):
            return text, None  # NDJSON saved as .json
        raise FormatError(
            f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            "Export the tickets again; the file may be cut off."
        ) from exc


def _read_zendesk(path: Path) -> Iterator[SourceRow]:
    text, document = _zendesk_document(path)
    if document is None:  # incremental export: one ticket per line
        tickets: list[tuple[int, Any]] = list(_json_lines(text))
        lookups = _ZendeskLookups({})
    else:
        if not _looks_like_zendesk(document):
            raise FormatError(
                f'{path.name} does not look like a Zendesk export: expected {{"tickets": [...]}} or a list of '
                "tickets. Use --format jsonl for canonical rows."
            )
        items = document if isinstance(document, list) else document.get("tickets") or [document.get("ticket")]
        tickets = list(enumerate(items, start=1))
        lookups = _ZendeskLookups(document if isinstance(document, dict) else {})
    return (_zendesk_row(number, ticket, lookups) for number, ticket in tickets)


class _ZendeskLookups:
    """Sideloaded users, organizations and groups of an API export, by id."""

    def __init__(self, document: dict[str, Any]):
        def by_id(key: str) -> dict[str, dict[str, Any]]:
            items = document.get(key)
            items = items if isinstance(items, list) else []
            return {str(item.get("id")): item for item in items if isinstance(item, dict)}

        self.users, self.organizations, self.groups = by_id("users"), by_id("organizations"), by_id("groups")

    @staticmethod
    def find(embedded: Any, table: dict[str, dict[str, Any]], item_id: Any) -> dict[str, Any]:
        if isinstance(embedded, dict):
            return embedded
        return table.get(str(item_id), {}) if item_id is not None else {}


def _zendesk_row(number: int, ticket: Any, lookups: _ZendeskLookups) -> SourceRow:
    if isinstance(ticket, _CellError):
        return _row(number, {}, {"__line__": [str(ticket)]})
    if not isinstance(ticket, dict):
        return _row(number, {}, {"__row__": ["Expected a Zendesk ticket object."]})
    values: dict[str, Any] = {"source": "zendesk"}
    errors: dict[str, list[str]] = {}
    ticket_id = ticket.get("id")
    _set(values, "external_id", None if ticket_id is None else str(ticket_id))
    _set(values, "problem_description", _join_text(ticket.get("subject"), ticket.get("description")))
    _set(values, "contacted_at", _iso_with_offset(ticket.get("created_at")))
    via = ticket.get("via") if isinstance(ticket.get("via"), dict) else {}
    via_channel = str(via.get("channel") or "").strip()
    if via_channel.lower() in _ZENDESK_CHANNELS:
        values["channel"] = _ZENDESK_CHANNELS[via_channel.lower()]
    else:
        values["channel"], values["channel_platform"] = _social_or_other(
            via_channel, _SOCIAL_PLATFORMS, f"Zendesk {via_channel}".strip()
        )
    status = str(ticket.get("status") or "").strip().lower()
    _set(values, "status", _ZENDESK_STATUS.get(status, status))
    priority = str(ticket.get("priority") or "").strip().lower()
    _set(values, "priority", _ZENDESK_PRIORITY.get(priority, priority))
    _put(values, errors, "tags", ticket.get("tags"))

    requester = lookups.find(ticket.get("requester"), lookups.users, ticket.get("requester_id"))
    _set(values, "customer_name", requester.get("name"))
    _set(values, "customer_email", requester.get("email"))
    _set(values, "customer_phone", requester.get("phone"))
    assignee = lookups.find(ticket.get("assignee"), lookups.users, ticket.get("assignee_id"))
    _set(values, "agent", assignee.get("email"))  # the caller maps e-mails to agents (or uses --default-agent)
    _set(values, "team", lookups.find(ticket.get("group"), lookups.groups, ticket.get("group_id")).get("name"))
    organization = lookups.find(ticket.get("organization"), lookups.organizations, ticket.get("organization_id"))
    if not _is_blank(organization.get("name")):
        values["company"], values["customer_type"] = str(organization["name"]).strip(), "enterprise"

    rating = ticket.get("satisfaction_rating") if isinstance(ticket.get("satisfaction_rating"), dict) else {}
    _set(values, "satisfaction", {"good": 5, "bad": 1}.get(str(rating.get("score") or "").lower()))
    _set(values, "customer_feedback", rating.get("comment"))
    if values.get("status") == "resolved":
        requester_id = ticket.get("requester_id", requester.get("id"))
        values["resolution"] = _zendesk_resolution(ticket.get("comments"), requester_id) or ZENDESK_RESOLUTION_MISSING
    if values.get("status") == "pending" and not _is_blank(ticket.get("due_at")):
        owner = assignee.get("name") or assignee.get("email") or ""
        due = str(ticket["due_at"]).strip()[:10]
        action = f"Follow up Zendesk ticket #{ticket_id}"
        values["follow_ups"] = [{"action": action, "owner": owner, "due": due, "done": False}]
    return _row(number, values, errors)


def _zendesk_resolution(comments: Any, requester_id: Any) -> str | None:
    """Body of the last public comment not written by the requester, i.e. the agent's final answer."""
    if not isinstance(comments, list):
        return None
    for comment in reversed(comments):
        if not isinstance(comment, dict) or not comment.get("public", True):
            continue
        author = comment.get("author_id")
        body = comment.get("plain_body") or comment.get("body")
        if author is not None and str(author) != str(requester_id) and not _is_blank(body):
            return _clean_text(str(body))
    return None


def _iso_with_offset(raw: Any) -> str | None:
    """Zendesk's "2024-05-20T06:30:00Z" → "2024-05-20T06:30:00+00:00"; anything unparsable passes through."""
    if _is_blank(raw):
        return None
    try:
        return datetime.fromisoformat(str(raw).strip()).isoformat()
    except ValueError:
        return str(raw).strip()


# ---------------------------------------------------------------------------------------------------------------
# Freshdesk

_FRESHDESK_STATUS = {"open": "open", "pending": "pending", "waiting on customer": "pending",
                     "waiting on third party": "pending", "resolved": "resolved", "closed": "resolved"}  # fmt: skip
_FRESHDESK_CHANNELS = {"email": "email", "outbound email": "email", "portal": "web", "feedback widget": "web",
                       "phone": "phone", "chat": "online_chat"}  # fmt: skip
_FRESHDESK_SATISFACTION = {"extremely happy": 5, "happy": 4, "neutral": 3, "unhappy": 2, "extremely unhappy": 1,
                           "awesome": 5, "just okay": 3, "not good": 1}  # fmt: skip


def _read_freshdesk(path: Path) -> Iterator[SourceRow]:
    header, rows = _read_csv_records(path)
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault(str(name).strip().lower(), index)
    if "ticket id" not in columns:
        raise FormatError(
            f"{path.name}: a Freshdesk ticket export needs a 'Ticket ID' column. Export the tickets from Freshdesk "
            "as CSV again, or use --format csv for canonical columns."
        )
    return (_freshdesk_row(number, columns, cells) for number, cells in rows if not all(map(_is_blank, cells)))


def _freshdesk_row(number: int, columns: dict[str, int], cells: Sequence[str]) -> SourceRow:
    def cell(*names: str) -> str:
        for name in names:
            index = columns.get(name)
            if index is not None and index < len(cells) and cells[index].strip():
                return _clean_text(cells[index])
        return ""

    values: dict[str, Any] = {"source": "freshdesk"}
    errors: dict[str, list[str]] = {}
    ticket_id, agent = cell("ticket id"), cell("agent")
    _set(values, "external_id", ticket_id)
    _set(values, "problem_description", _join_text(cell("subject"), cell("description")))
    status = cell("status")
    _set(values, "status", _FRESHDESK_STATUS.get(status.lower(), status))
    priority = cell("priority")
    _set(values, "priority", priority.lower() if priority.lower() in ("low", "medium", "high", "urgent") else priority)
    source = cell("source")
    if source.lower() in _FRESHDESK_CHANNELS:
        values["channel"] = _FRESHDESK_CHANNELS[source.lower()]
    else:
        values["channel"], values["channel_platform"] = _social_or_other(
            source, _SOCIAL_PLATFORMS, f"Freshdesk {source}".strip()
        )
    _set(values, "agent", agent)
    _set(values, "team", cell("group"))
    _set(values, "contacted_at", _freshdesk_time(cell("created time"), "%Y-%m-%d %H:%M"))
    _put(values, errors, "tags", cell("tags"))
    if cell("type"):  # Freshdesk's ticket type (Question, Refund, ...) has no canonical column; keep it findable
        values["tags"] = [*values.get("tags", []), f"type:{cell('type')}"]
    _set(values, "customer_name", cell("full name", "contact name", "requester name"))
    _set(values, "customer_email", cell("email"))
    _set(values, "customer_phone", cell("work phone", "phone", "mobile phone"))
    if cell("company name"):
        values["company"], values["customer_type"] = cell("company name"), "enterprise"
    rating = cell("satisfaction rating", "survey results")
    numeric_rating = int(rating) if rating.isdigit() else rating  # out-of-range numbers are the schema's to reject
    _set(values, "satisfaction", _FRESHDESK_SATISFACTION.get(rating.lower(), numeric_rating))
    if values.get("status") == "resolved":
        values["resolution"] = cell("resolution", "resolution note", "resolution notes") or FRESHDESK_RESOLUTION_MISSING
    due = cell("due by time")
    if values.get("status") == "pending" and due:
        action = f"Follow up Freshdesk ticket #{ticket_id}"
        values["follow_ups"] = [
            {"action": action, "owner": agent, "due": _freshdesk_time(due, "%Y-%m-%d"), "done": False}
        ]
    return _row(number, values, errors)


def _freshdesk_time(raw: str, output: str) -> str:
    """Freshdesk writes "2024-05-20 14:30:00"; other shapes pass through for the schema to judge."""
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, pattern).strftime(output)
        except ValueError:
            continue
    return raw


# ---------------------------------------------------------------------------------------------------------------
# Transcripts

_TIMESTAMP = r"(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_TIMING_LINE = re.compile(rf"^\s*({_TIMESTAMP})\s*-->\s*({_TIMESTAMP})(?:\s.*)?$")
_VOICE_TAG = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
_MARKUP_TAG = re.compile(r"</?(?:c|i|b|u|v|ruby|rt|lang|font)(?:[.\s][^>]*)?>|<\d{1,2}:\d{2}[:.\d]*>")
_PROTECTED_TRANSCRIPT_COLUMNS = frozenset({"problem_description", "external_id"})


def _read_transcript(path: Path, defaults: dict[str, Any]) -> SourceRow:
    data = _read_bytes(path)
    text = _clean_text(_decode(data, path.name))
    kind = path.suffix.lower()
    if kind not in (".srt", ".vtt"):  # a transcript saved as .txt may still be subtitles
        kind = ".vtt" if text.startswith("WEBVTT") else ".srt" if any(map(_TIMING_LINE.match, text.split("\n"))) else ""
    duration: int | None = None
    if kind:
        text, last_end = _subtitle_text(text, vtt=kind == ".vtt")
        duration = None if last_end is None else math.ceil(last_end / 60)
    if not text:
        raise FormatError(f"{path.name} contains no transcript text; check that it is the right file.")
    values: dict[str, Any] = {
        "external_id": "transcript-" + hashlib.sha256(data).hexdigest()[:16],
        "source": "transcript",
        "channel": "phone",
        "status": "open",
        "problem_description": text,
    }
    _set(values, "duration_minutes", duration)
    errors: dict[str, list[str]] = {}
    for column, value in defaults.items():
        if column not in CANONICAL_COLUMNS:
            raise ValueError(f"Unknown transcript default {column!r}; use canonical column names.")
        if column not in _PROTECTED_TRANSCRIPT_COLUMNS and not _is_blank(value):
            _put(values, errors, column, value)
    return _row(1, values, errors)


def _subtitle_text(text: str, *, vtt: bool) -> tuple[str, float | None]:
    """SRT/VTT to plain dialogue, one line per cue; also the end of the last cue in seconds."""
    cues: list[list[str]] = []
    last_end: float | None = None
    for block in re.split(r"\n[ \t]*\n", text):
        lines = block.split("\n")
        if vtt and re.match(r"(WEBVTT|NOTE|STYLE|REGION)\b", lines[0].strip()):
            continue
        cue: list[str] | None = None  # None until the block's timing line: lines before it are cue numbers/ids
        for line in lines:
            timing = _TIMING_LINE.match(line)
            if timing is None:
                if cue is not None:
                    cue.append(line)
                continue
            end = _seconds(timing.group(2))
            last_end = end if last_end is None else max(last_end, end)
            if cue is not None:
                if cue and cue[-1].strip().isdigit():
                    cue.pop()  # SRT written without a blank line between cues: that was the next cue's number
                cues.append(cue)
            cue = []
        cues.append(lines if cue is None else cue)  # a block without timing is stray text, kept
    texts = [_cue_text(cue) for cue in cues]
    return "\n".join(text for text in texts if text), last_end


def _cue_text(lines: Iterable[str]) -> str:
    parts: list[str] = []
    for raw in lines:
        starts_voice = bool(_VOICE_TAG.match(raw.strip()))
        line = html.unescape(_MARKUP_TAG.sub("", _VOICE_TAG.sub(r"\1: ", raw))).strip()
        if not line:
            continue
        if parts and starts_voice:
            parts.append("\n" + line)  # a new speaker inside one cue gets its own line
        else:
            parts.append((" " if parts else "") + line)
    return "".join(parts)


def _seconds(stamp: str) -> float:
    seconds = 0.0
    for part in stamp.replace(",", ".").split(":"):
        seconds = seconds * 60 + float(part)
    return seconds
