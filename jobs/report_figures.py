"""Everything an improvement report shows, for its period and the one before it: `build_figures`.

The figures are plain JSON (dicts, lists, strings, numbers; times as ISO strings, naive UTC unless named local), so
they are stored as they are in jobs.models.Report.figures and rendered, exported and e-mailed from there. Every
quoted record is masked and carries "record_id" and "number" (retention removes the examples of records it deletes).

All reading happens in one records.db.read_session, with SQL aggregates over the two periods' records (see
jobs.report_common): no record is loaded as an object, and no write lock is held on SQLite. The parts:
jobs.report_records (volume, top problems, satisfaction, FCR, times), jobs.report_service (SLA, follow-ups),
jobs.report_quality (scores, criteria, fill rates, cases), jobs.report_knowledge (knowledge base, help center),
jobs.report_needs (customer needs), jobs.report_recommendations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from jobs.periods import Period
from jobs.report_common import Window, iso
from jobs.report_knowledge import knowledge_figures
from jobs.report_needs import needs_figures
from jobs.report_quality import cases, quality_figures
from jobs.report_recommendations import recommendations
from jobs.report_records import (
    FCR_REPEAT_DAYS,
    fcr_figures,
    rising_topics,
    satisfaction_figures,
    scan,
    time_figures,
    top_problems,
    volume_figures,
)
from jobs.report_service import sla_figures
from records.db import read_session
from records.timeutil import local_timezone, to_local, utcnow

#: The shape of the figures; templates and exports read this version (bump it when a key changes meaning).
FIGURES_VERSION = 1
#: PostgreSQL settings for the report's read transaction (SET LOCAL: they end with it). JIT compiling took 0.6-1.3 s
#: per grouped scan of a month's records in bench/bench_reports.py, longer than running the scans; with the
#: default 4MB work_mem their sorts spilled to disk (up to 27MB per sort).
POSTGRES_REPORT_SETTINGS = {"jit": "off", "work_mem": "64MB", "random_page_cost": "1.1"}


def build_figures(period: Period, *, now: datetime | None = None) -> dict[str, Any]:
    """The report's figures for `period` compared with the period before. `now` (naive UTC, default: the current
    time) is when deadlines and follow-ups are judged: a record still open past its deadline counts as a breach."""
    now = now or utcnow()
    window = Window.of(period)
    today = to_local(now).date()
    with read_session() as session:
        if session.get_bind().dialect.name == "postgresql":
            for name, value in POSTGRES_REPORT_SETTINGS.items():
                session.execute(sa.select(sa.func.set_config(name, value, True)))
        rows = scan(session, window)
        top = top_problems(session, window, rows)
        rising = rising_topics(rows)
        topics = {(item["category"], item["subcategory"]): item for item in [*top, *rising]}
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
            "volume": volume_figures(rows),
            "top_problems": top,
            "rising_topics": rising,
            "satisfaction": satisfaction_figures(window, rows),
            "fcr": fcr_figures(rows),
            "times": time_figures(session, window, rows),
            "sla": sla_figures(session, window, now, today),
            "quality": quality_figures(session, window),
            "cases": cases(session, window),
            "knowledge": knowledge_figures(session, window, list(topics.values())),
            "needs": needs_figures(session, window),
            "definitions": {"fcr_repeat_days": FCR_REPEAT_DAYS},
        }
    figures["recommendations"] = recommendations(figures)
    return figures
