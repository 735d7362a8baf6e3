"""The report's grouped scans, kept per local contact day.

The large parts of an improvement report (volume and satisfaction, quality and fill rates, criteria, SLA breaches,
handling and resolution times, the candidates for its examples) are sums over the two periods' records. Each is
computed as rows per local contact day (`DayPart.query`), and the figures add the days up. The nightly `report_days`
job (`refresh`) keeps a day's rows in ReportDayRows once they can no longer change without a write: when the day is
over, or, for the parts about SLA breaches, once its longest deadline has passed as well (records.changes). A report
then reads the days it finds kept and scans only the others: on a monthly report run on the 1st, the breaches of the
month's last five days (with the default deadlines) and nothing else.

Kept rows are used only while they are right. Each is stored with the version its day had when its rows were read
(records.changes: every write that can change a day's figures bumps it when it commits), and with the settings it
was computed under (timezone, SLA rules, the queries' version); rows whose day has moved on or whose settings differ
are computed afresh, exactly as if nothing were kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from jobs.models import ReportDayRows
from records.changes import REPEAT_CONTACT_DAYS, ContactDayVersion, ended_before, settled_before
from records.db import conflict_insert, db, read_session
from records.models import Record
from records.sla import rules_as_dict, sla_rules
from records.timeutil import local_day_start, local_timezone, utcnow

#: Bump when a part's query changes what its rows mean: rows kept under another version are computed afresh.
QUERIES_VERSION = 1
#: The nightly job keeps this many days: a monthly report and the month before it, with room to spare.
KEEP_DAYS = 100
#: Days computed by one query when filling: a month's records at a time.
FILL_CHUNK_DAYS = 31


@dataclass(frozen=True)
class DaySpan:
    """Consecutive local days, and the SQL telling which of them a record was contacted on."""

    days: tuple[date, ...]

    @property
    def start(self) -> datetime:
        return local_day_start(self.days[0])

    @property
    def end(self) -> datetime:
        return local_day_start(self.days[-1] + timedelta(days=1))

    def contacted(self, column: sa.ColumnElement = Record.contacted_at) -> sa.ColumnElement[bool]:
        return sa.and_(column >= self.start, column < self.end)

    def day(self, column: sa.ColumnElement = Record.contacted_at) -> sa.ColumnElement[int]:
        """The position in `days` of the day a contact time (within the span) falls on. Nested halves: a month of
        days costs each record five comparisons, not thirty."""
        starts = [local_day_start(day) for day in self.days]

        def between(low: int, high: int) -> sa.ColumnElement[int]:
            if low == high:
                return sa.literal(low)
            middle = (low + high + 1) // 2
            return sa.case((column < starts[middle], between(low, middle - 1)), else_=between(middle, high))

        return between(0, len(self.days) - 1).label("day")


@dataclass(frozen=True)
class DayPart:
    """One grouped scan of a report: `query(session, span, now)` returns rows (sa.Row or dicts), each with "day"
    (the position in span.days) and its own group and measure keys; values JSON cannot keep as they are are
    converted (`plain`), so rows read back from ReportDayRows equal those computed."""

    name: str
    query: Callable[[Session, DaySpan, datetime], Iterable[dict[str, Any]]]
    #: Its rows change with the time alone until the day's SLA deadlines have passed (breaches); other parts' rows
    #: change only with writes, which bump the day, and can be kept once the day is over.
    waits_for_deadlines: bool = False

    def kept_before(self, now: datetime) -> date:
        """The first day whose rows cannot be kept yet at `now`."""
        return settled_before(now) if self.waits_for_deadlines else ended_before(now)


#: Values JSON keeps as they are.
_PLAIN_TYPES = frozenset({int, float, str, bool, type(None), list, dict})


def plain(value: Any) -> Any:
    """A row value as JSON keeps it: numbers as int or float, enums as their value."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Enum):
        return value.value
    return value


