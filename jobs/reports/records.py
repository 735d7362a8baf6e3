"""The report's figures about contacts: volume by channel and category, the top problems, satisfaction, first-contact
resolution, handling and resolution times.

One grouped scan of the two periods' records gives volume, satisfaction and FCR per (trend step, channel, category,
subcategory); everything else rolls up from it in Python.

Handling time is the record's duration_minutes (沟通时长), where given. Resolution time is resolved_at − contacted_at
in hours, for resolved records whose resolution moment is known (records.sla.resolution_known: not those imported
already resolved, which are counted as `unknown`). Both come from small histograms (value → count), from which the
mean, the median and the 90th percentile (interpolated, jobs.reports.common.quantile) are exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from jobs.reports.common import (
    CURRENT,
    PREVIOUS,
    Window,
    category_name,
    compare,
    enum_name,
    example,
    iso,
    mean,
    rate,
    summary,
)
from jobs.reports.days import DayPart, DaySpan, add_up, day_rows
from records.changes import REPEAT_CONTACT_DAYS
from records.db import empty_json_list
from records.enums import Channel, Status
from records.models import Customer, FollowUp, Record, User
from records.sla import minutes_between, resolution_known, resolution_minutes
from records.timeutil import local_day_start

#: First-contact resolution (FCR): a record counts when it was resolved at the contact itself — status resolved, no
#: follow-up, no hand-off to another department (internal collaboration) — and the same customer did not contact
#: us again about the same category within FCR_REPEAT_DAYS days (a contact in the same minute entered after it
#: counts as again). The share is of all records of the period.
#: Contact centres count repeat contacts over windows from 1 to 30 days; 7 days catches customers who wait a few
#: days to come back without counting unrelated later problems, and a weekly report's figures are final a week later.
FCR_REPEAT_DAYS = REPEAT_CONTACT_DAYS
#: How many problems the report calls "the top problems", and examples quoted for each.
TOP_PROBLEMS = 3
EXAMPLES_PER_PROBLEM = 2
#: A problem whose volume changed by less than this share is "steady"; more, "rising" or "falling".
STEADY_CHANGE = 0.1
#: A subcategory "rises" when it grew by at least this share (or is new) and has at least RISING_MIN_RECORDS
#: records: fewer say too little for the report to recommend an article.
RISING_CHANGE = 0.2
RISING_MIN_RECORDS = 10

_SATISFACTION = (
    ("overall", Record.satisfaction),
    ("efficiency", Record.satisfaction_efficiency),
    ("resolution", Record.satisfaction_resolution),
    ("attitude", Record.satisfaction_attitude),
)


def contacted_again(span: DaySpan) -> sa.ColumnElement[bool]:
    """The same customer contacted us again about the same category within FCR_REPEAT_DAYS (a contact at the same
    moment entered after it counts as again).

    Each contact's next one (in time, then entry order) among the customer's contacts about the category is found
    with one sort of the window's contacts and those up to FCR_REPEAT_DAYS after it (a window function); the ids
    with a next contact close enough are read once into a hashed set. On PostgreSQL that is about three times
    faster than looking up each record's next contact on an index of (customer, category, time)."""
    following = sa.func.lead(Record.contacted_at).over(
        partition_by=(Record.customer_id, Record.category), order_by=(Record.contacted_at, Record.id)
    )
    contacts = (
        sa.select(Record.id, Record.contacted_at, following.label("next_contact"))
        .where(Record.contacted_at >= span.start, Record.contacted_at <= span.end + timedelta(days=FCR_REPEAT_DAYS))
        .subquery("contacts")
    )
    repeated = sa.select(contacts.c.id).where(
        contacts.c.contacted_at < span.end,
        contacts.c.next_contact.is_not(None),
        minutes_between(contacts.c.next_contact, contacts.c.contacted_at) <= FCR_REPEAT_DAYS * 24 * 60,
    )
    return Record.id.in_(repeated)


def first_contact_resolved(span: DaySpan) -> sa.ColumnElement[bool]:
    followed_up = sa.select(sa.literal(1)).where(FollowUp.record_id == Record.id).exists()
    return sa.and_(
        Record.status == Status.RESOLVED, empty_json_list(Record.collaboration), ~followed_up, ~contacted_again(span)
    )


def _metrics(span: DaySpan) -> list[sa.ColumnElement]:
    columns = [sa.func.count().label("records")]
    for key, column in _SATISFACTION:
        columns += [sa.func.count(column).label(f"{key}_n"), sa.func.sum(column).label(f"{key}_sum")]
    columns += [
        sa.func.count(sa.case((Record.satisfaction >= 4, 1))).label("satisfied"),
        sa.func.count(sa.case((first_contact_resolved(span), 1))).label("fcr"),
        sa.func.count(sa.case((Record.status == Status.RESOLVED, 1))).label("resolved"),
        sa.func.count(sa.case((resolution_known(), 1))).label("resolution_known"),
    ]
    return columns


