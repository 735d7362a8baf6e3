"""What every import format shares: canonical columns, rows, errors, and single-value normalising."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMATS = ("csv", "jsonl", "xlsx", "zendesk", "freshdesk", "transcript")

CANONICAL_COLUMNS = (
    "external_id", "source", "customer_no", "customer_name", "customer_phone", "customer_email", "customer_type",
    "company", "industry", "customer_tier", "customer_tags", "channel", "channel_platform", "contacted_at",
    "duration_minutes", "agent", "assignee", "team", "category", "subcategory", "tags", "priority", "status",
    "problem_description", "customer_request", "key_details", "attachments", "emotion", "handling_steps",
    "collaboration", "resolution", "satisfaction", "satisfaction_efficiency", "satisfaction_resolution",
    "satisfaction_attitude", "customer_feedback", "follow_ups", "related", "language", "recorded_at",
)  # fmt: skip
REQUIRED_COLUMNS = ("external_id", "channel", "contacted_at", "agent", "status", "problem_description")
IGNORED_COLUMNS = frozenset({"record_no"})  # written by the export, meaningless on import
LIST_COLUMNS = frozenset({"customer_tags", "tags", "related"})
STRUCTURED_COLUMNS = frozenset({"attachments", "collaboration", "follow_ups"})
NUMERIC_COLUMNS = frozenset(
    {"duration_minutes", "satisfaction", "satisfaction_efficiency", "satisfaction_resolution", "satisfaction_attitude"}
)
ERRORS_KEY = "__errors__"

NumberedCells = tuple[int, Sequence[Any]]  # (row number, cells)
Table = tuple[list[Any], list[NumberedCells]]  # (header cells, data rows)


_LIST_SEPARATORS = re.compile(r"[,，;；|]")
_STRUCTURED_EXAMPLES = {
    "attachments": '[{"type": "screenshot", "obtained_via": "wechat", "note": "..."}]',
    "collaboration": '[{"department": "物流部", "ticket_no": "WL-1001", "note": "..."}]',
    "follow_ups": '[{"action": "...", "owner": "wang", "owner_user": "wang", "due": "YYYY-MM-DD", "done": false}]',
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


class CellError(ValueError):
    """A single value has the wrong shape; becomes a per-row error."""


# ---------------------------------------------------------------------------------------------------------------
# Bytes, text and single values


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FormatError(f"Cannot read {path}: {exc.strerror or exc}. Check the path and the permissions.") from exc


def decode(data: bytes, name: str) -> str:
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


def clean_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def is_blank(value: Any) -> bool:
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
            raise CellError(
                f"Looks like a JSON array but is not valid JSON ({exc.msg} at character {exc.pos + 1}); "
                'write ["a", "b"] or plain text separated by commas.'
            ) from exc
        return _list_items(items)
    return _list_items(_LIST_SEPARATORS.split(text))


def _list_items(items: Any) -> list[str]:
    if not isinstance(items, list):
        raise CellError('Expected a list: a JSON array like ["a", "b"] or text separated by commas.')
    result: list[str] = []
    for item in items:
        if isinstance(item, (dict, list, bool)):
            raise CellError(f"List items must be text, not {json.dumps(item, ensure_ascii=False)}.")
        text = _number_text(item) if isinstance(item, (int, float)) else str(item or "").strip()
        if text and text not in result:  # duplicates carry no meaning in tags or related records
            result.append(text)
    return result


def _parse_structured(column: str, text: str) -> list[Any]:
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CellError(
            f"Not valid JSON ({exc.msg} at character {exc.pos + 1}); write a JSON array such as "
            f"{_STRUCTURED_EXAMPLES[column]}."
        ) from exc
    if not isinstance(parsed, list):
        raise CellError(f"Must be a JSON array (in [ ]), e.g. {_STRUCTURED_EXAMPLES[column]}.")
    return parsed


def normalise(column: str, value: Any) -> Any:
    """Bring one given value into its canonical shape; None means "not given". Raises CellError."""
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if column in NUMERIC_COLUMNS:
            return int(value) if isinstance(value, float) and value.is_integer() else value
        # Ids, phone numbers and agent codes typed as numbers are still text.
        value = _number_text(value)
    if isinstance(value, str):
        text = clean_text(value)
        if column in STRUCTURED_COLUMNS:
            return _parse_structured(column, text) or None
        if column in LIST_COLUMNS:
            return _split_list(text) or None
        return text
    if column in LIST_COLUMNS:
        return _list_items(value) or None
    if column in STRUCTURED_COLUMNS and not isinstance(value, list):
        raise CellError(f"Must be a JSON array, e.g. {_STRUCTURED_EXAMPLES[column]}.")
    return value  # other JSON values keep their type; the schema decides


def put_value(values: dict[str, Any], errors: dict[str, list[str]], column: str, raw: Any) -> None:
    try:
        value = normalise(column, raw)
    except CellError as exc:
        errors.setdefault(column, []).append(str(exc))
        return
    if value is not None:
        values[column] = value


def make_row(number: int, values: dict[str, Any], errors: dict[str, list[str]]) -> SourceRow:
    if errors:
        values[ERRORS_KEY] = errors
    return SourceRow(number, values)


def column_key(name: Any) -> str:
    """Header matching: case-insensitive, surrounding blanks ignored, "Customer Name" == "customer_name"."""
    return re.sub(r"[\s-]+", "_", str(name if name is not None else "").lstrip("\ufeff").strip().lower())


def unknown_message(name: str) -> str:
    close = difflib.get_close_matches(column_key(name), CANONICAL_COLUMNS, n=1)
    return f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name)


# ---------------------------------------------------------------------------------------------------------------
# Shared helpers of the help-desk mappings


def set_value(values: dict[str, Any], column: str, value: Any) -> None:
    if not is_blank(value):
        values[column] = value.strip() if isinstance(value, str) else value


def join_text(*parts: Any) -> str:
    texts = [clean_text(str(part)) for part in parts if not is_blank(part)]
    if len(texts) == 2 and texts[1].startswith(texts[0]):
        return texts[1]  # help desks often copy the subject into the first line of the description
    return "\n\n".join(texts)


def social_or_other(name: str, platforms: dict[str, str], fallback_platform: str) -> tuple[str, str]:
    platform = platforms.get(name.lower())
    return ("social_media", platform) if platform else ("other", fallback_platform)


SOCIAL_PLATFORMS = {
    "twitter": "Twitter", "facebook": "Facebook", "instagram": "Instagram", "instagram_dm": "Instagram",
    "whatsapp": "WhatsApp", "wechat": "WeChat", "line": "LINE",
}  # fmt: skip
