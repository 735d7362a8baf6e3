"""`consultkb reports …`: make, list, export and mail improvement reports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from jobs.models import ReportStatus
from jobs.reports import mail
from jobs.reports.operations import (
    EXPORT_FORMATS,
    export_report,
    find_report,
    generate_report,
    list_reports,
    report_data,
    report_locale,
)
from jobs.reports.periods import KINDS
from jobs.runs import run_job
from records.db import read_session

reports_cli = AppGroup("reports", help="Weekly and monthly improvement reports.")


def _fail(message: str, code: int = 2) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(code)


@reports_cli.command("generate")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--period", help="2026-W46 (weekly) or 2026-10 (monthly); default: the last complete period.")
@click.option("--force", is_flag=True, help="Rebuild a report that exists (it stays one report).")
@click.option("--email/--no-email", default=False, help="Mail it to REPORT_RECIPIENTS if not mailed yet.")
def generate_command(kind: str, period: str | None, force: bool, email: bool) -> None:
    """Make the report of one period, once: a report that exists is left alone unless --force."""
    outcome_holder: dict = {}

    def work() -> dict:
        outcome = generate_report(kind, period, force=force)
        outcome_holder["outcome"] = outcome
        output = outcome.as_output()
        if email and outcome.report.status == ReportStatus.READY:
            output["emailed_to"] = mail.deliver_report(outcome.report.id, again=force)
        return output

    try:
        run = run_job(f"{kind}_report", work, trigger="cli")
    except ValueError as error:
        _fail(str(error))
    outcome = outcome_holder["outcome"]
    messages = {
        "built": "Built",
        "rebuilt": "Rebuilt",
        "exists": "Already made (use --force to rebuild)",
        "busy": "Another process is building it now",
    }
    click.echo(f"{messages[outcome.action]}: {kind} report {outcome.report.period} (id {outcome.report.id}).")
    if run.output.get("emailed_to"):
        click.echo(f"Mailed to {', '.join(run.output['emailed_to'])}.")
    elif email and not mail.recipients():
        click.echo("Not mailed: set MAIL_SERVER and REPORT_RECIPIENTS.")


@reports_cli.command("list")
@click.option("--kind", type=click.Choice(KINDS))
@click.option("--json", "as_json", is_flag=True)
def list_command(kind: str | None, as_json: bool) -> None:
    """The reports made so far, newest first."""
    with read_session() as session:
        reports = list_reports(session, kind)
        rows = [
            {
                "id": report.id,
                "kind": report.kind.value,
                "period": report.period,
                "status": report.status.value,
                "generated_at": report.generated_at.isoformat() if report.generated_at else None,
                "emailed_at": report.emailed_at.isoformat() if report.emailed_at else None,
            }
            for report in reports
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No reports yet: `consultkb reports generate --kind weekly`.")
    for row in rows:
        click.echo(f"{row['kind']:8} {row['period']:9} {row['status']:9} {row['generated_at'] or '-'}")


@reports_cli.command("export")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--period", required=True)
@click.option("--format", "fmt", type=click.Choice(list(EXPORT_FORMATS)), required=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--locale", help="zh_CN or en (default: REPORT_LOCALE).")
def export_command(kind: str, period: str, fmt: str, output: Path, locale: str | None) -> None:
    """Write a made report as HTML, PDF, CSV, XLSX or its figures as JSON."""
    from flask import current_app

    locale = locale or report_locale()
    if locale not in current_app.config["LANGUAGES"]:
        _fail(f"Unknown locale {locale!r}; use one of {', '.join(current_app.config['LANGUAGES'])}.")
    try:
        with read_session() as session:
            report = find_report(session, kind, period)
            data = report_data(report) if report is not None and report.status == ReportStatus.READY else None
    except ValueError as error:
        _fail(str(error))
    if data is None:
        _fail(f"No finished {kind} report for {period}: `consultkb reports generate --kind {kind} --period {period}`.")
    output.write_bytes(export_report(data, fmt, locale))
    click.echo(f"Wrote {output}.")


@reports_cli.command("send")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--period", required=True)
@click.option("--again", is_flag=True, help="Send even if it was mailed before.")
def send_command(kind: str, period: str, again: bool) -> None:
    """Mail a made report to REPORT_RECIPIENTS."""
    if not mail.recipients():
        _fail("Nobody to mail to: set MAIL_SERVER and REPORT_RECIPIENTS.")
    try:
        with read_session() as session:
            report = find_report(session, kind, period)
    except ValueError as error:
        _fail(str(error))
    if report is None or report.status != ReportStatus.READY:
        _fail(f"No finished {kind} report for {period}.")
    sent = mail.deliver_report(report.id, again=again)
    click.echo(f"Mailed to {', '.join(sent)}." if sent else "Already mailed (use --again to send it again).")
