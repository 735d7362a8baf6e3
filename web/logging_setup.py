"""Logs: one JSON object per line in production (CONSULTKB_LOG_FORMAT=json), readable text in development.

Every line written while a request is handled carries its request id (the caller's X-Request-ID, or one made up
here, echoed in the response), method, path and the signed-in user's id; each request ends with one access line
(logger `consultkb.access`) adding the status and the duration. Gunicorn's own access log is left off
(web/gunicorn_conf.py): this line knows the request id and the user, gunicorn's does not.

The handler goes on the root logger once per process and nothing is removed from it, so pytest's log capture (its
own root handler) keeps working; the handler looks up sys.stderr when it writes, not when it is made, because pytest
swaps sys.stderr per test.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

#: A caller's X-Request-ID is taken as it is when it looks like an id (load balancers send UUIDs or hex); anything
#: else (too long, spaces, control characters) would let a client write into our logs, so a new id replaces it.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:@=+/-]{1,128}")
REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_KEY = "consultkb.request_id"
STARTED_KEY = "consultkb.request_started"
LOG_FORMATS = ("text", "json")
#: The fields a log record's `extra` may set that the JSON line shows (beside time, level, logger and message).
EXTRA_FIELDS = ("status", "duration_ms")

access_log = logging.getLogger("consultkb.access")

#: Libraries that log routine steps at INFO: Alembic each plugin it sets up (seven lines before every CLI command's
#: output), faiss how it chose its build ("Could not load library with AVX512 support ... ModuleNotFoundError", which
#: reads like a failure but is not one). Their warnings still show; Alembic's "Running upgrade" lines too.
QUIET_LOGGERS = ("alembic.runtime.plugins", "faiss.loader")


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the moment (pytest replaces it per test)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def request_fields() -> dict:
    """Request id, method, path and user id of the request being handled, or nothing outside a request."""
    if not has_request_context():
        return {}
    # Only a user Flask-Login already loaded: loading one here would query the database from inside logging.
    user = g.get("_login_user")
    user_id = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    return {"request_id": request_id(), "method": request.method, "path": request.path, "user_id": user_id}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        line.update(request_fields())
        for field in EXTRA_FIELDS:
            if hasattr(record, field):
                line[field] = getattr(record, field)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The development format, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        fields = request_fields()
        record.request = f" [{fields['request_id']}]" if fields else ""
        return super().format(record)


def request_id() -> str:
    """This request's id: the caller's X-Request-ID if it looks like one, else a new one (kept for the request)."""
    # In the WSGI environ, not `g`: `g` lives as long as the app context, which may span several requests.
    environ = request.environ
    if REQUEST_ID_KEY not in environ:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        environ[REQUEST_ID_KEY] = given if REQUEST_ID_PATTERN.fullmatch(given) else uuid.uuid4().hex
    return environ[REQUEST_ID_KEY]


def configure_logging(app: Flask) -> None:
    """Install the process's log handler (once) and the request id / access line hooks of this app."""
    log_format = str(app.config.get("LOG_FORMAT") or "text").lower()
    if log_format not in LOG_FORMATS:
        from web.config import ConfigError

        raise ConfigError(f"CONSULTKB_LOG_FORMAT={log_format!r} is not one of {', '.join(LOG_FORMATS)}.")
    level = logging.getLevelName(str(app.config.get("LOG_LEVEL") or "INFO").upper())
    if not isinstance(level, int):
        from web.config import ConfigError

        raise ConfigError(f"CONSULTKB_LOG_LEVEL={app.config.get('LOG_LEVEL')!r} is not a logging level.")

    # The test suite keeps pytest's capture to itself unless a test asks for a format explicitly.
    if log_format == "json" or not app.testing:
        install_handler(JsonFormatter() if log_format == "json" else TextFormatter(), level)
        # The root handler now writes the app's lines too; Flask's own handler would print them a second time.
        app.logger.removeHandler(default_handler)

    app.before_request(_start_request)
    app.after_request(_finish_request)


def install_handler(formatter: logging.Formatter, level: int) -> logging.Handler:
    """The root handler of this process; a second call (another app in the process) only updates it."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _CurrentStderrHandler)), None)
    if handler is None:
        # Gunicorn may already have put a JSON handler on the root logger (its logconfig_dict): keep that one.
        existing = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
        if existing and isinstance(formatter, JsonFormatter):
            return existing[0]
        handler = _CurrentStderrHandler()
        root.addHandler(handler)
    handler.setFormatter(formatter)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return handler


def _start_request() -> None:
    request.environ[STARTED_KEY] = time.perf_counter()
    request_id()


def _finish_request(response):
    response.headers[REQUEST_ID_HEADER] = request_id()
    started = request.environ.get(STARTED_KEY)
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    # The path without its query string: customers type names and phone numbers into the help-center search.
    access_log.info(
        "%s %s %s %s ms",
        request.method,
        request.path,
        response.status_code,
        duration_ms,
        extra={"status": response.status_code, "duration_ms": duration_ms},
    )
    return response


__all__ = ["JsonFormatter", "TextFormatter", "configure_logging", "install_handler", "request_id"]