#: The measures of a scan row (the labels of _metrics), which Tally sums.
MEASURES = (
    "records",
    *(f"{key}_{part}" for key, _column in _SATISFACTION for part in ("n", "sum")),
    "satisfied",
    "fcr",
    "resolved",
    "resolution_known",
)


class Tally:
    """Sums of the grouped scan's measures over any roll-up (a channel, a category, a trend step...)."""

    def __init__(self) -> None:
        self.values: dict[str, float] = dict.fromkeys(MEASURES, 0)

    def add(self, row: dict[str, Any]) -> None:
        values = self.values
        for key in MEASURES:
            values[key] += row[key] or 0

    def __getitem__(self, key: str) -> float:
        return self.values.get(key, 0)

    def satisfaction(self, key: str = "overall") -> float | None:
        return mean(self[f"{key}_sum"], int(self[f"{key}_n"]))


def contact_rows(session: Session, span: DaySpan, _now: datetime) -> Iterable[dict[str, Any]]:
    """The grouped scan: one row per (day, channel, category, subcategory) with the measures of _metrics."""
    day = span.day()
    query = (
        sa.select(day, Record.channel, Record.category, Record.subcategory, *_metrics(span))
        .where(span.contacted())
        .group_by(day, Record.channel, Record.category, Record.subcategory)
    )
    return session.execute(query)


CONTACTS = DayPart("contacts", contact_rows)


def scan(session: Session, window: Window, now: datetime) -> list[dict[str, Any]]:
    """The contacts' measures per (trend step, channel, category, subcategory), with "which" period."""
    steps, step_of = window.buckets(), window.step_of()
    days = day_rows(session, CONTACTS, window.first_day, window.after_day, now)
    groups = add_up(
        days,
        lambda day, row: (step_of[day], row["channel"], row["category"], row["subcategory"]),
        ("channel", "category", "subcategory"),
    )
    return ScanRows(
        {**row, "bucket": position, "which": steps[position].which} for (position, *_group), row in groups.items()
    )


#: How the scan's rows roll up: the group of a row by each grouping the figures use.
_GROUPINGS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "all": lambda row: "all",
    "channel": lambda row: row["channel"],
    "category": lambda row: row["category"],
    "subcategory": lambda row: (row["category"], row["subcategory"]),
    "bucket": lambda row: row["bucket"],
}


class ScanRows(list):
    """The grouped scan's rows, remembering their roll-ups: every part of the figures reads some of the same ones."""

    def __init__(self, rows: Iterable[dict[str, Any]] = ()) -> None:
        super().__init__(rows)
        self.rolled_up: dict[str, dict[Any, dict[str, Tally]]] = {}


def _tallies(rows: list[dict[str, Any]], grouping: str) -> dict[Any, dict[str, Tally]]:
    """{group: {"current": Tally, "previous": Tally}} with group = _GROUPINGS[grouping](row)."""
    remembered = rows.rolled_up if isinstance(rows, ScanRows) else {}
    if grouping not in remembered:
        key = _GROUPINGS[grouping]
        tallies: dict[Any, dict[str, Tally]] = defaultdict(lambda: {CURRENT: Tally(), PREVIOUS: Tally()})
        for row in rows:
            tallies[key(row)][row["which"]].add(row)
        remembered[grouping] = tallies
    return remembered[grouping]


def _volume_row(key: Any, name: dict[str, str], pair: dict[str, Tally], totals: dict[str, Tally]) -> dict[str, Any]:
    current, previous = pair[CURRENT]["records"], pair[PREVIOUS]["records"]
    return {
        "key": key,
        "name": name,
        **compare(int(current), int(previous)),
        "share": rate(current, totals[CURRENT]["records"]),
        "previous_share": rate(previous, totals[PREVIOUS]["records"]),
    }


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: (-row["current"], -row["previous"], str(row["key"])))


def volume_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    totals = _tallies(rows, "all")["all"]
    channels = _tallies(rows, "channel")
    categories = _tallies(rows, "category")
    subcategories = _tallies(rows, "subcategory")
    by_category = []
    for category, pair in categories.items():
        item = _volume_row(category, category_name(category), pair, totals)
        item["subcategories"] = _ordered(
            [
                _volume_row(sub, category_name(category, sub), sub_pair, totals)
                for (top, sub), sub_pair in subcategories.items()
                if top == category
            ]
        )
        by_category.append(item)
    return {
        "total": compare(int(totals[CURRENT]["records"]), int(totals[PREVIOUS]["records"])),
        "by_channel": _ordered([_volume_row(k, enum_name(Channel, k), pair, totals) for k, pair in channels.items()]),
        "by_category": _ordered(by_category),
    }


