"""/healthz, the gunicorn settings and `consultkb serve` (gunicorn + scheduler under one supervisor)."""

from __future__ import annotations

import http.client
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask

from text.embeddings import get_embedder
from web import create_app

ROOT = Path(__file__).resolve().parents[2]


def other_app(tmp_path: Path, **config) -> Flask:
    settings = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "EMBEDDINGS_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        **config,
    }
    return create_app(settings)


def get_health(app: Flask):
    try:
        with app.app_context():
            return app.test_client().get("/healthz")
    finally:
        with app.app_context():
            from records.db import db

            db.engine.dispose()


def test_healthy_without_signing_in(client, make_article):
    make_article(title="如何重置登录密码")
    client.get("/api/v1/search?q=密码")  # brings the index up to date

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert body["status"] == "ok"
    checks = body["checks"]
    assert checks["database"]["status"] == "ok" and checks["database"]["revision"]
    assert checks["search_index"] == {**checks["search_index"], "status": "ok", "documents": 1, "current": True}
    assert checks["model"]["status"] == "disabled"  # the suite runs BM25 only
    assert all(isinstance(check["ms"], float) for check in checks.values())


def test_index_behind_the_database_is_reported_but_healthy(client, make_article):
    client.get("/api/v1/search?q=密码")
    make_article(title="发票怎么开")  # committed outside a request: this process's index has not caught up yet
    from kb.search import search_service

    search_service().text_index._write_token("stale")

    body = client.get("/healthz").json

    assert body["status"] == "ok"
    assert body["checks"]["search_index"]["current"] is False


def test_model_reported_loadable_without_loading_it(client, app, embeddings, monkeypatch):
    monkeypatch.setattr("text.embeddings._embedders", {})  # as in a fresh worker, even if a test loaded the model

    body = client.get("/healthz").json

    assert body["checks"]["model"]["status"] == "ok"
    assert body["checks"]["model"]["state"] == "loadable"
    with app.app_context():
        assert get_embedder()._model is None


def test_missing_model_directory_degrades_but_stays_up(tmp_path):
    app = other_app(tmp_path, EMBEDDINGS_ENABLED=True, EMBEDDING_MODEL=str(tmp_path / "no-such-model"))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()

    response = get_health(app)

    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["checks"]["model"]["status"] == "fail"
    assert "no-such-model" in response.json["checks"]["model"]["error"]


def test_unreachable_database_fails(tmp_path):
    app = other_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")

    response = get_health(app)

    assert response.status_code == 503
    assert response.json["status"] == "fail"
    assert response.json["checks"]["database"]["status"] == "fail"


def test_database_without_schema_fails(tmp_path):
    response = get_health(other_app(tmp_path))

    assert response.status_code == 503
    assert "consultkb db upgrade" in response.json["checks"]["database"]["error"]


