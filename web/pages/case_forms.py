"""What the case library pages share: labels in the UI language (template helpers), the service layer's messages
translated, the form state, and the period filter."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from records.timeutil import to_local
from scoring.cases.dimensions import criterion_label, dimension_label, dimensions
from scoring.cases.models import CaseKind, PackAudience, PackStatus
from scoring.cases.suggestions import period_of_days
from scoring.reports import parse_period
from web.pages.display import is_chinese_ui, ui_locale
from web.pages.forms import PageForm

KIND_BADGES = {"exemplary": "text-bg-success", "cautionary": "text-bg-danger"}
PACK_BADGES = {"draft": "text-bg-secondary", "published": "text-bg-primary", "archived": "text-bg-light border"}


# ----- labels and messages -----------------------------------------------------------------------------------------


def case_kind_label(value: str | None) -> str:
    return CaseKind.parse(value).label(ui_locale()) if value else ""


def case_kind_badge(value: str | None) -> str:
    return KIND_BADGES.get(str(value or ""), "text-bg-light")


def pack_status_label(value: str | None) -> str:
    return PackStatus.parse(value).label(ui_locale()) if value else ""


def pack_status_badge(value: str | None) -> str:
    return PACK_BADGES.get(str(value or ""), "text-bg-light")


def pack_audience_label(value: str | None) -> str:
    return PackAudience.parse(value).label(ui_locale()) if value else ""


def case_dimension_label(key: str) -> str:
    return dimension_label(key, ui_locale())


def case_criterion_label(key: str | None) -> str:
    return criterion_label(key, ui_locale()) if key else ""


def bilingual(texts: dict[str, str] | None) -> str:
    """The UI language's text of a {zh, en} pair (criterion names, explanations)."""
    if not texts:
        return ""
    return texts.get("zh" if is_chinese_ui() else "en") or ""


def dimension_choices() -> list[tuple[str, str]]:
    return [(item.key, item.label(ui_locale())) for item in dimensions()]


def case_labels() -> dict[str, str]:
    return {
        "record": _("Record"),
        "title": _("Title"),
        "kind": _("Kind of case"),
        "dimensions": _("Dimensions"),
        "commentary": _("Trainer's commentary"),
        "problem_description": _("Problem description"),
        "customer_request": _("Customer request"),
        "key_details": _("Key details"),
        "handling_steps": _("Handling steps"),
        "resolution": _("Resolution"),
        "customer_feedback": _("Customer feedback"),
        "case": _("Case"),
        "introduction": _("Introduction"),
        "audience": _("Readers"),
        "criteria": _("Criteria it teaches"),
        "case_ids": _("Cases"),
        "status": _("Pack status"),
        "agents": _("Agents"),
        "due": _("Due date"),
        "note": _("Note"),
        "criterion": _("Criterion"),
        "collection": _("Training pack"),
        "period": _("Period"),
    }


class CaseForm(PageForm):
    def labels(self) -> dict[str, str]:
        return case_labels()


def posted_text(posted: MultiDict, name: str) -> str:
    # Browsers send textarea line breaks as CRLF.
    return (posted.get(name) or "").replace("\r\n", "\n").strip()


def period_from_args(args: Any) -> tuple[Any, Any, str, list[str]]:
    """The period of a page's ?period= (the forms of the quality report), the last 90 days when blank."""
    text = (args.get("period") or "").strip()
    if text:
        try:
            start, end = parse_period(text)
            return start, end, text, []
        except ValueError:
            message = _(
                "Could not read the period %(period)s; use 2026-W46 (week), 2026-10 (month), 2026-Q4 (quarter), "
                "2026 (year) or 2026-10-01..2026-10-31. Showing the last 90 days.",
                period=text,
            )
            start, end = period_of_days()
            return start, end, "", [message]
    start, end = period_of_days()
    return start, end, "", []


def period_days_text(start: datetime, end: datetime) -> str:
    """The local days of [start, end) as people say them: 2026-08-25 – 2026-11-22."""
    first, last = to_local(start), to_local(end - timedelta(minutes=1))
    return f"{first:%Y-%m-%d} – {last:%Y-%m-%d}" if first and last else ""


def suggestion_kind_label(kind: str) -> str:
    return {
        "top": _("Top scores"),
        "bottom": _("Lowest scores"),
        "angry_resolved": _("Upset customers, satisfied in the end"),
        "transfers": _("Many transfers"),
    }.get(kind, kind)


def register_case_helpers(app: Flask) -> None:
    for helper in (
        case_kind_label,
        case_kind_badge,
        pack_status_label,
        pack_status_badge,
        pack_audience_label,
        case_dimension_label,
        case_criterion_label,
        bilingual,
        suggestion_kind_label,
    ):
        app.add_template_global(helper)
