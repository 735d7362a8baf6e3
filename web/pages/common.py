"""Small pieces the record and customer pages share."""

from __future__ import annotations

from typing import Any

from records.access import can_view_record
from records.models import Record, User
from records.timeutil import format_local
from web.auth import signed_in_user


def current_user_required() -> User:
    user = signed_in_user()
    assert user is not None  # roles_required ran first
    return user


def history_row(record: Record, viewer: User) -> dict[str, Any]:
    """One line of a history: nothing personal, so anyone who sees the list may see the line; the link needs access."""
    return {
        "number": record.number,
        "contacted_local": format_local(record.contacted_at),
        "channel": record.channel.value,
        "category": record.category,
        "subcategory": record.subcategory,
        "status": record.status.value,
        "agent_name": record.agent.display_name,
        "linked": can_view_record(viewer, record),
    }
