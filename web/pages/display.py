"""Template helpers: enum and category labels in the UI language, local times, badge colours."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import get_locale

from jobs.models import ReportKind, ReportStatus, RunStatus
from records.enums import (
    NOT_RATED_LABELS,
    SATISFACTION_LABELS,
    Channel,
    CustomerTier,
    CustomerType,
    Emotion,
    LabelledEnum,
    Priority,
    Role,
    Status,
)
from records.operations import taxonomy
from records.timeutil import format_local

ENUMS: dict[str, type[LabelledEnum]] = {
    "status": Status,
    "channel": Channel,
    "priority": Priority,
    "emotion": Emotion,
    "customer_type": CustomerType,
    "tier": CustomerTier,
    "role": Role,
    "report_kind": ReportKind,
    "report_status": ReportStatus,
    "run_status": RunStatus,
}

STATUS_BADGES = {
    "open": "text-bg-primary",
    "pending": "text-bg-warning",
    "transferred": "text-bg-info",
    "resolved": "text-bg-success",
    "unresolvable": "text-bg-secondary",
}

PRIORITY_BADGES = {
    "low": "text-bg-light border",
    "medium": "text-bg-secondary",
    "high": "text-bg-warning",
    "urgent": "text-bg-danger",
}


def ui_locale() -> str:
    return str(get_locale() or "zh_CN")


def is_chinese_ui() -> bool:
    return ui_locale().lower().startswith("zh")


def enum_label(kind: str, value: object) -> str:
    if value is None or value == "":
        return ""
    try:
        return ENUMS[kind].parse(value).label(ui_locale())
    except ValueError:
        return str(value)


def enum_choices(kind: str) -> list[tuple[str, str]]:
    return [(member.value, member.label(ui_locale())) for member in ENUMS[kind]]


def category_label(category: str | None, subcategory: str | None = None) -> str:
    return taxonomy().labels(category, subcategory, ui_locale())


def category_choices() -> list[tuple[str, str]]:
    return [(category.code, category.label(ui_locale())) for category in taxonomy().categories]


def subcategory_groups() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(category code, category label, [(subcategory code, label)]) for <optgroup>s the form script filters."""
    locale = ui_locale()
    return [
        (category.code, category.label(locale), [(child.code, child.label(locale)) for child in category.children])
        for category in taxonomy().categories
        if category.children
    ]


def satisfaction_label(value: int | None) -> str:
    index = 0 if is_chinese_ui() else 1
    if value is None:
        return NOT_RATED_LABELS[index]
    labels = SATISFACTION_LABELS.get(value)
    return f"{value} · {labels[index]}" if labels else str(value)


def satisfaction_choices() -> list[tuple[str, str]]:
    """Best first, as the template lists them; "not rated" is the form's blank option."""
    return [(str(value), satisfaction_label(value)) for value in sorted(SATISFACTION_LABELS, reverse=True)]


def not_rated_label() -> str:
    return satisfaction_label(None)


def status_badge(value: str | None) -> str:
    return STATUS_BADGES.get(str(value or ""), "text-bg-light")


def priority_badge(value: str | None) -> str:
    return PRIORITY_BADGES.get(str(value or ""), "text-bg-light")


def local_time(moment: datetime | None) -> str:
    return format_local(moment)


def register_template_helpers(app: Flask) -> None:
    for helper in (
        enum_label,
        enum_choices,
        category_label,
        category_choices,
        subcategory_groups,
        satisfaction_label,
        satisfaction_choices,
        not_rated_label,
        status_badge,
        priority_badge,
        local_time,
        ui_locale,
        is_chinese_ui,
    ):
        app.add_template_global(helper)
