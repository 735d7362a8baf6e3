"""`consultkb scoring …`: rescore records with the newest rubric; score reports."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from records.cli import fail
from records.db import db, read_session
from records.models import Record, Team
from records.presenting import iso_utc

scoring_cli = AppGroup("scoring", help="Record scoring: rubric, automatic scores, reports.")


@scoring_cli.command("rescore")
@click.option("--missing", is_flag=True, help="Only records without a score yet (older than scoring); run once.")
def rescore_command(missing: bool) -> None:
    """Score every record again with the newest rubric version (after a rubric change), or with --missing only the
    records that have no score yet. Pages show a missing score computed on the spot but do not store it."""
    from scoring.engine import rescore_all, score_missing

    with read_session() as reader:
        total = reader.scalar(sa.select(sa.func.count()).select_from(Record)) or 0
    with click.progressbar(length=max(total, 1), label="Scoring records", file=sys.stderr) as bar:
        count = score_missing(progress=bar.update) if missing else rescore_all(progress=bar.update)
    click.echo(f"Scored {count} record(s).")


@scoring_cli.command("report")
@click.option("--agent", help="Username (or agent code, e-mail) of one agent.")
@click.option("--team", help="Team name.")
@click.option("--period", required=True, help="2026-W46, 2026-10, 2026-Q4, 2026 or 2026-10-01..2026-10-31.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "xlsx"]), default="text", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE instead of stdout.")
def report_command(agent, team, period, fmt, output):
    """Score report of one agent, one team or everyone over a period: means, distribution, weakest criteria,
    field fill rates, weekly trend, agents, best and worst records.

    csv is one row per record; xlsx has the summary sheets and the records (and needs --output).
    """
    from records.importing import system_actor
    from records.people import find_agent
    from scoring.report_exports import export_report
    from scoring.reports import parse_period, score_report

    if agent and team:
        fail("Give --agent or --team, not both.")
    try:
        start, end = parse_period(period)
    except ValueError as exc:
        fail(str(exc))
    agent_id = team_id = None
    if agent:
        user = find_agent(agent)
        if user is None:
            fail(f"No agent {agent!r}; see `consultkb users list`.")
        agent_id = user.id
    if team:
        team_id = db.session.scalar(sa.select(Team.id).where(Team.name == team))
        if team_id is None:
            known = ", ".join(db.session.scalars(sa.select(Team.name).order_by(Team.name))) or "none yet"
            fail(f"No team {team!r}; known teams: {known}.")
    if fmt == "xlsx" and output is None:
        fail("An XLSX report is a binary file: give --output FILE.")

    report = score_report(viewer=system_actor(), agent_id=agent_id, team_id=team_id, start=start, end=end)
    # Scoring records that had no score yet is not this command's business to keep.
    db.session.rollback()
    if fmt in ("csv", "xlsx"):
        content = export_report(report, fmt)
    elif fmt == "json":
        content = (json.dumps(report, ensure_ascii=False, indent=2, default=_json_value) + "\n").encode("utf-8")
    else:
        content = report_text(report).encode("utf-8")
    if output is None:
        click.echo(content.decode("utf-8-sig"), nl=False)
    else:
        output.write_bytes(content)
        click.echo(f"Wrote the report on {report['count']} record(s) to {output}.")


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def report_text(report: dict) -> str:
    """The report for a terminal: both languages' criterion and field names, English labels."""

    def pct(share: float | None) -> str:
        return "-" if share is None else f"{100 * share:.1f} %"

    def score(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    subject = (
        f"agent {report['agent']['username']}"
        if report["agent"]
        else f"team {report['team']['name']}"
        if report["team"]
        else "all agents"
    )
    lines = [
        f"Score report {report['first_day']} to {report['last_day']}, {subject} (rubric v{report['rubric_version']})",
        f"Records: {report['count']}  graded: {report['graded']}  critical failures: {report['critical_failed']}",
        f"Mean score: {score(report['mean_effective'])}  (automatic: {score(report['mean_auto'])})",
        "",
        "Distribution:",
    ]
    lines += [f"  {band['label']:>6}  {band['count']:>5}  {pct(band['share']):>8}" for band in report["distribution"]]
    lines += ["", "Weakest criteria (share of records losing points, mean share of points):"]
    lines += [
        f"  {pct(row['losing_share']):>8}  {pct(row['mean_fraction']):>8}  {row['name']['en']} / {row['name']['zh']}"
        for row in report["weakest_criteria"]
    ]
    lines += ["", f"Fill rates (alert below {pct(report['alert_below'])}):"]
    lines += [
        f"  {pct(row['rate']):>8}  {row['filled']:>5}/{row['applicable']:<5} {'ALERT ' if row['alert'] else ''}"
        f"{row['name']['en']} / {row['name']['zh']}"
        for row in report["fill_rates"]
    ]
    lines += ["", "Weeks:"]
    lines += [f"  {row['week']}  {row['count']:>5}  {score(row['mean'])}" for row in report["weeks"]]
    if report["agents"]:
        lines += ["", "Agents (records, mean score, weakest criterion):"]
        lines += [
            f"  {row['username']:<16} {row['count']:>5}  {score(row['mean']):>5}  "
            f"{row['weakest']['name']['en'] if row['weakest'] else '-'}"
            for row in report["agents"]
        ]
    for title, examples in (("Best records", report["best"]), ("Worst records", report["worst"])):
        lines += ["", f"{title}:"]
        lines += [f"  {row['record_number']}  {score(row['effective_score'])}  {row['agent_name']}" for row in examples]
    return "\n".join(lines) + "\n"
