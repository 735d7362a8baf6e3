"""The web layer: app factory, extensions, blueprints, templates."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, g, has_request_context, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import refresh as refresh_locale

import jobs.models  # noqa: F401  (jobs tables belong to the metadata migrations compare)
import kb.gaps.models  # noqa: F401  (knowledge gaps, likewise)
import scoring.cases.models  # noqa: F401  (case library tables, likewise)
import text.models  # noqa: F401  (the vector cache, likewise)
from demo.cli import demo_cli, seed_demo_articles_command
from jobs.cli import customers_cli, jobs_cli
from jobs.reports.cli import reports_cli
from kb import search as kb_search
from kb.branding import current_branding, forget_branding
from kb.cli import kb_cli
from records import changes as record_changes
from records.cli import records_cli, users_cli
from scoring import engine as scoring_engine
from scoring.cases.cli import cases_cli
from scoring.cli import scoring_cli
from web import auth  # noqa: F401  (registers the login loaders on login_manager)
from web.api import register_api
from web.config import load_config
from web.errors import is_customer_request, register_errorhandlers
from web.extensions import babel, bootstrap, csrf, db, limiter, login_manager
from web.health import bp as health_bp
from web.logging_setup import configure_logging
from web.pages import register_pages
from web.security_headers import add_security_headers

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    overrides = dict(config or {})
    instance_path = overrides.get("INSTANCE_PATH") or os.environ.get("CONSULTKB_INSTANCE_PATH") or None
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.testing = bool(overrides.get("TESTING"))
    load_config(app, overrides)
    # First, so its request hooks run before any other's (a rate-limited request still gets an id and a log line).
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_cli(app)
    return app


def select_locale() -> str:
    if not has_request_context():
        # Marked domain messages shown by the CLI, jobs and logs: those speak English.
        return "en"
    languages = list(current_app.config["LANGUAGES"])
    if request.path.startswith("/api/"):
        # API clients get English unless they ask for another language; the session's choice is the pages'.
        return request.accept_languages.best_match(languages) or "en"
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    # A customer's status page speaks the language of their record unless they chose another (records.customer_links).
    customer = g.get("customer_locale")
    if customer in languages:
        return customer
    asked = request.accept_languages.best_match(languages)
    if asked:
        return asked
    # Customers' pages speak the help center's default language (an installation's choice, kb/branding.py).
    return current_branding().default_language if is_customer_request() else languages[0]


def forget_customer_locale() -> None:
    g.pop("customer_locale", None)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    if app.config["MIGRATIONS_ENABLED"]:
        # Imported here: Flask-Migrate brings Alembic (about 10 MB), which a web worker never uses.
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "pages.login"
    login_manager.login_message = None
    login_manager.unauthorized_handler(unauthorized)
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel keeps the chosen locale on `g`, which lives as long as the app context: a request run inside a
    # longer one (the test client, a script) must not inherit the locale of the CLI's English or an earlier request.
    app.before_request(refresh_locale)
    # The help center's branding is read once per request; `g` outlives a request in tests and scripts.
    app.before_request(forget_branding)
    # Likewise the language of the customer's record a status page set (web/pages/customer_status.py).
    app.before_request(forget_customer_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    bootstrap.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    app.after_request(add_security_headers)
    # Session listeners, once per process, in this order (SQLAlchemy calls a hook's listeners as registered):
    # 1. records.changes collects the contact days a flush changes and bumps their versions first in before_commit;
    # 2. kb.search brings the search index up to date after a commit;
    # 3. scoring.engine scores the records a transaction changed, in its before_commit. Their days were already
    #    collected from the records' own writes, so the scores' flush needs no second bump.
    record_changes.init_app(app)
    kb_search.init_app(app)
    scoring_engine.init_app(app)


def unauthorized():
    if request.path.startswith("/api/"):
        abort(401, description="Sign in: send a bearer token from POST /api/v1/auth/tokens.")
    return redirect(url_for("pages.login", next=request.full_path if request.query_string else request.path))


def register_blueprints(app: Flask) -> None:
    register_api(app)
    register_pages(app)
    app.register_blueprint(health_bp)


def register_cli(app: Flask) -> None:
    # `consultkb kb seed-demo` lives with the demo (which depends on kb, never the other way) but is listed under kb,
    # where it always was; adding the same command again is harmless.
    kb_cli.add_command(seed_demo_articles_command)
    for group in (
        users_cli,
        records_cli,
        customers_cli,
        demo_cli,
        kb_cli,
        scoring_cli,
        cases_cli,
        jobs_cli,
        reports_cli,
    ):
        app.cli.add_command(group)
