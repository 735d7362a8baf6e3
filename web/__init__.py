"""The web layer: app factory, extensions, blueprints, templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, abort, redirect, request, session, url_for
from flask_babel import get_locale

from web.config import load_config
from web.extensions import babel, bootstrap, csrf, db, login_manager, migrate


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, instance_path=_instance_path(config))
    if config and config.get("TESTING"):
        app.testing = True
    load_config(app, dict(config or {}))
    register_extensions(app)
    register_blueprints(app)
    from web.errors import register_errorhandlers

    register_errorhandlers(app)
    register_cli(app)
    return app


def register_cli(app: Flask) -> None:
    from records.cli import demo_cli, records_cli, users_cli

    for group in (users_cli, records_cli, demo_cli):
        app.cli.add_command(group)


def _instance_path(config: Mapping[str, Any] | None) -> str | None:
    import os

    return (config or {}).get("INSTANCE_PATH") or os.environ.get("CONSULTKB_INSTANCE_PATH") or None


def select_locale() -> str:
    chosen = session.get("locale")
    languages = list(_languages())
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def _languages():
    from flask import current_app

    return current_app.config["LANGUAGES"]


def register_extensions(app: Flask) -> None:
    import web.auth  # noqa: F401  (registers the login loaders)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "pages.login"
    login_manager.login_message = None

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            abort(401, description="Sign in: send a bearer token from POST /api/v1/auth/tokens.")
        return redirect(url_for("pages.login", next=request.full_path if request.query_string else request.path))

    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    bootstrap.init_app(app)
    csrf.init_app(app)


def register_blueprints(app: Flask) -> None:
    from web.api import register_api
    from web.pages import register_pages

    register_api(app)
    register_pages(app)


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
