"""Sign-in for pages (session cookie) and for the API (bearer tokens), and role checks for views."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, user_logged_out

from records.db import db
from records.enums import Role
from records.models import ApiToken, User
from records.people import end_session
from records.timeutil import utcnow
from web.extensions import login_manager

#: How precisely a token's last use is recorded.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id,
        token_hash=hash_token(token),
        expires_at=utcnow() + timedelta(hours=int(current_app.config["API_TOKEN_HOURS"])),
    )
    db.session.add(record)
    db.session.flush()
    return token, record


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user a session cookie names ("id:version", User.get_id), while active and not signed out since."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


@user_logged_out.connect
def end_session_on_logout(app: Any, user: User | None = None, **extra: Any) -> None:
    # Flask-Login only forgets the cookie's content in this browser; a copy of the cookie must stop working too.
    if isinstance(user, User):
        end_session(user)
        db.session.commit()


@login_manager.request_loader
def load_user_from_token(req: Any) -> User | None:
    token = bearer_token()
    if not token:
        return None
    record = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if record is None or record.revoked or record.expires_at < utcnow() or not record.user.active:
        return None
    now = utcnow()
    # At most one write a minute per token: a read-only API call should not take the database's write lock.
    if record.last_used_at is None or now - record.last_used_at > TOKEN_USE_RESOLUTION:
        record.last_used_at = now
        db.session.commit()
    return record.user


def signed_in_user() -> User | None:
    return current_user if current_user.is_authenticated else None  # type: ignore[return-value]


def roles_required(*roles: Role) -> Callable:
    """Views wrapped with this answer 401 when nobody is signed in and 403 for other roles."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from flask import abort

            user = signed_in_user()
            if user is None:
                return login_manager.unauthorized()
            if roles and user.role not in roles:
                abort(403, description=_l("Your role may not use this."))
            return view(*args, **kwargs)

        return wrapper

    return decorator


STAFF = (Role.AGENT, Role.SUPERVISOR, Role.TRAINER, Role.ADMIN)
RECORD_KEEPERS = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