def packed(rows: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    """Rows as stored: {"keys": [...], "values": [[...], ...]} when they all have the same keys (the contacts' rows
    take about a third of the room a list of objects takes), else as they are."""
    if not rows:
        return rows
    keys = list(rows[0])
    if any(len(row) != len(keys) or list(row) != keys for row in rows):
        return rows
    return {"keys": keys, "values": [list(row.values()) for row in rows]}


def unpacked(stored: dict[str, Any] | list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(stored, list):
        return stored
    keys = stored["keys"]
    return [dict(zip(keys, values, strict=True)) for values in stored["values"]]


def settings_key() -> str:
    """What kept rows depend on besides the records: rows computed under other settings are not used."""
    settings = {
        "timezone": str(local_timezone()),
        "sla": rules_as_dict(sla_rules()),
        "repeat_days": REPEAT_CONTACT_DAYS,
        "queries": QUERIES_VERSION,
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def _days(first: date, after: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((after - first).days)]


def _runs(days: list[date], longest: int | None = None) -> list[tuple[date, ...]]:
    """Consecutive stretches of the (ascending) days, each at most `longest` days."""
    runs: list[list[date]] = []
    for day in days:
        if runs and runs[-1][-1] + timedelta(days=1) == day and (longest is None or len(runs[-1]) < longest):
            runs[-1].append(day)
        else:
            runs.append([day])
    return [tuple(run) for run in runs]


def kept_rows(session: Session, part: str, days: list[date], settings: str) -> dict[date, list[dict[str, Any]]]:
    """The rows kept for those of `days` whose version has not moved on since."""
    if not days:
        return {}
    query = (
        sa.select(ReportDayRows.day, ReportDayRows.rows)
        .outerjoin(ContactDayVersion, ContactDayVersion.day == ReportDayRows.day)
        .where(
            ReportDayRows.part == part,
            ReportDayRows.settings == settings,
            ReportDayRows.day >= days[0],
            ReportDayRows.day <= days[-1],
            ReportDayRows.version == sa.func.coalesce(ContactDayVersion.version, 0),
        )
    )
    wanted = set(days)
    return {day: unpacked(rows) for day, rows in session.execute(query) if day in wanted}


def computed_rows(
    session: Session, part: DayPart, days: tuple[date, ...], now: datetime
) -> dict[date, list[dict[str, Any]]]:
    """The part's rows for consecutive `days`, scanned from the records (a day without records has none)."""
    found: dict[date, list[dict[str, Any]]] = {day: [] for day in days}
    for row in part.query(session, DaySpan(days), now):
        item = row._asdict() if isinstance(row, sa.Row) else dict(row)
        for key, value in item.items():
            if type(value) not in _PLAIN_TYPES:
                item[key] = plain(value)
        found[days[item.pop("day")]].append(item)
    return found


def day_rows(
    session: Session, part: DayPart, first: date, after: date, now: datetime
) -> list[tuple[date, list[dict[str, Any]]]]:
    """(day, rows) for each local day in [first, after), in day order: kept where right, computed otherwise."""
    days = _days(first, after)
    keepable = part.kept_before(now)
    found = kept_rows(session, part.name, [day for day in days if day < keepable], settings_key())
    for run in _runs([day for day in days if day not in found]):
        found.update(computed_rows(session, part, run, now))
    return [(day, found[day]) for day in days]


def add_up(
    days: Iterable[tuple[date, list[dict[str, Any]]]],
    key: Callable[[date, dict[str, Any]], tuple],
    fixed: Iterable[str],
) -> dict[tuple, dict[str, Any]]:
    """The rows of many days summed per group key(day, row): each group's row is its first row with every value
    but those named in `fixed` summed (None only where every row had None or none); rows may lack keys others
    have."""
    fixed = frozenset(fixed)
    groups: dict[tuple, dict[str, Any]] = {}
    for day, rows in days:
        for row in rows:
            group = key(day, row)
            total = groups.get(group)
            if total is None:
                groups[group] = dict(row)
                continue
            for name, value in row.items():
                if value is not None and name not in fixed:
                    before = total.get(name)
                    total[name] = value if before is None else before + value
    return groups


def refresh(parts: Iterable[DayPart], *, now: datetime | None = None, keep_days: int = KEEP_DAYS) -> dict[str, int]:
    """Compute and keep the rows of the last `keep_days` days that can be kept (DayPart.kept_before) and have none,
    or out-of-date ones; returns how many days each part computed. Rows of days older than that are dropped."""
    now = now or utcnow()
    first = ended_before(now) - timedelta(days=keep_days)
    settings = settings_key()
    done: dict[str, int] = {}
    for part in parts:
        after = part.kept_before(now)
        days = _days(first, after)
        with read_session() as session:
            # Versions before the records: a write committing in between makes its day's rows look out of date
            # (computed again next time), never the other way round.
            versions = dict(
                session.execute(
                    sa.select(ContactDayVersion.day, ContactDayVersion.version).where(
                        ContactDayVersion.day >= first, ContactDayVersion.day < after
                    )
                ).all()
            )
            kept = kept_rows(session, part.name, days, settings)
            computed: dict[date, list[dict[str, Any]]] = {}
            for run in _runs([day for day in days if day not in kept], FILL_CHUNK_DAYS):
                computed.update(computed_rows(session, part, run, now))
        _store(part.name, computed, versions, settings, now)
        done[part.name] = len(computed)
    with db.engine.begin() as connection:
        connection.execute(sa.delete(ReportDayRows).where(ReportDayRows.day < first))
    return done


def _store(
    part: str, computed: dict[date, list[dict[str, Any]]], versions: dict[date, int], settings: str, now: datetime
) -> None:
    if not computed:
        return
    table = ReportDayRows.__table__
    insert = conflict_insert(db.engine.dialect.name)
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.part, table.c.day],
        set_={name: statement.excluded[name] for name in ("settings", "version", "computed_at", "rows")},
    )
    values = [
        {
            "part": part,
            "day": day,
            "settings": settings,
            "version": versions.get(day, 0),
            "computed_at": now,
            "rows": packed(rows),
        }
        for day, rows in computed.items()
    ]
    with db.engine.begin() as connection:
        connection.execute(statement, values)
