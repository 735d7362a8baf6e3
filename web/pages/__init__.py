"""Server-rendered pages for staff (agents, supervisors, trainers, admins)."""

from __future__ import annotations

from flask import Flask

from web.pages.views import bp


def register_pages(app: Flask) -> None:
    app.register_blueprint(bp)
