"""Structured logs: request ids, one access line per request, JSON lines when CONSULTKB_LOG_FORMAT=json."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from flask import Flask, g
from flask_migrate import upgrade

from records.db import db
from records.enums import Role
from records.people import create_user
from web import create_app
from web.config import ConfigError
from web.logging_setup import JsonFormatter, TextFormatter


@pytest.fixture
def json_app(tmp_path: Path):
    """An app logging JSON; its root handler is removed afterwards so the rest of the suite logs as before."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'log.db'}",
        "EMBEDDINGS_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    # The schema first, by a plain app: Alembic's fileConfig replaces the root logger's handlers.
    schema_app = create_app(config)
    with schema_app.app_context():
        upgrade()
        db.engine.dispose()
    root.handlers[:] = handlers
    app = create_app({**config, "LOG_FORMAT": "json"})

    @app.get("/_boom")
    def boom():
        logging.getLogger("consultkb.test").warning("about to fail for %s", "reasons")
        raise RuntimeError("kaput")

    @app.get("/_hello")
    def hello():
        logging.getLogger("consultkb.test").info("你好 %s", "世界")
        return "hi"

    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    root.handlers[:] = handlers
    root.setLevel(level)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_request_id_is_echoed_or_made_up(client):
    given = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.1"})
    made_up = client.get("/healthz")
    hostile = client.get("/healthz", headers={"X-Request-ID": "x\u2028injected line " * 20})

    assert given.headers["X-Request-ID"] == "lb-7f3a.1"
    assert len(made_up.headers["X-Request-ID"]) == 32
    assert hostile.headers["X-Request-ID"] != made_up.headers["X-Request-ID"]
    assert "injected" not in hostile.headers["X-Request-ID"]


def test_access_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="consultkb.access"):
        response = client.get("/api/v1/search?q=13812345678", headers={"X-Request-ID": "req-1"})

    access = [record for record in caplog.records if record.name == "consultkb.access"]
    assert len(access) == 1
    line = json.loads(JsonFormatter().format(access[0]))
    assert line["status"] == response.status_code == 200
    assert isinstance(line["duration_ms"], float)
    # The query string (what customers type: names, phone numbers) stays out of the logs.
    assert "13812345678" not in access[0].getMessage()


def test_json_lines_carry_the_request(json_app: Flask, capsys):
    with json_app.app_context():
        response = json_app.test_client().get("/_hello", headers={"X-Request-ID": "abc-123"})

    assert response.status_code == 200
    lines = json_lines(capsys.readouterr().err)
    mine = [line for line in lines if line.get("request_id") == "abc-123"]
    assert [line["logger"] for line in mine] == ["consultkb.test", "consultkb.access"]
    hello, access = mine
    assert hello["message"] == "你好 世界"
    assert hello["level"] == "INFO"
    assert {hello["method"], hello["path"], hello["user_id"]} == {"GET", "/_hello", None}
    assert hello["time"].endswith("+00:00")
    assert access["status"] == 200 and access["path"] == "/_hello"


def test_json_lines_name_the_signed_in_user(json_app: Flask, capsys):
    with json_app.app_context():
        user = create_user("logwang", role=Role.ADMIN, password="correct-horse-9")
        db.session.commit()
        client = json_app.test_client()
        token = client.post("/api/v1/auth/tokens", json={"username": "logwang", "password": "correct-horse-9"})
        headers = {"Authorization": f"Bearer {token.json['token']}", "X-Request-ID": "who-1"}
        g.pop("_login_user", None)  # as FreshRequestClient does: requests here share one app context
        assert client.get("/api/v1/users", headers=headers).status_code == 200

    access = [line for line in json_lines(capsys.readouterr().err) if line.get("request_id") == "who-1"]
    assert access and access[-1]["user_id"] == user.id


def test_exceptions_are_one_json_line(json_app: Flask, capsys):
    json_app.testing = False  # answer 500 instead of raising into the test
    with json_app.app_context():
        response = json_app.test_client().get("/_boom", headers={"X-Request-ID": "boom-1"})

    assert response.status_code == 500
    lines = [line for line in json_lines(capsys.readouterr().err) if line.get("request_id") == "boom-1"]
    error = next(line for line in lines if line["level"] == "ERROR")
    assert "RuntimeError: kaput" in error["exception"]
    assert lines[-1]["logger"] == "consultkb.access" and lines[-1]["status"] == 500


def test_text_format_shows_the_request_id(app):
    record = logging.LogRecord("consultkb.test", logging.INFO, __file__, 1, "hello", None, None)
    with app.test_request_context("/", headers={"X-Request-ID": "txt-9"}):
        assert "[txt-9]" in TextFormatter().format(record)
    assert "[" not in TextFormatter().format(record)


@pytest.mark.parametrize(("key", "value"), [("LOG_FORMAT", "xml"), ("LOG_LEVEL", "LOUD")])
def test_unknown_log_settings_are_refused(tmp_path, key, value):
    with pytest.raises(ConfigError, match=key):
        create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), key: value})
