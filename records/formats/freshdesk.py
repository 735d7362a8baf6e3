"""Freshdesk's CSV ticket export."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from records.formats.base import (
    SOCIAL_PLATFORMS,
    FormatError,
    SourceRow,
    clean_text,
    is_blank,
    join_text,
    make_row,
    put_value,
    set_value,
    social_or_other,
)
from records.formats.canonical import read_csv_records

FRESHDESK_RESOLUTION_MISSING = "Marked resolved in Freshdesk; the export did not include the resolution text."
# ---------------------------------------------------------------------------------------------------------------
# Freshdesk

_FRESHDESK_STATUS = {"open": "open", "pending": "pending", "waiting on customer": "pending",
                     "waiting on third party": "pending", "resolved": "resolved", "closed": "resolved"}  # fmt: skip
_FRESHDESK_CHANNELS = {"email": "email", "outbound email": "email", "portal": "web", "feedback widget": "web",
                       "phone": "phone", "chat": "online_chat"}  # fmt: skip
_FRESHDESK_SATISFACTION = {"extremely happy": 5, "happy": 4, "neutral": 3, "unhappy": 2, "extremely unhappy": 1,
                           "awesome": 5, "just okay": 3, "not good": 1}  # fmt: skip


def read_freshdesk(path: Path) -> Iterator[SourceRow]:
    header, rows = read_csv_records(path)
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault(str(name).strip().lower(), index)
    if "ticket id" not in columns:
        raise FormatError(
            f"{path.name}: a Freshdesk ticket export needs a 'Ticket ID' column. Export the tickets from Freshdesk "
            "as CSV again, or use --format csv for canonical columns."
        )
    return (_freshdesk_row(number, columns, cells) for number, cells in rows if not all(map(is_blank, cells)))


def _freshdesk_row(number: int, columns: dict[str, int], cells: Sequence[str]) -> SourceRow:
    def cell(*names: str) -> str:
        for name in names:
            index = columns.get(name)
            if index is not None and index < len(cells) and cells[index].strip():
                return clean_text(cells[index])
        return ""

    values: dict[str, Any] = {"source": "freshdesk"}
    errors: dict[str, list[str]] = {}
    ticket_id, agent = cell("ticket id"), cell("agent")
    set_value(values, "external_id", ticket_id)
    set_value(values, "problem_description", join_text(cell("subject"), cell("description")))
    status = cell("status")
    set_value(values, "status", _FRESHDESK_STATUS.get(status.lower(), status))
    priority = cell("priority")
    set_value(
        values, "priority", priority.lower() if priority.lower() in ("low", "medium", "high", "urgent") else priority
    )
    source = cell("source")
    if source.lower() in _FRESHDESK_CHANNELS:
        values["channel"] = _FRESHDESK_CHANNELS[source.lower()]
    else:
        values["channel"], values["channel_platform"] = social_or_other(
            source, SOCIAL_PLATFORMS, f"Freshdesk {source}".strip()
        )
    set_value(values, "agent", agent)
    set_value(values, "team", cell("group"))
    set_value(values, "contacted_at", _freshdesk_time(cell("created time"), "%Y-%m-%d %H:%M"))
    put_value(values, errors, "tags", cell("tags"))
    if cell("type"):  # Freshdesk's ticket type (Question, Refund, ...) has no canonical column; keep it findable
        values["tags"] = [*values.get("tags", []), f"type:{cell('type')}"]
    set_value(values, "customer_name", cell("full name", "contact name", "requester name"))
    set_value(values, "customer_email", cell("email"))
    set_value(values, "customer_phone", cell("work phone", "phone", "mobile phone"))
    if cell("company name"):
        values["company"], values["customer_type"] = cell("company name"), "enterprise"
    rating = cell("satisfaction rating", "survey results")
    numeric_rating = int(rating) if rating.isdigit() else rating  # out-of-range numbers are the schema's to reject
    set_value(values, "satisfaction", _FRESHDESK_SATISFACTION.get(rating.lower(), numeric_rating))
    if values.get("status") == "resolved":
        values["resolution"] = cell("resolution", "resolution note", "resolution notes") or FRESHDESK_RESOLUTION_MISSING
    due = cell("due by time")
    if values.get("status") == "pending" and due:
        action = f"Follow up Freshdesk ticket #{ticket_id}"
        values["follow_ups"] = [
            {"action": action, "owner": agent, "due": _freshdesk_time(due, "%Y-%m-%d"), "done": False}
        ]
    return make_row(number, values, errors)


def _freshdesk_time(raw: str, output: str) -> str:
    """Freshdesk writes "2024-05-20 14:30:00"; other shapes pass through for the schema to judge."""
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, pattern).strftime(output)
        except ValueError:
            continue
    return raw
