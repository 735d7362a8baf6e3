"""Errors as JSON for the API (field messages, right status codes) and as pages elsewhere."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import (
    Conflict,
    Forbidden,
    HTTPException,
    InternalServerError,
    NotFound,
    UnprocessableEntity,
)

from records.access import NotFound as RecordNotFound
from records.access import PermissionDenied
from records.db import db


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def refuse_nul_characters() -> None:
    """PostgreSQL text cannot hold U+0000: refused as bad input here instead of failing in the database (a 500)."""
    body = request.get_json(silent=True) if request.is_json else None
    sent = (body, request.args.to_dict(flat=False), request.form.to_dict(flat=False), request.view_args or {})
    if any(_holds_nul(part) for part in sent):
        raise UnprocessableEntity(description="Text must not contain the NUL character (U+0000).")


def register_errorhandlers(app: Flask) -> None:
    app.before_request(refuse_nul_characters)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if wants_json():
            payload = {"code": error.code, "status": error.name, "message": error.description}
            data = getattr(error, "data", None) or {}
            if "message" in data:
                payload["message"] = data["message"]
            errors = data.get("errors") or data.get("messages")
            if errors:
                payload["errors"] = errors
            # Keep the exception's own headers (e.g. Allow on 405, Retry-After on 429).
            headers = {**dict(error.get_headers()), **(data.get("headers") or {})}
            headers.pop("Content-Type", None)
            return jsonify(payload), error.code, headers
        return render_template("error.html", error=error), error.code

    @app.errorhandler(PermissionDenied)
    def permission_denied(error: PermissionDenied):
        db.session.rollback()
        return http_error(Forbidden(description=str(error)))

    @app.errorhandler(RecordNotFound)
    def not_found(error: RecordNotFound):
        db.session.rollback()
        return http_error(NotFound(description=str(error)))

    @app.errorhandler(ValidationError)
    def invalid(error: ValidationError):
        # Rules checked by the service layer (beyond the schema) land here; nothing of the request was committed.
        db.session.rollback()
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        if wants_json():
            body = {"code": 422, "status": "Unprocessable Entity", "errors": {"json": messages}}
            return jsonify(body), 422
        return render_template("error.html", error=_Unprocessable(messages)), 422

    @app.errorhandler(IntegrityError)
    def conflict(error: IntegrityError):
        # A constraint the service layer checks lost a race with another request: nothing was written.
        db.session.rollback()
        return http_error(Conflict(description="The change conflicts with data saved meanwhile; reload and retry."))

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        db.session.rollback()
        return http_error(error)


class _Unprocessable(HTTPException):
    code = 422
    name = "Unprocessable Entity"

    def __init__(self, messages: dict):
        super().__init__(
            description="; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in messages.items())
        )
