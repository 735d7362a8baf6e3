"""Zendesk ticket exports (JSON with a "tickets" list, or NDJSON from the incremental export)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from records.formats.base import (
    SOCIAL_PLATFORMS,
    CellError,
    FormatError,
    SourceRow,
    clean_text,
    decode,
    is_blank,
    join_text,
    make_row,
    put_value,
    read_bytes,
    set_value,
    social_or_other,
)
from records.formats.canonical import first_json_line, json_lines

ZENDESK_RESOLUTION_MISSING = "Marked solved in Zendesk; the export did not include the resolution text."
# ---------------------------------------------------------------------------------------------------------------
# Zendesk

_ZENDESK_CHANNELS = {
    "email": "email", "web": "web", "web_form": "web", "help_center": "web", "chat": "online_chat",
    "native_messaging": "online_chat", "voice": "phone", "phone": "phone",
}  # fmt: skip
_ZENDESK_STATUS = {"new": "open", "open": "open", "pending": "pending", "hold": "pending", "solved": "resolved",
                   "closed": "resolved"}  # fmt: skip
_ZENDESK_PRIORITY = {"low": "low", "normal": "medium", "high": "high", "urgent": "urgent"}


def is_zendesk_ticket(item: Any) -> bool:
    return isinstance(item, dict) and ("via" in item or "requester_id" in item) and "external_id" not in item


def looks_like_zendesk(document: Any) -> bool:
    if isinstance(document, dict):
        return isinstance(document.get("tickets"), list) or is_zendesk_ticket(document.get("ticket"))
    return isinstance(document, list) and bool(document) and is_zendesk_ticket(document[0])


def zendesk_document(path: Path) -> tuple[str, Any]:
    """The file's text and its JSON document, or None as document for NDJSON (one ticket per line)."""
    text = decode(read_bytes(path), path.name)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return text, None
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        if is_zendesk_ticket(first_json_line(text)):
            return text, None  # NDJSON saved as .json
        raise FormatError(
            f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            "Export the tickets again; the file may be cut off."
        ) from exc


def read_zendesk(path: Path) -> Iterator[SourceRow]:
    text, document = zendesk_document(path)
    if document is None:  # incremental export: one ticket per line
        tickets: list[tuple[int, Any]] = list(json_lines(text))
        lookups = _ZendeskLookups({})
    else:
        if not looks_like_zendesk(document):
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
    if isinstance(ticket, CellError):
        return make_row(number, {}, {"__line__": [str(ticket)]})
    if not isinstance(ticket, dict):
        return make_row(number, {}, {"__row__": ["Expected a Zendesk ticket object."]})
    values: dict[str, Any] = {"source": "zendesk"}
    errors: dict[str, list[str]] = {}
    ticket_id = ticket.get("id")
    set_value(values, "external_id", None if ticket_id is None else str(ticket_id))
    set_value(values, "problem_description", join_text(ticket.get("subject"), ticket.get("description")))
    set_value(values, "contacted_at", _iso_with_offset(ticket.get("created_at")))
    via = ticket.get("via") if isinstance(ticket.get("via"), dict) else {}
    via_channel = str(via.get("channel") or "").strip()
    if via_channel.lower() in _ZENDESK_CHANNELS:
        values["channel"] = _ZENDESK_CHANNELS[via_channel.lower()]
    else:
        values["channel"], values["channel_platform"] = social_or_other(
            via_channel, SOCIAL_PLATFORMS, f"Zendesk {via_channel}".strip()
        )
    status = str(ticket.get("status") or "").strip().lower()
    set_value(values, "status", _ZENDESK_STATUS.get(status, status))
    priority = str(ticket.get("priority") or "").strip().lower()
    set_value(values, "priority", _ZENDESK_PRIORITY.get(priority, priority))
    put_value(values, errors, "tags", ticket.get("tags"))

    requester = lookups.find(ticket.get("requester"), lookups.users, ticket.get("requester_id"))
    set_value(values, "customer_name", requester.get("name"))
    set_value(values, "customer_email", requester.get("email"))
    set_value(values, "customer_phone", requester.get("phone"))
    assignee = lookups.find(ticket.get("assignee"), lookups.users, ticket.get("assignee_id"))
    set_value(values, "agent", assignee.get("email"))  # the caller maps e-mails to agents (or uses --default-agent)
    set_value(values, "team", lookups.find(ticket.get("group"), lookups.groups, ticket.get("group_id")).get("name"))
    organization = lookups.find(ticket.get("organization"), lookups.organizations, ticket.get("organization_id"))
    if not is_blank(organization.get("name")):
        values["company"], values["customer_type"] = str(organization["name"]).strip(), "enterprise"

    rating = ticket.get("satisfaction_rating") if isinstance(ticket.get("satisfaction_rating"), dict) else {}
    set_value(values, "satisfaction", {"good": 5, "bad": 1}.get(str(rating.get("score") or "").lower()))
    set_value(values, "customer_feedback", rating.get("comment"))
    if values.get("status") == "resolved":
        requester_id = ticket.get("requester_id", requester.get("id"))
        values["resolution"] = _zendesk_resolution(ticket.get("comments"), requester_id) or ZENDESK_RESOLUTION_MISSING
    if values.get("status") == "pending" and not is_blank(ticket.get("due_at")):
        owner = assignee.get("name") or assignee.get("email") or ""
        due = str(ticket["due_at"]).strip()[:10]
        action = f"Follow up Zendesk ticket #{ticket_id}"
        values["follow_ups"] = [{"action": action, "owner": owner, "due": due, "done": False}]
    return make_row(number, values, errors)


def _zendesk_resolution(comments: Any, requester_id: Any) -> str | None:
    """Body of the last public comment not written by the requester, i.e. the agent's final answer."""
    if not isinstance(comments, list):
        return None
    for comment in reversed(comments):
        if not isinstance(comment, dict) or not comment.get("public", True):
            continue
        author = comment.get("author_id")
        body = comment.get("plain_body") or comment.get("body")
        if author is not None and str(author) != str(requester_id) and not is_blank(body):
            return clean_text(str(body))
    return None


def _iso_with_offset(raw: Any) -> str | None:
    """Zendesk's "2024-05-20T06:30:00Z" → "2024-05-20T06:30:00+00:00"; anything unparsable passes through."""
    if is_blank(raw):
        return None
    try:
        return datetime.fromisoformat(str(raw).strip()).isoformat()
    except ValueError:
        return str(raw).strip()
