"""Everything an improvement report shows, for its period and the one before it: `build_figures`.

The figures are plain JSON (dicts, lists, strings, numbers; times as ISO strings, naive UTC unless named local), so
they are stored as they are in jobs.models.Report.figures and rendered, exported and e-mailed from there. Every
quoted record is masked and carries "record_id" and "number" (retention removes the examples of records it deletes).

All reading happens in records.db.read_session (one per part, two at a time), with SQL aggregates over the two
periods' records (see jobs.reports.common): no record is loaded as an object, and no write lock is held on SQLite.
The parts:
jobs.reports.records (volume, top problems, satisfaction, FCR, times), jobs.reports.service (SLA, follow-ups),
jobs.reports.quality (scores, criteria, fill rates, cases), jobs.reports.knowledge (knowledge base, help center),
jobs.reports.needs (customer needs), jobs.reports.recommendations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from jobs.reports.common import Window, iso
from jobs.reports.days import KEEP_DAYS, refresh
from jobs.reports.knowledge import knowledge_figures
from jobs.reports.needs import needs_figures
from jobs.reports.periods import Period
from jobs.reports.quality import CASE_CANDIDATES, CRITERIA, QUALITY, cases, quality_figures
from jobs.reports.recommendations import recommendations
from jobs.reports.records import (
    CONTACTS,
    FCR_REPEAT_DAYS,
    HANDLING,
    RESOLUTION,
    fcr_figures,
    rising_topics,
    satisfaction_figures,
    scan,
    time_figures,
    top_problems,
    unknown_resolution,
    volume_figures,
)
from jobs.reports.service import BREACHES, SLA, sla_figures
from records.db import read_session
from records.timeutil import local_timezone, to_local, utcnow

#: The shape of the figures; templates and exports read this version (bump it when a key changes meaning).
FIGURES_VERSION = 1
#: PostgreSQL settings for the report's read transaction (SET LOCAL: they end with it). JIT compiling took 0.6-1.3 s
#: per grouped scan of a month's records in bench/bench_reports.py, longer than running the scans; with the
#: default 4MB work_mem their sorts spilled to disk (up to 27MB per sort).
POSTGRES_REPORT_SETTINGS = {"jit": "off", "work_mem": "64MB", "random_page_cost": "1.1", "enable_hashjoin": "off"}


#: Parts of a report run on this many database connections at once. The parts are independent queries, mostly
#: waiting on the database: two connections keep two cores busy, as PostgreSQL's parallel scans do.
REPORT_CONNECTIONS = 2


@contextmanager
def report_session() -> Iterator[Session]:
    """A read session with the report's PostgreSQL settings."""
    with read_session() as session:
        if session.get_bind().dialect.name == "postgresql":
            for name, value in POSTGRES_REPORT_SETTINGS.items():
                session.execute(sa.select(sa.func.set_config(name, value, True)))
        yield session


def _contacts(session: Session, window: Window, now: datetime) -> dict[str, Any]:
    """The parts that start from the grouped scan of the records."""
    rows = scan(session, window, now)
    top = top_problems(session, window, rows)
    rising = rising_topics(rows)
    topics = {(item["category"], item["subcategory"]): item for item in [*top, *rising]}
    return {
        "rows": rows,
        "volume": volume_figures(rows),
        "top_problems": top,
        "rising_topics": rising,
        "satisfaction": satisfaction_figures(window, rows),
        "fcr": fcr_figures(rows),
        "knowledge": knowledge_figures(session, window, list(topics.values()), now),
    }


#: The report's grouped scans, which the nightly `report_days` job keeps per day (jobs.reports.days).
DAY_PARTS = (CONTACTS, HANDLING, RESOLUTION, QUALITY, CRITERIA, SLA, BREACHES, CASE_CANDIDATES)


def keep_day_rows(*, now: datetime | None = None, keep_days: int = KEEP_DAYS) -> dict[str, int]:
    """Compute and keep the grouped rows of the days that can be kept and have none: see jobs.reports.days.refresh."""
    return refresh(DAY_PARTS, now=now, keep_days=keep_days)


def build_figures(period: Period, *, now: datetime | None = None) -> dict[str, Any]:
    """The report's figures for `period` compared with the period before. `now` (naive UTC, default: the current
    time) is when deadlines and follow-ups are judged: a record still open past its deadline counts as a breach.

    Each part reads in a read session of its own, REPORT_CONNECTIONS at a time. Like the statements of one
    PostgreSQL read-committed transaction, parts started a few milliseconds apart may see a record saved between
    them; a report is of a closed period, whose records rarely change."""
    now = now or utcnow()
    window = Window.of(period)
    today = to_local(now).date()
    app = current_app._get_current_object()

    def part(function: Callable[..., Any], *args: Any) -> Callable[[], Any]:
        def run() -> Any:
            with app.app_context(), report_session() as session:
                return function(session, window, *args)

        return run

    # Longest first, so that the two connections finish at about the same time.
    parts = {
        "quality": part(quality_figures, now),
        "sla": part(sla_figures, now, today),
        "contacts": part(_contacts, now),
        "times": part(time_figures, now),
        "cases": part(cases, now),
        "needs": part(needs_figures),
    }
    with ThreadPoolExecutor(max_workers=REPORT_CONNECTIONS, thread_name_prefix="report") as pool:
        futures = {name: pool.submit(run) for name, run in parts.items()}
        results = {name: future.result() for name, future in futures.items()}
    contacts = results["contacts"]
    times = results["times"]
    times["resolution"]["unknown"] = unknown_resolution(contacts["rows"])
    figures: dict[str, Any] = {
        "version": FIGURES_VERSION,
        "kind": period.kind,
        "period": period.label,
        "previous_period": window.previous.label,
        "starts_at": iso(period.starts_at),
        "ends_at": iso(period.ends_at),
        "previous_starts_at": iso(window.previous.starts_at),
        "first_day": iso(period.first_day),
        "last_day": iso(period.last_day),
        "timezone": str(local_timezone()),
        "as_of": iso(now),
        "volume": contacts["volume"],
        "top_problems": contacts["top_problems"],
        "rising_topics": contacts["rising_topics"],
        "satisfaction": contacts["satisfaction"],
        "fcr": contacts["fcr"],
        "times": times,
        "sla": results["sla"],
        "quality": results["quality"],
        "cases": results["cases"],
        "knowledge": contacts["knowledge"],
        "needs": results["needs"],
        "definitions": {"fcr_repeat_days": FCR_REPEAT_DAYS},
    }
    figures["recommendations"] = recommendations(figures)
    return figures
