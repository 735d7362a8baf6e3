"""An improvement report as HTML (the app's page, a standalone document for e-mail), PDF, CSV and XLSX.

`report_data` is {"kind", "period", "starts_at", "ends_at", "generated_at", "figures"} with the figures of
jobs.reports.figures.build_figures, as stored in jobs.models.Report. jobs must not import web, so the templates
(jobs/reports/templates) have an Environment of their own, with Flask-Babel's gettext installed: render inside an
app context; the locale is forced for the call ("zh_CN" or "en"), whatever the request's is.
"""

from __future__ import annotations

import warnings
from datetime import datetime
from functools import lru_cache
from typing import Any

import flask_babel
from flask_babel import force_locale
from flask_babel import gettext as _
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from jobs.reports.charts import charts
from jobs.reports.exports import report_csv, report_xlsx
from records.enums import Priority
from records.timeutil import format_local

__all__ = ["render_report_body", "render_report_document", "render_report_pdf", "report_csv", "report_xlsx"]


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("jobs.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(flask_babel.gettext, flask_babel.ngettext, newstyle=True)
    return env


def language(locale: str) -> str:
    return "zh" if str(locale).lower().startswith("zh") else "en"


def _chart_text() -> dict[str, str]:
    return {
        "current": _("This period"),
        "previous": _("Previous period"),
        "channels": _("Records by channel"),
        "categories": _("Records by category"),
        "satisfaction": _("Satisfaction trend"),
        "overall": _("Overall"),
        "efficiency": _("Service efficiency"),
        "resolution": _("Problem-solving"),
        "attitude": _("Friendliness"),
        "previous_overall": _("Overall, previous period"),
        "teams": _("Mean score by team"),
        "fill_rates": _("Field fill rates"),
        "alert_line": _("Alert threshold"),
    }


def report_title(report_data: dict[str, Any]) -> str:
    if report_data["kind"] == "weekly":
        return _("Weekly improvement report %(period)s", period=report_data["period"])
    return _("Monthly improvement report %(period)s", period=report_data["period"])


def _generated(value: datetime | str | None) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_local(value) if value else "—"


def _context(report_data: dict[str, Any], lang: str) -> dict[str, Any]:
    figures = report_data["figures"]
    return {
        "f": figures,
        "lang": lang,
        "title": report_title(report_data),
        "generated": _generated(report_data.get("generated_at")),
        "charts": charts(figures, lang, _chart_text()),
        "priorities": {priority.value: {"zh": priority.zh, "en": priority.en} for priority in Priority},
    }


def render_report_body(report_data: dict[str, Any], locale: str) -> str:
    """The report as an HTML fragment (an <article>) for the app's page; charts inline."""
    with force_locale(locale):
        return environment().get_template("body.html").render(_context(report_data, language(locale)))


def render_report_document(report_data: dict[str, Any], locale: str) -> str:
    """The report as a complete HTML document with its own (print) CSS and nothing loaded from elsewhere."""
    with force_locale(locale):
        lang = language(locale)
        context = _context(report_data, lang)
        body = environment().get_template("body.html").render(context)
        return environment().get_template("document.html").render({**context, "body": Markup(body)})


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict:
    # The document embeds everything; a reference to anything else must not make the server fetch it.
    raise ValueError(f"The report PDF loads nothing from elsewhere ({url[:60]}).")


def render_report_pdf(report_data: dict[str, Any], locale: str) -> bytes:
    """The report as PDF (WeasyPrint), A4, from render_report_document."""
    with warnings.catch_warnings():
        # WeasyPrint warns at import that a future version will need HarfBuzz-Subset; this one works without it.
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        from weasyprint import HTML  # imported when needed: it loads Pango and fonts

    document = render_report_document(report_data, locale)
    return HTML(string=document, url_fetcher=_no_fetching).write_pdf()
