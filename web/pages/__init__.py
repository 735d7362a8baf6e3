"""Server-rendered pages for staff (agents, supervisors, trainers, admins)."""

from __future__ import annotations

from flask import Flask

from web.pages import customers, records
from web.pages.display import register_template_helpers
from web.pages.views import bp


def register_pages(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(records.bp)
    app.register_blueprint(customers.bp)
    register_template_helpers(app)