def _direction(current: int, previous: int) -> str:
    if not previous:
        return "new" if current else "steady"
    change = (current - previous) / previous
    return "rising" if change >= STEADY_CHANGE else "falling" if change <= -STEADY_CHANGE else "steady"


def top_problems(session: Session, window: Window, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The most frequent subcategories of the period, with their trend and masked examples."""
    totals = _tallies(rows, "all")["all"]
    pairs = _tallies(rows, "subcategory")
    ranked = sorted(
        (key for key, pair in pairs.items() if key[0] is not None and pair[CURRENT]["records"]),
        key=lambda key: (-pairs[key][CURRENT]["records"], -pairs[key][PREVIOUS]["records"], str(key)),
    )[:TOP_PROBLEMS]
    problems = []
    for rank, (category, subcategory) in enumerate(ranked, start=1):
        current, previous = (
            int(pairs[category, subcategory][CURRENT]["records"]),
            int(pairs[category, subcategory][PREVIOUS]["records"]),
        )
        problems.append(
            {
                "rank": rank,
                "category": category,
                "subcategory": subcategory,
                "name": category_name(category, subcategory),
                **compare(current, previous),
                "share": rate(current, totals[CURRENT]["records"]),
                "trend": _direction(current, previous),
                "satisfaction": pairs[category, subcategory][CURRENT].satisfaction(),
                "examples": problem_examples(session, window, category, subcategory),
            }
        )
    return problems


def rising_topics(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Subcategories that grew by RISING_CHANGE or more (or are new), largest first."""
    pairs = _tallies(rows, "subcategory")
    rising = []
    for (category, subcategory), pair in pairs.items():
        current, previous = int(pair[CURRENT]["records"]), int(pair[PREVIOUS]["records"])
        if category is None or current < RISING_MIN_RECORDS:
            continue
        if previous and (current - previous) / previous < RISING_CHANGE:
            continue
        rising.append(
            {
                "category": category,
                "subcategory": subcategory,
                "name": category_name(category, subcategory),
                **compare(current, previous),
            }
        )
    return sorted(rising, key=lambda row: (-row["current"], str(row["subcategory"])))


def example_columns() -> tuple:
    return (
        Record.id,
        Record.number,
        Record.contacted_at,
        Record.channel,
        Record.category,
        Record.subcategory,
        Record.status,
        Record.satisfaction,
        Record.problem_description,
        Record.customer_request,
        Record.resolution,
        Record.customer_feedback,
        Customer.name.label("customer_name"),
        User.display_name.label("agent_name"),
    )


def example_rows(session: Session, query: sa.Select) -> list[dict[str, Any]]:
    rows = []
    for row in session.execute(query).mappings():
        item = dict(row)
        item["channel"] = Channel(item["channel"]).value
        item["status"] = Status(item["status"]).value
        rows.append(item)
    return rows


def problem_examples(session: Session, window: Window, category: str, subcategory: str | None) -> list[dict]:
    """The period's newest records of the problem, masked, with the customer's and agent's names scrubbed."""
    period = window.current
    query = (
        sa.select(*example_columns())
        .join(Customer, Customer.id == Record.customer_id)
        .join(User, User.id == Record.agent_id)
        .where(
            Record.contacted_at >= period.starts_at,
            Record.contacted_at < period.ends_at,
            Record.category == category,
            Record.subcategory.is_not_distinct_from(subcategory),
        )
        .order_by(Record.contacted_at.desc(), Record.id.desc())
        .limit(EXAMPLES_PER_PROBLEM)
    )
    return [example(row, (row["customer_name"], row["agent_name"])) for row in example_rows(session, query)]


def satisfaction_figures(window: Window, rows: list[dict[str, Any]]) -> dict[str, Any]:
    totals = _tallies(rows, "all")["all"]
    steps = window.buckets()
    by_step = _tallies(rows, "bucket")
    trend = []
    for position, step in enumerate(steps):
        tally = by_step[position][step.which] if position in by_step else None
        trend.append(
            {
                "which": step.which,
                "step": step.index,
                "label": step.label,
                "first_day": iso(step.first),
                "starts_at": iso(local_day_start(step.first)),
                "records": int(tally["records"]) if tally else 0,
                "rated": int(tally["overall_n"]) if tally else 0,
                **{key: tally.satisfaction(key) if tally else None for key, _column in _SATISFACTION},
            }
        )
    channels = _tallies(rows, "channel")
    return {
        **{
            key: compare(totals[CURRENT].satisfaction(key), totals[PREVIOUS].satisfaction(key))
            for key, _ in _SATISFACTION
        },
        "rated": compare(int(totals[CURRENT]["overall_n"]), int(totals[PREVIOUS]["overall_n"])),
        "rating_rate": compare(
            rate(totals[CURRENT]["overall_n"], totals[CURRENT]["records"]),
            rate(totals[PREVIOUS]["overall_n"], totals[PREVIOUS]["records"]),
        ),
        "satisfied_share": compare(
            rate(totals[CURRENT]["satisfied"], totals[CURRENT]["overall_n"]),
            rate(totals[PREVIOUS]["satisfied"], totals[PREVIOUS]["overall_n"]),
        ),
        "trend": trend,
        "by_channel": sorted(
            (
                {
                    "key": key,
                    "name": enum_name(Channel, key),
                    "rated": int(pair[CURRENT]["overall_n"]),
                    "previous_rated": int(pair[PREVIOUS]["overall_n"]),
                    **compare(pair[CURRENT].satisfaction(), pair[PREVIOUS].satisfaction()),
                }
                for key, pair in channels.items()
            ),
            key=lambda row: (-row["rated"], row["key"]),
        ),
    }


def fcr_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    totals = _tallies(rows, "all")["all"]
    return {
        "rate": compare(
            rate(totals[CURRENT]["fcr"], totals[CURRENT]["records"]),
            rate(totals[PREVIOUS]["fcr"], totals[PREVIOUS]["records"]),
        ),
        "resolved_first_contact": compare(int(totals[CURRENT]["fcr"]), int(totals[PREVIOUS]["fcr"])),
        "records": compare(int(totals[CURRENT]["records"]), int(totals[PREVIOUS]["records"])),
        "repeat_days": FCR_REPEAT_DAYS,
    }


def unknown_resolution(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Per period, the resolved records whose resolution moment is unknown (left out of the resolution times)."""
    totals = _tallies(rows, "all")["all"]
    return {which: int(totals[which]["resolved"] - totals[which]["resolution_known"]) for which in (CURRENT, PREVIOUS)}


def _histograms(session: Session, query: sa.Select) -> list[dict[str, Any]]:
    """{"day", "values": [[value, records], ...]} per day from rows (day, value, records): one row a day keeps the
    many values of a day compact."""
    values: dict[int, list[list[float]]] = defaultdict(list)
    for position, value, count in session.execute(query):
        # Whole numbers (minutes) as int: half the stored size of floats.
        values[position].append([int(value) if value == int(value) else float(value), count])
    return [{"day": position, "values": pairs} for position, pairs in values.items()]


def handling_rows(session: Session, span: DaySpan, _now: datetime) -> list[dict[str, Any]]:
    """Records per duration_minutes, where given, per day."""
    day = span.day()
    query = (
        sa.select(day, Record.duration_minutes, sa.func.count())
        .where(span.contacted(), Record.duration_minutes.is_not(None))
        .group_by(day, Record.duration_minutes)
    )
    return _histograms(session, query)


def resolution_rows(session: Session, span: DaySpan, _now: datetime) -> list[dict[str, Any]]:
    """Records per minutes from contact to resolution (rounded), where the resolution moment is known, per day."""
    day = span.day()
    minutes = sa.func.round(resolution_minutes())
    query = sa.select(day, minutes, sa.func.count()).where(span.contacted(), resolution_known()).group_by(day, minutes)
    return _histograms(session, query)


HANDLING = DayPart("handling", handling_rows)
RESOLUTION = DayPart("resolution", resolution_rows)


def time_figures(session: Session, window: Window, now: datetime) -> dict[str, Any]:
    """Handling time (duration_minutes) and resolution time (contact to resolution, hours), median and p90; the
    resolution's "unknown" count comes from the grouped scan (unknown_resolution)."""
    histograms: dict[str, dict[str, dict[float, int]]] = {}
    for key, part, scale in (("handling", HANDLING, 1), ("resolution", RESOLUTION, 60)):
        histogram: dict[str, dict[float, int]] = {CURRENT: defaultdict(int), PREVIOUS: defaultdict(int)}
        # Values recur from day to day: each is converted once.
        converted: dict[float, float] = {}
        for day, rows in day_rows(session, part, window.first_day, window.after_day, now):
            counts = histogram[window.which_day(day)]
            for row in rows:
                for value, number in row["values"]:
                    bin_value = converted.get(value)
                    if bin_value is None:
                        bin_value = converted[value] = round(value / scale, 4)
                    counts[bin_value] += number
        histograms[key] = histogram
    result = {}
    for key, unit in (("handling", "minutes"), ("resolution", "hours")):
        current, previous = summary(histograms[key][CURRENT]), summary(histograms[key][PREVIOUS])
        result[key] = {
            "unit": unit,
            "current": current,
            "previous": previous,
            **{stat: compare(current[stat], previous[stat], digits=1) for stat in ("median", "p90", "mean")},
        }
    return result
