"""The audit log: who created, changed, revealed, exported or deleted what, and when."""

from __future__ import annotations

from typing import Any

from records.db import db
from records.models import AuditLog, User


def log(actor: User | str | None, action: str, obj: Any = None, **details: Any) -> AuditLog:
    """Add an audit entry to the session; it commits with the change it describes."""
    user = actor if isinstance(actor, User) else None
    entry = AuditLog(
        user_id=user.id if user else None,
        actor=user.username if user else (actor or "system"),
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None and not isinstance(obj, str) else (obj or ""),
        object_id=str(getattr(obj, "number", None) or getattr(obj, "username", None) or getattr(obj, "id", "") or "")
        if obj is not None and not isinstance(obj, str)
        else None,
        details=details,
    )
    db.session.add(entry)
    return entry
