"""The record form: posted fields → RecordInputSchema / RecordUpdateSchema input, and errors back to form fields.

The schemas do all validation; this module only reshapes what the browser sends and what the schemas answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from records.enums import Channel
from records.importing import CUSTOMER_COLUMNS, canonical_to_input
from records.models import Record
from records.schemas import record_rule_errors
from records.timeutil import format_local, utcnow
from web.pages.forms import form_errors

#: Flat customer inputs of the new-record form; canonical_to_input nests them under "customer".
CUSTOMER_FIELDS = (
    "customer_name",
    "customer_phone",
    "customer_email",
    "customer_type",
    "company",
    "industry",
    "customer_tier",
)

RECORD_FIELDS = (
    "contacted_at",
    "channel",
    "channel_platform",
    "duration_minutes",
    "category",
    "subcategory",
    "tags",
    "priority",
    "problem_description",
    "customer_request",
    "key_details",
    "emotion",
    "handling_steps",
    "resolution",
    "status",
    "satisfaction",
    "satisfaction_efficiency",
    "satisfaction_resolution",
    "satisfaction_attitude",
    "customer_feedback",
    "related",
)

NEW_ONLY_FIELDS = ("agent", "assignee", "customer_no", *CUSTOMER_FIELDS)

#: Repeated rows and their columns; inputs are named like "follow_ups-0-owner".
ROW_COLUMNS: dict[str, tuple[str, ...]] = {
    "attachments": ("type", "obtained_via", "note"),
    "collaboration": ("department", "ticket_no", "note"),
    "follow_ups": ("action", "owner", "due"),
}

#: Fields an edit may empty: a blank input there means "clear it", not "leave unchanged" as the schema reads it.
CLEARABLE_FIELDS = (
    "channel_platform",
    "duration_minutes",
    "category",
    "subcategory",
    "customer_request",
    "key_details",
    "emotion",
    "handling_steps",
    "resolution",
    "satisfaction",
    "satisfaction_efficiency",
    "satisfaction_resolution",
    "satisfaction_attitude",
    "customer_feedback",
)
#: Required fields; blank on edit becomes None so the schema reports them instead of silently keeping the old value.
REQUIRED_FIELDS = ("contacted_at", "channel", "status", "problem_description")

_ROW_NAME = re.compile(r"^(?P<group>[a-z_]+)-(?P<index>\d{1,3})-(?P<column>[a-z_]+)$")


def field_labels() -> dict[str, str]:
    """Labels of the record template (客户交流记录表) in the UI language, by form field and error key."""
    return {
        "customer": _("Customer"),
        "customer_no": _("Existing customer number"),
        "customer_name": _("Customer name"),
        "customer_phone": _("Phone"),
        "customer_email": _("Email"),
        "customer_type": _("Customer type"),
        "company": _("Company name"),
        "industry": _("Industry"),
        "customer_tier": _("Customer tier"),
        "contacted_at": _("Contact time"),
        "channel": _("Channel"),
        "channel_platform": _("Platform"),
        "duration_minutes": _("Duration (minutes)"),
        "agent": _("Agent"),
        "assignee": _("Handled by"),
        "team": _("Team"),
        "category": _("Problem type"),
        "subcategory": _("Subcategory"),
        "tags": _("Tags"),
        "priority": _("Priority"),
        "problem_description": _("Problem description"),
        "customer_request": _("Customer request"),
        "key_details": _("Key details"),
        "attachments": _("Attachments"),
        "type": _("Attachment type"),
        "obtained_via": _("Obtained via"),
        "emotion": _("Customer emotion"),
        "handling_steps": _("Handling steps"),
        "collaboration": _("Internal collaboration"),
        "department": _("Department"),
        "ticket_no": _("Ticket no."),
        "note": _("Note"),
        "resolution": _("Resolution"),
        "status": _("Result status"),
        "satisfaction": _("Customer satisfaction"),
        "satisfaction_efficiency": _("Service efficiency"),
        "satisfaction_resolution": _("Problem-solving ability"),
        "satisfaction_attitude": _("Friendliness"),
        "customer_feedback": _("Customer feedback"),
        "follow_ups": _("Follow-up plan"),
        "action": _("Follow-up action"),
        "owner": _("Owner"),
        "due": _("Due date"),
        "related": _("Related records"),
    }


@dataclass
class RecordForm:
    """What the form shows: raw text per field, repeated rows, and messages by error key ("follow_ups.0.owner")."""

    values: dict[str, str] = field(default_factory=dict)
    rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def error(self, key: str) -> list[str]:
        return self.errors.get(key, [])

    def rows_for_display(self, group: str, minimum: int) -> list[dict[str, str]]:
        rows = list(self.rows.get(group, []))
        blank = dict.fromkeys(ROW_COLUMNS[group], "")
        return rows + [dict(blank) for _ in range(max(0, minimum - len(rows)))]

    def summary(self) -> list[tuple[str, str]]:
        """(label, message) for the alert above the form."""
        labels = field_labels()
        items = []
        for key, messages in self.errors.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[1].isdigit():  # a repeated row: "Follow-up plan 1 · Owner"
                label = f"{labels.get(parts[0], parts[0])} {int(parts[1]) + 1} · {labels.get(parts[2], parts[2])}"
            else:
                label = labels.get(form_field(parts), "")
            items.extend((label, message) for message in messages)
        return items


def form_field(parts: list[str]) -> str:
    """The form input behind an error key: customer.name → customer_name."""
    if parts[0] == "customer" and len(parts) > 1:
        by_target = {target: column for column, target in CUSTOMER_COLUMNS.items()}
        return by_target.get(parts[1], parts[1])
    return parts[-1]


def read_form(posted: MultiDict, *, new: bool) -> RecordForm:
    names = RECORD_FIELDS + (NEW_ONLY_FIELDS if new else ())
    values = {name: _clean(posted.get(name, "")) for name in names}
    rows = {group: _read_rows(posted, group, columns) for group, columns in ROW_COLUMNS.items()}
    return RecordForm(values=values, rows=rows)


def _clean(text: str) -> str:
    # Browsers send textarea line breaks as CRLF.
    return text.replace("\r\n", "\n").strip()


def _read_rows(posted: MultiDict, group: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    by_index: dict[int, dict[str, str]] = {}
    for name in posted:
        match = _ROW_NAME.match(name)
        if match and match["group"] == group and match["column"] in columns:
            by_index.setdefault(int(match["index"]), {})[match["column"]] = _clean(posted.get(name, ""))
    rows = [{column: row.get(column, "") for column in columns} for _, row in sorted(by_index.items())]
    # Blank rows are the spare rows of the form, not entries.
    return [row for row in rows if any(row.values())]


def schema_input(form: RecordForm, *, new: bool) -> dict[str, Any]:
    """The form as the schema loads it: nested customer, lists of rows, datetime-local turned into local time."""
    values: dict[str, Any] = dict(form.values)
    values["contacted_at"] = values.get("contacted_at", "").replace("T", " ")
    rows = {group: [_without_blanks(row) for row in form.rows.get(group, [])] for group in ROW_COLUMNS}
    if new:
        values = {name: value for name, value in values.items() if value}
        data = canonical_to_input(values)
        if data.get("customer_no"):
            # The number picks a known customer; with details the service would create one under a typed number.
            data.pop("customer", None)
        data.update({group: items for group, items in rows.items() if items})
        return data
    for name in CLEARABLE_FIELDS + REQUIRED_FIELDS:
        if not values.get(name):
            values[name] = None
    values["tags"] = values.get("tags") or []
    if not values.get("related"):
        values.pop("related", None)  # an edit only adds related records
    values["attachments"] = rows["attachments"]
    values["collaboration"] = rows["collaboration"]
    if rows["follow_ups"]:
        values["follow_ups"] = rows["follow_ups"]  # an edit adds follow-ups; existing ones are marked done apart
    return values


def _without_blanks(row: dict[str, str]) -> dict[str, str]:
    return {column: value for column, value in row.items() if value}


def record_form_errors(error: ValidationError, *, with_rules: bool = False) -> dict[str, list[str]]:
    """Messages by error key ("follow_ups.0.owner": RecordForm.summary labels the row). `with_rules` adds the
    cross-field rules for the fields that did load.

    Marshmallow skips the schema's cross-field rules when a field fails; checking them on the valid part lets the form
    show every problem at once instead of one round at a time.
    """
    grouped = form_errors(error, input_for=str)
    if with_rules and isinstance(error.valid_data, dict):
        for key, rule_messages in record_rule_errors(error.valid_data).items():
            if not any(known == key or known.startswith(f"{key}.") for known in grouped):
                grouped[key] = [str(message) for message in rule_messages]
    return grouped


#: What a link may prefill in a new record (the incoming-call page: channel phone, the call's time, the number).
PREFILL_FIELDS = ("customer_no", "customer_phone", "channel", "contacted_at")
_LOCAL_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")


def blank_form(prefill: Mapping[str, str] | None = None) -> RecordForm:
    """A new record's form: now, medium priority, open; `prefill` (query arguments) may set PREFILL_FIELDS.

    A value that does not fit its input is left out rather than refused: the link only saves typing.
    """
    values = {
        "contacted_at": format_local(utcnow()).replace(" ", "T"),
        "priority": "medium",
        "status": "open",
        "customer_type": "individual",
        "customer_tier": "regular",
        "customer_no": "",
    }
    given = {name: str((prefill or {}).get(name, "")).strip()[:40] for name in PREFILL_FIELDS}
    if given["customer_no"]:
        values["customer_no"] = given["customer_no"]
    if given["customer_phone"] and not given["customer_no"]:
        values["customer_phone"] = given["customer_phone"]
    if given["channel"] in Channel.values():
        values["channel"] = given["channel"]
    if _LOCAL_MINUTE.match(given["contacted_at"]):
        values["contacted_at"] = given["contacted_at"]
    return RecordForm(values=values)


def form_from_record(record: Record) -> RecordForm:
    """The stored, unmasked values: whoever edits must see what is saved, or masked text would be saved back."""
    values = {name: _text(getattr(record, name, None)) for name in RECORD_FIELDS if name not in ("tags", "related")}
    values["contacted_at"] = format_local(record.contacted_at).replace(" ", "T")
    values["tags"] = ", ".join(record.tags or [])
    values["related"] = ""
    rows = {
        group: _stored_rows(getattr(record, group), ROW_COLUMNS[group]) for group in ("attachments", "collaboration")
    }
    return RecordForm(values=values, rows=rows)


def _stored_rows(items: list[dict] | None, columns: tuple[str, ...]) -> list[dict[str, str]]:
    return [{column: _text(item.get(column)) for column in columns} for item in items or []]


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(getattr(value, "value", value))
