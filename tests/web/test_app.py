"""The app factory: configuration precedence, the secret-key rule, the CLI entry point."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from web import create_app
from web.cli import main
from web.config import ConfigError


def test_production_without_secret_key_refuses(tmp_path, monkeypatch):
    monkeypatch.delenv("CONSULTKB_SECRET_KEY", raising=False)
    monkeypatch.delenv("CONSULTKB_DEV", raising=False)
    with pytest.raises(ConfigError, match="CONSULTKB_SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_dev_mode_generates_a_lasting_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("CONSULTKB_SECRET_KEY", raising=False)
    monkeypatch.setenv("CONSULTKB_DEV", "1")
    first = create_app({"INSTANCE_PATH": str(tmp_path)})
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_defaults_then_environment_then_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("CONSULTKB_SECRET_KEY", "from-environment")
    monkeypatch.setenv("CONSULTKB_TIMEZONE", "Europe/London")
    monkeypatch.setenv("CONSULTKB_DATA_DIR", str(tmp_path / "elsewhere"))
    app = create_app({"INSTANCE_PATH": str(tmp_path), "TIMEZONE": "UTC"})
    assert app.config["SECRET_KEY"] == "from-environment"
    assert app.config["TIMEZONE"] == "UTC"
    assert app.config["DATA_DIR"] == str(tmp_path / "elsewhere")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'consultkb.db'}"
    assert app.config["API_TOKEN_HOURS"] == 24 * 7


def test_consultkb_command_lists_the_admin_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("CONSULTKB_DEV", "1")
    monkeypatch.setenv("CONSULTKB_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("db", "users", "records", "demo", "run"):
        assert f"  {command} " in result.output


def test_pages_load_no_assets_from_other_hosts(client):
    page = client.get("/login").get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="([^"#][^"]*)"', page)
    assert any(asset.endswith("bootstrap.min.css") for asset in assets)
    for asset in assets:
        if asset.startswith("data:"):
            continue  # inline (the empty favicon): nothing is fetched
        assert asset.startswith("/") and not asset.startswith("//"), asset
        if asset.startswith(("/bootstrap/static/", "/static/")):
            with client.get(asset) as response:
                assert response.status_code == 200, asset
