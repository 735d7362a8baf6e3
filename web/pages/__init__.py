"""Server-rendered pages for staff (agents, supervisors, trainers, admins)."""

from __future__ import annotations

from flask import Flask

from web.pages import (
    admin_users,
    article_feedback,
    article_reuse,
    articles,
    assignment_rules,
    calibration_pages,  # noqa: F401  (its views register on grading.bp)
    calls,
    case_packs,
    cases,
    customer_links,
    customer_status,
    customers,
    gaps,
    grading,
    help_branding,
    jobs,
    proposals,
    records,
    reports,
    scoring,
    selfservice,
    worklist,
)
from web.pages.display import register_template_helpers
from web.pages.views import bp


def register_pages(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(records.bp)
    app.register_blueprint(customers.bp)
    app.register_blueprint(calls.bp)
    app.register_blueprint(admin_users.bp)
    app.register_blueprint(help_branding.bp)
    app.register_blueprint(articles.bp)
    app.register_blueprint(article_feedback.bp)
    app.register_blueprint(article_reuse.bp)
    app.register_blueprint(proposals.bp)
    app.register_blueprint(gaps.bp)
    app.register_blueprint(selfservice.bp)
    app.register_blueprint(customer_status.bp)
    app.register_blueprint(customer_links.bp)
    app.register_blueprint(grading.bp)
    app.register_blueprint(scoring.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(case_packs.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(worklist.bp)
    app.register_blueprint(assignment_rules.bp)
    app.context_processor(worklist.unread_notifications)
    app.register_blueprint(jobs.bp)
    register_template_helpers(app)
