"""The REST API under /api/v1 (flask-smorest); spec at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Flask, Response, request, send_from_directory
from flask_smorest import Api

from records.schemas import ContactTimeField, EnumField
from web.api import (
    articles,
    audit,
    auth_tokens,
    cases,
    customer_links,
    customers,
    gaps,
    grading,
    meta,
    proposals,
    records,
    reports,
    scores,
    selfservice,
    users,
    worklist,
)
from web.auth import bearer_token, signed_in_user
from web.extensions import csrf

BLUEPRINTS = (
    auth_tokens.blp,
    records.blp,
    customer_links.blp,
    customers.blp,
    users.blp,
    meta.blp,
    audit.blp,
    articles.blp,
    proposals.blp,
    gaps.blp,
    selfservice.blp,
    grading.blp,
    scores.blp,
    cases.blp,
    cases.collections_blp,
    reports.blp,
    worklist.blp,
)
SWAGGER_ASSETS = Path(flask_swagger_ui.__file__).parent / "dist"


def register_api(app: Flask) -> None:
    # One Api per app: flask-smorest's Api keeps a single app and its spec (tests build several apps).
    api = Api(app)
    # The schemas' own field types, so the spec says what clients must send (not "any value").
    api.register_field(EnumField, "string", None)
    api.register_field(ContactTimeField, "string", None)
    for blueprint in BLUEPRINTS:
        # Token clients cannot carry a CSRF token; cookie-authenticated calls are checked in `csrf_for_cookie_calls`.
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)

    @app.get("/api/v1/docs-assets/<path:filename>")
    def swagger_assets(filename: str) -> Response:
        return send_from_directory(SWAGGER_ASSETS, filename, max_age=86400)


def csrf_for_cookie_calls() -> None:
    # Only a signed-in session needs the check; anyone else gets the view's 401, not a CSRF 400.
    if request.method not in ("GET", "HEAD", "OPTIONS") and bearer_token() is None and signed_in_user() is not None:
        csrf.protect()


for _blueprint in BLUEPRINTS:
    _blueprint.before_request(csrf_for_cookie_calls)
