"""What every part of the improvement report shares: the two periods it compares, comparisons, medians, labels.

Every figure is computed for the report's period ("current") and the one before it ("previous") in the same SQL
scan: the two periods are adjacent, so one range on records.contacted_at covers both and `Window.which` tells them
apart. Shares and rates are fractions (0.25, not 25), rounded to 4 places; means to 2; durations to 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from jobs.reports.periods import Period
from records.enums import LabelledEnum
from records.identifiers import scrub_identifiers
from records.models import Record
from records.operations import taxonomy
from records.timeutil import format_local

CURRENT, PREVIOUS = "current", "previous"
#: A monthly report's trend is shown in 7-day steps from the 1st (the 29th onward is the last, shorter step), so
#: step n of one month compares with step n of the month before; a weekly report's trend is by day.
MONTHLY_TREND_DAYS = 7
#: Free text quoted in examples is cut to this many characters: enough to recognise the case.
EXAMPLE_TEXT_CHARS = 160


def rate(part: float | None, whole: float | None) -> float | None:
    return round(part / whole, 4) if part is not None and whole else None


def mean(total: float | None, count: int | None) -> float | None:
    return round(total / count, 2) if total is not None and count else None


def compare(current: float | None, previous: float | None, *, digits: int = 4) -> dict[str, Any]:
    """{"current", "previous", "change" (difference), "change_ratio" (relative change, None from nothing)}."""
    change = None if current is None or previous is None else round(current - previous, digits)
    change_ratio = round((current - previous) / previous, 4) if change is not None and previous else None
    return {"current": current, "previous": previous, "change": change, "change_ratio": change_ratio}


def quantile(histogram: Mapping[float, int], q: float) -> float | None:
    """The q-quantile of values given as value → count, interpolated linearly between neighbours (numpy's default;
    the median of an even count is the mean of the two middle values)."""
    total = sum(histogram.values())
    if not total:
        return None
    position = q * (total - 1)
    below, above = math.floor(position), math.ceil(position)
    low = high = None
    seen = 0
    for value in sorted(histogram):
        count = histogram[value]
        if low is None and below < seen + count:
            low = value
        if above < seen + count:
            high = value
            break
        seen += count
    return round(low + (high - low) * (position - below), 1)


def summary(histogram: Mapping[float, int]) -> dict[str, Any]:
    """count, mean, median and p90 of a value → count histogram."""
    count = sum(histogram.values())
    total = sum(value * number for value, number in histogram.items())
    return {
        "count": count,
        "mean": round(total / count, 1) if count else None,
        "median": quantile(histogram, 0.5),
        "p90": quantile(histogram, 0.9),
    }


def enum_name(enum_cls: type[LabelledEnum], value: str | None) -> dict[str, str]:
    if value is None:
        return {"zh": "未填写", "en": "Not given"}
    try:
        member = enum_cls(value)
    except ValueError:
        return {"zh": value, "en": value}
    return {"zh": member.zh, "en": member.en}


def category_name(category: str | None, subcategory: str | None = None) -> dict[str, str]:
    """Taxonomy labels ("功能故障 / 登录异常"); codes no longer in the taxonomy show as they are."""
    if category is None:
        return {"zh": "未分类", "en": "Uncategorised"}
    tree = taxonomy()
    return {locale: tree.labels(category, subcategory, locale) for locale in ("zh", "en")}


def iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass(frozen=True)
class Bucket:
    """One step of a trend: local days [first, after) of one of the two periods."""

    which: str
    index: int
    first: date
    after: date

    @property
    def label(self) -> str:
        last = self.after - timedelta(days=1)
        return f"{self.first:%m-%d}" if last == self.first else f"{self.first:%m-%d}–{last:%m-%d}"


@dataclass(frozen=True)
class Window:
    """The report's period and the one before it, as SQL conditions and labels."""

    current: Period
    previous: Period

    @classmethod
    def of(cls, period: Period) -> Window:
        return cls(period, period.previous())

    @property
    def start(self) -> datetime:
        return self.previous.starts_at

    @property
    def end(self) -> datetime:
        return self.current.ends_at

    def period(self, which: str) -> Period:
        return self.current if which == CURRENT else self.previous

    def contacted(self, column: sa.ColumnElement = Record.contacted_at) -> sa.ColumnElement[bool]:
        return sa.and_(column >= self.start, column < self.end)

    def which(self, column: sa.ColumnElement = Record.contacted_at) -> sa.ColumnElement[str]:
        return sa.case((column >= self.current.starts_at, CURRENT), else_=PREVIOUS)

    def buckets(self) -> list[Bucket]:
        steps = []
        for which in (PREVIOUS, CURRENT):
            period = self.period(which)
            length = 1 if period.kind == "weekly" else MONTHLY_TREND_DAYS
            first, index = period.first_day, 0
            while first < period.after_day:
                after = min(first + timedelta(days=length), period.after_day)
                steps.append(Bucket(which, index, first, after))
                first, index = after, index + 1
        return steps

    @property
    def first_day(self) -> date:
        return self.previous.first_day

    @property
    def after_day(self) -> date:
        return self.current.after_day

    def which_day(self, day: date) -> str:
        """The period a local day (in the window) belongs to."""
        return CURRENT if day >= self.current.first_day else PREVIOUS

    def step_of(self) -> dict[date, int]:
        """The position in buckets() of each local day of the window."""
        return {
            step.first + timedelta(days=offset): position
            for position, step in enumerate(self.buckets())
            for offset in range((step.after - step.first).days)
        }


def by_which(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["which"]: row for row in rows}


def clip(text: str | None, limit: int = EXAMPLE_TEXT_CHARS) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def masked(text: str | None, names: Iterable[str | None] = ()) -> str | None:
    """Free text safe to quote in a report read and e-mailed widely: personal data masked, names and addresses
    replaced (records.identifiers), then shortened."""
    if not text:
        return None
    return clip(scrub_identifiers(text, [name for name in names if name]))


def example(row: Mapping[str, Any], names: Iterable[str | None] = (), **extra: Any) -> dict[str, Any]:
    """A record quoted in the report. Every example carries record_id and number, so retention can take out the
    examples of records it deletes."""
    names = list(names)
    return {
        "record_id": row["id"],
        "number": row["number"],
        "contacted_at": format_local(row["contacted_at"]),
        "channel": row["channel"],
        "category": category_name(row["category"], row["subcategory"]),
        "status": row["status"],
        "satisfaction": row.get("satisfaction"),
        "problem": masked(row.get("problem_description"), names),
        "request": masked(row.get("customer_request"), names),
        "resolution": masked(row.get("resolution"), names),
        "feedback": masked(row.get("customer_feedback"), names),
        **extra,
    }
