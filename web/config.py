"""Configuration: these defaults < CONSULTKB_* environment variables < overrides passed to create_app."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from kb.branding import check_config as check_branding


class DefaultConfig:
    #: Development mode (`make run`): a secret key is generated into the instance folder if none is given.
    DEV = False
    SECRET_KEY: str | None = None
    #: Empty means SQLite in the instance folder (instance/consultkb.db).
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    #: Where the search index, vectors and reports live; empty means instance/data.
    DATA_DIR: str | None = None
    #: Whether the app carries Flask-Migrate (`consultkb db …`, `flask_migrate.upgrade`). Web workers (wsgi.py) go
    #: without: `consultkb serve` upgrades the database before it starts them, and Alembic costs each ~10 MB.
    MIGRATIONS_ENABLED = True
    #: Contact times without an offset are read in, and all times shown in, this timezone.
    TIMEZONE = "Asia/Shanghai"
    #: A JSON file with the two-level problem taxonomy; empty means the shipped one (records/default_taxonomy.json).
    TAXONOMY_FILE: str | None = None
    #: Requests and uploads larger than this get 413; 16 MB fits a year of a small team's CSV export.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    #: Bearer tokens from POST /api/v1/auth/tokens expire after this many hours.
    API_TOKEN_HOURS = 24 * 7
    # Babel resolves zh_CN to zh_Hans_CN, so the Chinese catalog lives in web/translations/zh_Hans_CN.
    LANGUAGES = ("zh_CN", "en")
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    RECORDS_PER_PAGE = 25
    #: Semantic (vector) search beside BM25; off means BM25 only, and no model is ever loaded.
    EMBEDDINGS_ENABLED = True
    #: A sentence-transformers model directory on this machine; empty means the packaged all-MiniLM-L6-v2.
    EMBEDDING_MODEL: str | None = None
    #: Publishing an article needs a reviewer other than its author; administrators may turn this off.
    KB_REQUIRE_SEPARATE_REVIEWER = True
    #: Who takes the help center's "still need help?" contact requests: a username, agent code (工号) or e-mail of
    #: an active agent, supervisor or administrator. Empty (or not such a user) means the active agent with the
    #: fewest open records.
    SELF_SERVICE_AGENT: str | None = None
    #: The self-service figures (kb/insights.py): a contact request within this many days after an article view makes
    #: the view a failed deflection; public articles with no view for SELF_SERVICE_UNVIEWED_DAYS are listed for review.
    #: The insights page takes other values per visit (?window=, ?unviewed=).
    SELF_SERVICE_DEFLECTION_DAYS = 7
    SELF_SERVICE_UNVIEWED_DAYS = 30
    #: The help center's branding (kb/branding.py); an administrator's settings at /admin/help-center win over
    #: these. The name replaces "Help center"/"帮助中心"; the logo is an https:// URL or a path on this site; the
    #: colour is #rrggbb; the default language (zh_CN or en) is for visitors whose browser asks for neither.
    HELP_CENTER_NAME: str | None = None
    HELP_CENTER_LOGO_URL: str | None = None
    HELP_CENTER_PRIMARY_COLOR: str | None = None
    HELP_CENTER_FOOTER_TEXT: str | None = None
    HELP_CENTER_CONTACT_PHONE: str | None = None
    HELP_CENTER_CONTACT_EMAIL: str | None = None
    HELP_CENTER_CONTACT_HOURS: str | None = None
    HELP_CENTER_DEFAULT_LANGUAGE: str | None = None
    #: Days a customer's status link works (records/customer_links.py; at most 365). Staff can revoke one sooner.
    CUSTOMER_LINK_DAYS = 30
    #: Deadlines per priority laid over records.sla.DEFAULT_SLA_RULES (high: respond 4 h, resolve 24 h), e.g.
    #: CONSULTKB_SLA_RULES='{"high": {"respond_hours": 2}, "low": null}'; a null removes a deadline. Empty: defaults.
    SLA_RULES: dict | None = None
    #: The case library's teaching dimensions: a JSON file shaped like scoring.cases.dimensions.DEFAULT_DIMENSIONS
    #: (key, zh, en, criteria); empty means the shipped ones (communication, problem solving, empathy, ...).
    CASE_DIMENSIONS_FILE: str | None = None
    #: An agent is pointed to a training pack when their mean on a criterion (0-1) is this far below their team's,
    #: over at least this many records (scoring.cases.suggestions says why these values).
    CASE_WEAKNESS_MARGIN = 0.15
    CASE_WEAKNESS_MIN_RECORDS = 5
    #: A criterion whose automatic points agree with supervisors' grades less than this (0-100, Zendesk QA's
    #: agreement; 75 is where its "strong" band starts) is flagged for the rubric owner (scoring/agreement.py).
    SCORING_AGREEMENT_ALERT = 75
    #: Days a grade dispute stays open: by then a supervisor rules, or it closes with the grade standing. Either way
    #: the grade is then locked (scoring/grading.py).
    DISPUTE_DAYS = 7
    #: How long records are kept, per top-level category (code or label; "default" for the rest), and what happens
    #: after: {"years": N, "action": "archive" | "delete"}. The guides ask for 2–3 years in general and 5–7 in
    #: regulated industries; records under legal hold (disputes) are exempt. See jobs/retention.py.
    RETENTION_POLICIES = {"default": {"years": 2, "action": "archive"}}
    #: Help-center search logs (anonymous visits: searches, clicks) are deleted this many days after the visit by the
    #: nightly retention job (kb.selfservice.SEARCH_LOG_RETENTION_DAYS says why 180).
    SEARCH_LOG_RETENTION_DAYS = 180

    # Scheduled jobs (`consultkb jobs run`, jobs/scheduling.py); times are in TIMEZONE.
    #: Crontab overrides per job id, e.g. {"weekly_report": "0 7 * * mon"}; `consultkb jobs list` shows the ids.
    JOB_SCHEDULES: dict = {}
    #: Job ids the scheduler leaves out, e.g. ["proposal_refresh"] on a host without the model.
    JOBS_DISABLED: list = []
    #: A run missed by up to this many seconds (scheduler down) still runs once when it is back.
    JOB_MISFIRE_GRACE_SECONDS = 6 * 3600
    #: How often a standby scheduler tries for the lock (PostgreSQL) and the leader checks it and writes its heartbeat:
    #: a killed leader is replaced within this many seconds (jobs/leadership.py).
    JOB_LEADER_POLL_SECONDS = 10
    #: How often the leading scheduler looks for runs asked for in the browser or the API (jobs/requests.py).
    JOB_REQUEST_POLL_SECONDS = 3
    #: Reports are mailed to these addresses (a list, or comma-separated in CONSULTKB_REPORT_RECIPIENTS) when
    #: MAIL_SERVER is set; the language of mailed and exported reports.
    REPORT_RECIPIENTS: list = []
    REPORT_LOCALE = "zh_CN"
    #: SLA reminders (jobs/reminders.py, records/notifications.py): hours ahead of a deadline the handler is
    #: reminded, and how many days back a missed deadline still reminds anyone (older ones are on the worklist).
    SLA_REMINDER_LEAD_HOURS = 1.0
    SLA_REMINDER_WINDOW_DAYS = 3
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    #: STARTTLS after connecting (port 587), or TLS from the start (port 465).
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_SENDER = "ConsultKB <consultkb@localhost>"

    # Rate limits (Flask-Limiter), counted per client IP address. "memory://" counts in each process, so with
    # several web workers every worker allows the full rate: in production point RATELIMIT_STORAGE_URI at Redis
    # (e.g. redis://localhost:6379/0, needs the `redis` package) so all workers share one count. Behind a reverse
    # proxy every request comes from the proxy's address unless the app trusts X-Forwarded-For (werkzeug ProxyFix).
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    #: X-RateLimit-* headers on limited views, and Retry-After on 429 answers.
    RATELIMIT_HEADERS_ENABLED = True
    #: Public search (API and help-center page): instant search asks once per pause in typing.
    RATELIMIT_SEARCH = "60/minute"
    #: "Was this helpful?" answers.
    RATELIMIT_FEEDBACK = "20/minute"
    #: Contact requests become records an agent must handle; a person rarely needs more than a few an hour.
    RATELIMIT_CONTACT = "5/hour"
    #: Customers' status pages, per address: a person reloads a few times; guessing tokens needs millions.
    RATELIMIT_CUSTOMER_STATUS = "30/minute"
    #: Notes and ratings sent through status links, per address and, separately, per link (each becomes work for
    #: an agent or changes the record's satisfaction).
    RATELIMIT_CUSTOMER_INPUT = "20/hour"
    RATELIMIT_CUSTOMER_LINK_INPUT = "10/hour"
    #: Password guessing: failed POST /login and POST /api/v1/auth/tokens together (successful sign-ins don't count).
    RATELIMIT_SIGN_IN = "10/minute"
    #: Log lines as "text" (development) or "json" (one object per line, for log shippers); see web/logging_setup.py.
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"
    #: werkzeug's default; the test suite lowers it because hashing dominates its run time otherwise.
    PASSWORD_HASH_METHOD = "scrypt"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    BOOTSTRAP_SERVE_LOCAL = True
    #: Mark the session cookie HTTPS-only; also turns on HSTS (web/security_headers.py). Set it behind HTTPS.
    SESSION_COOKIE_SECURE = False
    #: What pages may load (web/security_headers.py): scripts only as files from this site, never inline; nothing
    #: may frame a page. Add a host here if you serve assets from a CDN.
    CONTENT_SECURITY_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )
    #: Links to other sites carry no address of ours (record and customer numbers are in our URLs).
    REFERRER_POLICY = "same-origin"

    API_TITLE = "ConsultKB API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    # Swagger UI's assets come from the flask-swagger-ui package, served by us: pages load nothing from a CDN.
    OPENAPI_SWAGGER_UI_URL = "/api/v1/docs-assets/"
    # No badge fetched from validator.swagger.io: it would send our spec's address out and the CSP refuses it anyway.
    OPENAPI_SWAGGER_UI_CONFIG = {"validatorUrl": None}
    API_SPEC_OPTIONS = {
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
            }
        },
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    }


class ConfigError(RuntimeError):
    """The configuration cannot start the application; the message says what to set."""


def load_config(app: Flask, overrides: dict | None) -> None:
    app.config.from_object(DefaultConfig)
    app.config.from_prefixed_env("CONSULTKB")
    app.config.update(overrides or {})

    try:
        check_branding(app.config)
    except ValueError as error:
        raise ConfigError(f"The help center's branding cannot be used: {error}") from None

    instance = Path(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'consultkb.db'}"
    if not app.config.get("DATA_DIR"):
        app.config["DATA_DIR"] = str(instance / "data")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _development_secret(app, instance)


def _development_secret(app: Flask, instance: Path) -> str:
    if app.testing:
        return secrets.token_hex(32)
    if not app.config.get("DEV"):
        raise ConfigError(
            "SECRET_KEY is not set. In production set CONSULTKB_SECRET_KEY to a long random string "
            '(python -c "import secrets; print(secrets.token_hex(32))"); for local development set CONSULTKB_DEV=1.'
        )
    # Kept in the instance folder so sessions survive a restart of the development server.
    key_file = instance / "secret_key"
    instance.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32), encoding="utf-8")
        os.chmod(key_file, 0o600)
    return key_file.read_text(encoding="utf-8").strip()
