"""`consultkb jobs …`: the scheduled jobs, run by hand."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from jobs.retention import ACTIONS, RetentionConfigError, run_retention
from jobs.runs import run_job

jobs_cli = AppGroup("jobs", help="Scheduled jobs: the scheduler, the job list, runs, and running a job by hand.")


@jobs_cli.command("retention")
@click.option("--dry-run", is_flag=True, help="Report what would be archived or deleted; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's result as JSON.")
def retention_command(dry_run: bool, as_json: bool) -> None:
    """Archive or delete the records past their category's retention period (RETENTION_POLICIES).

    Exit code 1 if any record could not be handled (listed with the reason); the next run retries it.
    """
    try:
        if dry_run:
            result = run_retention(dry_run=True, by="cli")
        else:
            # Recorded in the job-run table like the nightly run.
            result = run_job("retention", lambda: run_retention(by="cli"), trigger="cli").output
    except RetentionConfigError as exc:
        click.secho(f"Error: {exc}", fg="red", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for warning in result["warnings"]:
            click.secho(f"Warning: {warning}", fg="yellow", err=True)
        verbs = ("would be archived", "would be deleted") if dry_run else ("archived", "deleted")
        for category, counts in result["counts"].items():
            click.echo(
                f"{category}: "
                + ", ".join(f"{counts[action]} {verb}" for action, verb in zip(ACTIONS, verbs, strict=True))
            )
        summary = f"{result['archived']} {verbs[0]}, {result['deleted']} {verbs[1]}"
        if not dry_run:
            summary += f", {result['customers_deleted']} customers without records left deleted"
        click.echo(f"{'Dry run: ' if dry_run else ''}{summary}.")
    if result["errors"]:
        if not as_json:
            click.secho(f"{result['errors']} record(s) could not be handled:", fg="red", err=True)
            for error in result["errors_detail"]:
                click.echo(f"  record id {error['record_id']} ({error['action']}): {error['error']}", err=True)
        sys.exit(1)


@jobs_cli.command("run")
def run_command() -> None:
    """Run the scheduler in this process until stopped (SIGTERM or Ctrl-C): its own process, never a web worker.

    On PostgreSQL several may run (on several hosts): one leads, the others stand by and take over within
    JOB_LEADER_POLL_SECONDS when it dies. On SQLite a second one is refused (exit code 2).
    """
    import logging

    from flask import current_app

    from jobs.leadership import SchedulerRefused
    from jobs.scheduling import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve(current_app._get_current_object())
    except SchedulerRefused as refused:
        click.secho(f"Error: {refused}", fg="red", err=True)
        sys.exit(2)


@jobs_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_command(as_json: bool) -> None:
    """The scheduled jobs: schedule, next run and last run."""
    from jobs.scheduling import job_overview
    from records.db import read_session

    with read_session() as session:
        rows = [
            {
                "id": job.id,
                "description": str(job.description),
                "schedule": job.schedule,
                "next_run": job.next_run.isoformat() if job.next_run else None,
                "last_run": None
                if job.last_run is None
                else {
                    "status": job.last_run.status.value,
                    "started_at": job.last_run.started_at.isoformat(),
                    "trigger": job.last_run.trigger,
                },
            }
            for job in job_overview(session)
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        last_run = row["last_run"]
        last_text = f"{last_run['status']} {last_run['started_at'][:16]}" if last_run else "never run"
        click.echo(f"{row['id']:17} next {row['next_run'][:16] if row['next_run'] else '-':16}  last {last_text}")
        click.echo(f"{'':17} {row['description']}")


@jobs_cli.command("start")
@click.argument("job_id")
def start_command(job_id: str) -> None:
    """Run one job now, in this process, recorded in the job-run table like a scheduled run."""
    from jobs.scheduling import JOBS_BY_ID, run_now

    if job_id not in JOBS_BY_ID:
        click.secho(f"Error: no job {job_id!r}; the jobs are {', '.join(JOBS_BY_ID)}.", fg="red", err=True)
        sys.exit(2)
    try:
        output = run_now(job_id, trigger="cli")
    except Exception as error:
        click.secho(f"{job_id} failed: {error} (the traceback is in the job-run table).", fg="red", err=True)
        sys.exit(1)
    click.echo(json.dumps(output, ensure_ascii=False, indent=2, default=str))


@jobs_cli.command("runs")
@click.option("--job", "job_id", help="Only this job's runs.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def runs_command(job_id: str | None, limit: int, as_json: bool) -> None:
    """Recent job runs, newest first."""
    from jobs.runs import mark_dead_runs, recent_runs
    from records.db import read_session

    mark_dead_runs()
    with read_session() as session:
        runs = recent_runs(session, job_id=job_id, limit=limit)
        rows = [
            {
                "id": run.id,
                "job_id": run.job_id,
                "trigger": run.trigger,
                "status": run.status.value,
                "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                "error": run.error,
                "output": run.output,
            }
            for run in runs
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        error = (row["error"] or "").strip().splitlines()[-1:] or [""]
        click.echo(f"{row['started_at'][:19]} {row['job_id']:17} {row['status']:9} {row['trigger']:12} {error[0]}")


customers_cli = AppGroup("customers", help="Customers: erasure on request (PIPL / GDPR).")


@customers_cli.command("erase")
@click.argument("number")
@click.option("--yes", is_flag=True, help="Erase without asking for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print what was erased as JSON.")
def erase_customer_command(number: str, yes: bool, as_json: bool) -> None:
    """Erase the customer NUMBER (e.g. C20240501001) and everything about them, on their request.

    Every record of theirs goes from every store (follow-ups, scores, grades, FAQ drafts and keywords, cached
    vectors, stored reports, training cases, help-center visits and searches naming them), and the profile; the
    audit log keeps that it happened, not what was erased. Records on legal hold or under open dispute stop it.
    """
    import sqlalchemy as sa
    from flask_babel import force_locale
    from marshmallow import ValidationError

    from jobs.erasure_requests import erase_customer, erasure_preview, finish_erasure
    from records.db import db
    from records.importing import flatten_messages, system_actor
    from records.models import Customer

    customer = db.session.scalar(sa.select(Customer).where(Customer.number == number.strip()))
    if customer is None:
        raise click.ClickException(f"There is no customer {number}.")
    if not yes:
        preview = erasure_preview(customer)
        click.echo(
            f"Customer {customer.number}: {len(preview.records)} record(s)"
            + (f" ({', '.join(preview.records)})" if preview.records else "")
            + f", {preview.training_cases} training case(s), {preview.help_center_visits} help-center visit(s) and "
            f"{preview.searches} search(es) naming them will be erased. This cannot be undone."
        )
        click.confirm("Erase this customer?", abort=True)
    try:
        summary = erase_customer(customer, by=system_actor())
    except ValidationError as error:
        db.session.rollback()
        with force_locale("en"):  # the command line speaks English
            for _field, message in flatten_messages(error.messages):
                click.secho(f"Error: {message}", fg="red", err=True)
        sys.exit(1)
    db.session.commit()
    finish_erasure()
    if as_json:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(
            f"Erased customer {summary.customer}: {len(summary.records)} record(s), {summary.training_cases} "
            f"training case(s), {summary.help_center_visits} help-center visit(s), {summary.searches} search(es)."
        )
