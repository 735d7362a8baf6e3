"""Improvement reports: exactly one per (kind, period), however often and by however many processes it is asked for.

A report row is claimed before its figures are built: inserting it (the unique (kind, period) constraint decides
between two schedulers) or taking over a row whose builder died. Figures are built outside any transaction and
written only while the claim is still ours, so a killed run leaves a "building" row the next run takes over, and a
re-run finds the finished report and does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jobs.models import Report, ReportKind, ReportStatus
from jobs.reports.figures import build_figures
from jobs.reports.periods import Period, last_complete_period, parse_period
from jobs.runs import scheduler_heartbeats, this_worker, worker_alive
from records.db import db
from records.timeutil import utcnow


@dataclass
class Outcome:
    report: Report
    #: "built", "rebuilt", "exists" (nothing to do) or "busy" (another process is building it).
    action: str

    def as_output(self) -> dict[str, Any]:
        output: dict[str, Any] = {"report_id": self.report.id, "kind": self.report.kind.value}
        output["period"], output["action"] = self.report.period, self.action
        if self.action in ("exists", "busy"):
            output["skipped"] = f"report {self.report.kind.value} {self.report.period} {self.action}"
        return output


def generate_report(
    kind: str, label: str | None = None, *, force: bool = False, now: datetime | None = None
) -> Outcome:
    """Build the report of `kind` for period `label` (default: the last complete period).

    A finished report is left as it is unless `force` (then it is rebuilt in place: still one row). Raises
    ValueError for an unknown kind or period label.
    """
    now = now or utcnow()
    period = parse_period(kind, label) if label else last_complete_period(kind, now)
    if period.ends_at > now:
        raise ValueError(f"The period {period.label} has not ended yet; its report would be incomplete.")
    claimed = _claim(period, force=force, now=now)
    if isinstance(claimed, Outcome):
        return claimed
    report_id, action, token = claimed
    try:
        figures = build_figures(period, now=now)
    except Exception as error:
        _release(report_id, token, ReportStatus.FAILED, error=f"{type(error).__name__}: {error}")
        raise
    report = _release(report_id, token, ReportStatus.READY, figures=figures)
    if report is None:
        # Our claim was taken over (we were thought dead): the other builder's report stands.
        with Session(db.engine, expire_on_commit=False) as session:
            return Outcome(session.scalars(_find(period)).one(), "busy")
    return Outcome(report, action)


def _find(period: Period) -> sa.Select:
    return sa.select(Report).where(Report.kind == ReportKind(period.kind), Report.period == period.label)


def _claim(period: Period, *, force: bool, now: datetime) -> tuple[int, str, tuple[str, datetime]] | Outcome:
    """(report id, action, claim token) once this process owns the row, or the Outcome when there is nothing to do."""
    # The claim's time is the real time (not the report's `now`, which tests and back-fills set): staleness is real.
    token = (this_worker(), utcnow())
    with Session(db.engine, expire_on_commit=False) as session:
        report = Report(
            kind=ReportKind(period.kind),
            period=period.label,
            starts_at=period.starts_at,
            ends_at=period.ends_at,
            status=ReportStatus.BUILDING,
            figures={},
            claimed_by=token[0],
            claimed_at=token[1],
        )
        session.add(report)
        try:
            session.commit()
            return report.id, "built", token
        except IntegrityError:
            session.rollback()
        existing = session.scalars(_find(period)).one()
        if existing.status == ReportStatus.READY and not force:
            return Outcome(existing, "exists")
        schedulers = scheduler_heartbeats(session)
        if existing.status == ReportStatus.BUILDING and worker_alive(
            existing.claimed_by, existing.claimed_at, schedulers=schedulers
        ):
            return Outcome(existing, "busy")
        action = "rebuilt" if existing.status == ReportStatus.READY else "built"
        # Compare-and-set on the claim we saw: of two processes taking over the same row, one wins.
        taken = session.execute(
            sa.update(Report)
            .where(
                Report.id == existing.id,
                Report.claimed_by.is_not_distinct_from(existing.claimed_by),
                Report.claimed_at.is_not_distinct_from(existing.claimed_at),
            )
            .values(status=ReportStatus.BUILDING, claimed_by=token[0], claimed_at=token[1], error=None)
        ).rowcount
        session.commit()
        if not taken:
            return Outcome(session.scalars(_find(period)).one(), "busy")
        return existing.id, action, token


def _release(
    report_id: int,
    token: tuple[str, datetime],
    status: ReportStatus,
    *,
    figures: dict | None = None,
    error: str | None = None,
) -> Report | None:
    """Write the outcome if the claim is still ours; None when another process took the row over."""
    values: dict[str, Any] = {"status": status, "error": error}
    if figures is not None:
        values["figures"], values["generated_at"] = figures, utcnow()
    with Session(db.engine, expire_on_commit=False) as session:
        written = session.execute(
            sa.update(Report)
            .where(Report.id == report_id, Report.claimed_by == token[0], Report.claimed_at == token[1])
            .values(**values)
        ).rowcount
        session.commit()
        return session.get(Report, report_id) if written else None


def report_data(report: Report) -> dict[str, Any]:
    """What the renderers take (jobs.reports.rendering)."""
    return {
        "kind": report.kind.value,
        "period": report.period,
        "starts_at": report.starts_at.isoformat(),
        "ends_at": report.ends_at.isoformat(),
        "generated_at": report.generated_at.isoformat() if report.generated_at else None,
        "figures": report.figures,
    }


def find_report(session: Session, kind: str, label: str) -> Report | None:
    """The report of `kind` for `label` (any accepted spelling, e.g. 2026-w46); ValueError for a bad kind/label."""
    return session.scalars(_find(parse_period(kind, label))).one_or_none()


def list_reports(session: Session, kind: str | None = None, limit: int = 100) -> list[Report]:
    query = sa.select(Report).order_by(Report.starts_at.desc(), Report.kind).limit(limit)
    if kind:
        query = query.where(Report.kind == ReportKind.parse(kind))
    return list(session.scalars(query))


#: Export formats of a finished report and their media types.
EXPORT_FORMATS = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def export_report(data: dict[str, Any], fmt: str, locale: str) -> bytes:
    """A finished report (report_data) as one of EXPORT_FORMATS."""
    import json

    from jobs.reports import rendering

    if fmt == "html":
        return rendering.render_report_document(data, locale).encode("utf-8")
    if fmt == "pdf":
        return rendering.render_report_pdf(data, locale)
    if fmt == "csv":
        return rendering.report_csv(data)
    if fmt == "xlsx":
        return rendering.report_xlsx(data)
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def report_locale() -> str:
    return str(current_app.config.get("REPORT_LOCALE") or current_app.config["LANGUAGES"][0])
