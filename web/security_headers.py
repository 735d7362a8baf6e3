"""Security headers on every response: what the browser may load, frame, sniff and tell other sites.

The Content-Security-Policy (config CONTENT_SECURITY_POLICY) allows scripts only from this origin, as files: pages
and the API docs carry no inline script or event handler, so text that slips past escaping still cannot run.
Styles allow 'unsafe-inline' because the report bodies, the SVG charts and Swagger UI style elements inline; a style
cannot run code. Pages are never framed (clickjacking), and HSTS is sent once cookies are marked secure, which says
the site is served over HTTPS only.
"""

from __future__ import annotations

from flask import Response, current_app

#: A year, the value HSTS preload lists ask for; sent only when SESSION_COOKIE_SECURE says the site is HTTPS-only.
HSTS_MAX_AGE = 365 * 24 * 3600


def add_security_headers(response: Response) -> Response:
    config = current_app.config
    headers = response.headers
    # setdefault: a view that needs another policy (a download, an embed) may set its own.
    headers.setdefault("Content-Security-Policy", config["CONTENT_SECURITY_POLICY"])
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", config["REFERRER_POLICY"])
    if config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE}")
    return response
