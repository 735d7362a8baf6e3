"""Errors as JSON for the API (field messages, right status codes) and as pages elsewhere."""

from __future__ import annotations

import re
from typing import Any, NoReturn

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import (
    BadRequest,
    Conflict,
    Forbidden,
    HTTPException,
    InternalServerError,
    NotFound,
    PreconditionFailed,
    UnprocessableEntity,
    default_exceptions,
)

from records.access import NotFound as RecordNotFound
from records.access import PermissionDenied
from records.db import db
from records.versioning import StaleVersion


def wants_json() -> bool:
    return request.path.startswith("/api/")


#: Staff pages under /help; everything else there is the customers'.
STAFF_HELP_PATHS = ("/help/insights",)


def is_customer_request() -> bool:
    """A page customers see: the help center, or any page answered to someone not signed in (a mistyped address,
    a link from an old e-mail) except the staff sign-in itself."""
    path = request.path
    if path.startswith("/help") and not path.startswith(STAFF_HELP_PATHS):
        return True
    if path.startswith("/api/") or request.endpoint == "pages.login":
        return False
    return not current_user.is_authenticated


#: What an error page says, per status code, in the visitor's language: werkzeug's names and descriptions
#: ("404 Not Found") are English.
ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Reload the page and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("This page does not exist.")),
    405: (_l("Not allowed"), _l("This page cannot be used this way.")),
    412: (_l("Changed meanwhile"), _l("Someone else changed this meanwhile. Reload it and make your change again.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    422: (_l("Please check your input"), _l("Some of what you entered cannot be used.")),
    429: (_l("Too many requests"), _l("You have made too many requests. Please wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("Something went wrong on our side. Please try again later.")),
    503: (_l("Temporarily unavailable"), _l("This service is temporarily unavailable. Please try again later.")),
}


def error_texts(error: HTTPException) -> tuple[str, str]:
    """(title, explanation) of an error page in the UI language."""
    title, text = ERROR_TEXTS.get(error.code or 500, ERROR_TEXTS[500 if (error.code or 500) >= 500 else 400])
    if error.code == 404 and request.endpoint == "help.article":
        text = _l("This article does not exist or is no longer published.")
    return str(title), str(text)


def customer_abort(code: int, message: str) -> NoReturn:
    """Refuse a customer's request with a message written for them (already translated), shown on the error page;
    other descriptions (English, for staff and logs) are not shown to customers."""
    error = default_exceptions[code](description=message)
    error.customer_message = message  # type: ignore[attr-defined]
    raise error


#: JSON nested deeper than this is refused with a 400: the API's bodies nest four levels at most (a record, its
#: follow-ups, one follow-up, its fields), and thousands of levels would exhaust Python's recursion limit (a 500).
MAX_JSON_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


def _input_problem(values: Any) -> HTTPException | None:
    """What makes the sent values unstorable: too deep, a NUL (PostgreSQL text cannot hold U+0000), or a lone UTF-16
    surrogate ("\\ud800" in JSON decodes to a str no database encoding can write). Walked without recursion."""
    pending = [(values, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return BadRequest(description=f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.")
        if isinstance(value, str):
            if "\x00" in value:
                return UnprocessableEntity(description="Text must not contain the NUL character (U+0000).")
            if _SURROGATE.search(value):
                return UnprocessableEntity(
                    description="Text must not contain a lone surrogate (\\ud800-\\udfff): it is not a character."
                )
        elif isinstance(value, dict):
            pending.extend((part, depth + 1) for item in value.items() for part in item)
        elif isinstance(value, list | tuple):
            pending.extend((item, depth + 1) for item in value)
    return None


def _json_body() -> Any:
    if not request.is_json:
        return None
    try:
        return request.get_json(silent=True)
    except RecursionError:
        # The parser gave up before MAX_JSON_DEPTH was even checked: the same answer.
        raise BadRequest(description=f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.") from None


def refuse_unstorable_input() -> None:
    """Input the database cannot store or Python cannot walk is refused as bad input here, not as a 500 later."""
    # The sent parts sit at depth 0 and 1 of this tuple; the JSON body's own top level is at 1.
    sent = (_json_body(), request.args.to_dict(flat=False), request.form.to_dict(flat=False), request.view_args or {})
    problem = _input_problem(sent)
    if problem:
        raise problem


def register_errorhandlers(app: Flask) -> None:
    app.before_request(refuse_unstorable_input)

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
        headers = {key: value for key, value in error.get_headers() if key.lower() in ("allow", "retry-after")}
        title, text = error_texts(error)
        if is_customer_request():
            message = getattr(error, "customer_message", None)
            page = render_template("help/error.html", error=error, title=title, text=text, message=message)
        else:
            page = render_template("error.html", error=error, title=title, text=text)
        return page, error.code, headers

    @app.errorhandler(PermissionDenied)
    def permission_denied(error: PermissionDenied):
        db.session.rollback()
        return http_error(Forbidden(description=str(error)))

    @app.errorhandler(RecordNotFound)
    def not_found(error: RecordNotFound):
        db.session.rollback()
        return http_error(NotFound(description=str(error)))

    @app.errorhandler(StaleVersion)
    def stale(error: StaleVersion):
        # If-Match named an older version: nothing of the request was written.
        db.session.rollback()
        failed = PreconditionFailed(
            description="The resource was changed by someone else meanwhile (If-Match does not match its current "
            f"ETag {error.current_etag}). Read it again and redo your change."
        )
        body, status, headers = http_error(failed)
        return body, status, {**headers, "ETag": error.current_etag}

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
