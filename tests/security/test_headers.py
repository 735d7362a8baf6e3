"""Issue 18, Medium 6: security headers on every answer, and pages that run under a policy with no inline script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from records.enums import Role

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRECTORIES = [path for path in ROOT.glob("**/templates") if ".venv" not in path.parts]
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
PUBLIC_PAGES = ("/login", "/help", "/api/v1/docs", "/api/v1/openapi.json", "/healthz", "/no-such-page")
SIGNED_IN_PAGES = ("/records", "/records/new", "/records/{record}", "/customers", "/dashboard", "/kb/proposals")


def _directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def _assert_secure(response) -> None:
    directives = _directives(response)
    assert directives["script-src"] == ["'self'"], directives  # files from this site, nothing inline, no eval
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def _assert_no_inline_script(html: str) -> None:
    tags = SCRIPT_TAG.findall(html)
    assert all(" src=" in tag for tag in tags), tags
    assert not EVENT_HANDLER.search(html), EVENT_HANDLER.search(html)
    assert "javascript:" not in html


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_answers_carry_the_security_headers(client, path):
    response = client.get(path)
    _assert_secure(response)
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in development: no HSTS
    if response.mimetype == "text/html":
        _assert_no_inline_script(response.get_data(as_text=True))


def test_signed_in_pages_carry_the_headers_and_no_inline_script(client, login_as, make_record):
    agent = login_as(Role.AGENT)
    record = make_record(agent)
    for path in SIGNED_IN_PAGES:
        response = client.get(path.format(record=record.number))
        assert response.status_code == 200, path
        _assert_secure(response)
        _assert_no_inline_script(response.get_data(as_text=True))


def test_the_api_docs_start_swagger_from_a_script_file(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/api_docs.js" in page
    assert 'data-spec-url="/api/v1/openapi.json"' in page
    script = client.get("/static/api_docs.js")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.data
    script.close()


def test_no_template_holds_an_inline_script_or_event_handler():
    assert TEMPLATE_DIRECTORIES
    for directory in TEMPLATE_DIRECTORIES:
        for template in directory.rglob("*.html"):
            _assert_no_inline_script(template.read_text(encoding="utf-8"))


def test_hsts_is_sent_once_cookies_are_secure(app, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        response = client.get("/login")
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
