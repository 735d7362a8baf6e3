"""Report periods: ISO weeks ("2026-W46") and calendar months ("2026-10") of the configured timezone.

A period is a range of local days; its bounds are stored as naive UTC datetimes (as every time in the database is),
[starts_at, ends_at), so "records contacted in the period" is one indexed range condition on contacted_at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from records.timeutil import local_timezone

KINDS = ("weekly", "monthly")

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
#: Outside these years the timezone arithmetic overflows, and no record is there anyway.
FIRST_YEAR, LAST_YEAR = 1900, 9998


def _local_start(day: date) -> datetime:
    """The naive-UTC moment the local day starts."""
    return datetime(day.year, day.month, day.day, tzinfo=local_timezone()).astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Period:
    """One week or month of local days: [first_day, after_day), as UTC bounds [starts_at, ends_at)."""

    kind: str
    label: str
    first_day: date
    after_day: date

    @property
    def starts_at(self) -> datetime:
        return _local_start(self.first_day)

    @property
    def ends_at(self) -> datetime:
        return _local_start(self.after_day)

    @property
    def last_day(self) -> date:
        return self.after_day - timedelta(days=1)

    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=offset) for offset in range((self.after_day - self.first_day).days)]

    def previous(self) -> Period:
        return _containing(self.kind, self.first_day - timedelta(days=1))

    def next(self) -> Period:
        return _containing(self.kind, self.after_day)

    def __str__(self) -> str:
        return self.label


def _week(year: int, week: int) -> Period:
    first = date.fromisocalendar(year, week, 1)
    return Period("weekly", f"{year}-W{week:02d}", first, first + timedelta(days=7))


def _month(year: int, month: int) -> Period:
    after = date(year + month // 12, month % 12 + 1, 1)
    return Period("monthly", f"{year}-{month:02d}", date(year, month, 1), after)


def _containing(kind: str, day: date) -> Period:
    if kind == "weekly":
        iso = day.isocalendar()
        return _week(iso.year, iso.week)
    return _month(day.year, day.month)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"Unknown report kind {kind!r}; use weekly or monthly.")


def parse_period(kind: str, label: str) -> Period:
    """The period a label names: "2026-W46" (ISO week) for weekly, "2026-10" for monthly.

    Lower-case "w" and "2026W46" are accepted and a month may have one digit ("2026-3"); the Period's label is the
    normalised form. ValueError says what is wrong.
    """
    _check_kind(kind)
    text = (label or "").strip()
    if kind == "weekly":
        match = _WEEK.match(text)
        if not match:
            raise ValueError(f"Weekly reports are named by ISO week, like 2026-W46; got {text!r}.")
        year, week = int(match[1]), int(match[2])
        _check_year(year)
        weeks = date(year, 12, 28).isocalendar().week
        if not 1 <= week <= weeks:
            raise ValueError(f"{year} has ISO weeks 1 to {weeks}; there is no week {week}.")
        return _week(year, week)
    match = _MONTH.match(text)
    if not match:
        raise ValueError(f"Monthly reports are named by month, like 2026-10; got {text!r}.")
    year, month = int(match[1]), int(match[2])
    _check_year(year)
    if not 1 <= month <= 12:
        raise ValueError(f"Month {month} does not exist; months are 1 to 12.")
    return _month(year, month)


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"Give a year from {FIRST_YEAR} to {LAST_YEAR}.")


def period_containing(kind: str, moment_utc: datetime) -> Period:
    """The week or month whose local days include this naive-UTC moment."""
    _check_kind(kind)
    local = moment_utc.replace(tzinfo=UTC).astimezone(local_timezone())
    return _containing(kind, local.date())


def last_complete_period(kind: str, now_utc: datetime) -> Period:
    """The newest week or month that has ended by `now_utc` (naive UTC) in the configured timezone."""
    return period_containing(kind, now_utc).previous()