def test_unreadable_index_fails(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the index directory should be")
    app = other_app(tmp_path, DATA_DIR=str(blocker))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()

    response = get_health(app)

    assert response.status_code == 503
    assert response.json["checks"]["database"]["status"] == "ok"
    assert response.json["checks"]["search_index"]["status"] == "fail"


def test_health_is_exempt_from_csrf(tmp_path):
    app = other_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    assert get_health(app).status_code == 200


# ----- gunicorn settings --------------------------------------------------------------------------------------------


def load_gunicorn_conf(monkeypatch, **env):
    for name in ("CONSULTKB_WEB_WORKERS", "CONSULTKB_BIND", "CONSULTKB_WEB_TIMEOUT", "CONSULTKB_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # The module sets thread counts in os.environ for the workers; keep the test process's own.
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(name, os.environ.get(name, "1"))
    import web.gunicorn_conf

    return importlib.reload(web.gunicorn_conf)


def test_gunicorn_settings_from_the_environment(monkeypatch):
    conf = load_gunicorn_conf(
        monkeypatch, CONSULTKB_WEB_WORKERS="3", CONSULTKB_BIND="0.0.0.0:9000", CONSULTKB_LOG_FORMAT="json"
    )

    assert (conf.workers, conf.bind, conf.preload_app, conf.accesslog) == (3, "0.0.0.0:9000", False, None)
    assert conf.logconfig_dict["formatters"]["json"]["()"] == "web.logging_setup.JsonFormatter"


def test_gunicorn_defaults(monkeypatch):
    conf = load_gunicorn_conf(monkeypatch)

    assert conf.bind == "127.0.0.1:8000"
    assert conf.workers == conf.default_workers()
    assert conf.logconfig_dict == {}
    assert conf.default_workers(cores=2) == 5
    assert conf.default_workers(cores=64) == conf.MAX_DEFAULT_WORKERS
    assert conf.torch_threads(4, cores=2) == 1
    assert conf.torch_threads(1, cores=8) == 8


def test_gunicorn_rejects_a_bad_worker_count(monkeypatch):
    with pytest.raises(SystemExit, match="CONSULTKB_WEB_WORKERS"):
        load_gunicorn_conf(monkeypatch, CONSULTKB_WEB_WORKERS="many")


# ----- consultkb serve ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_health(port: int, server: subprocess.Popen) -> http.client.HTTPResponse:
    # A bound on waiting, not a timed assertion: a slow machine only waits longer.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/healthz", headers={"X-Request-ID": "probe-42"})
            response = connection.getresponse()
            response.body = response.read()
            connection.close()
            return response
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"`consultkb serve` did not answer (exit code {server.poll()}).")


def test_serve_runs_web_and_scheduler_and_stops_both(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "CONSULTKB_INSTANCE_PATH": str(tmp_path),
        "CONSULTKB_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'serve.db'}",
        "CONSULTKB_SECRET_KEY": "test-only-secret",
        "CONSULTKB_DEV": "0",
        "CONSULTKB_EMBEDDINGS_ENABLED": "0",
        "CONSULTKB_LOG_FORMAT": "json",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            response = wait_for_health(port, server)
            assert response.status == 200, response.body
            assert json.loads(response.body)["status"] == "ok"
            assert response.getheader("X-Request-ID") == "probe-42"
            # The scheduler starts beside gunicorn, not before it: wait (bounded) for its first line.
            deadline = time.monotonic() + 120
            while '"jobs.scheduling"' not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
                assert server.poll() is None, log.read_text(encoding="utf-8")
                time.sleep(0.3)
        finally:
            server.send_signal(signal.SIGTERM)
            code = server.wait(timeout=90)
    lines = log.read_text(encoding="utf-8").splitlines()
    assert code == 0, lines
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    access = [entry for entry in entries if entry["logger"] == "consultkb.access"]
    assert access and access[0]["request_id"] == "probe-42" and access[0]["status"] == 200
    loggers = {entry["logger"] for entry in entries}
    assert "jobs.scheduling" in loggers  # the scheduler ran beside gunicorn
    assert "gunicorn.error" in loggers  # gunicorn's own lines are JSON too
    assert not any(entry["logger"] == "gunicorn.access" for entry in entries)


def test_serve_stops_when_the_web_server_cannot_start(tmp_path):
    env = {
        **os.environ,
        "CONSULTKB_INSTANCE_PATH": str(tmp_path),
        "CONSULTKB_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'serve.db'}",
        "CONSULTKB_SECRET_KEY": "test-only-secret",
        "CONSULTKB_DEV": "0",
        "CONSULTKB_WEB_WORKERS": "none",  # gunicorn refuses to start: the scheduler must not keep running alone
    }
    result = subprocess.run(
        [sys.executable, "-m", "web.cli", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert "CONSULTKB_WEB_WORKERS" in result.stderr
    assert "web exited" in result.stderr and "stopping the rest" in result.stderr


def test_serve_needs_a_secret_key_in_production(tmp_path):
    env = {**os.environ, "CONSULTKB_INSTANCE_PATH": str(tmp_path), "CONSULTKB_DEV": "0"}
    env.pop("CONSULTKB_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "web.cli", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert "CONSULTKB_SECRET_KEY" in result.stderr
    assert "started web" not in result.stderr


@pytest.mark.model
def test_a_worker_is_ready_to_search_before_its_first_request(client, app, embeddings, monkeypatch):
    monkeypatch.setattr("text.embeddings._embedders", {})  # a fresh worker
    assert client.get("/healthz").json["checks"]["model"]["ready"] is False

    from types import SimpleNamespace

    from web.gunicorn_conf import post_worker_init

    post_worker_init(SimpleNamespace(wsgi=app))  # what gunicorn calls once the worker has created the app

    model = client.get("/healthz").json["checks"]["model"]
    assert model["ready"] is True
    assert {name: check["state"] for name, check in model["models"].items()} == {
        "english": "loaded",
        "chinese": "loaded",
    }
