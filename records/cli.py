"""`consultkb users …` and `consultkb records …`."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from marshmallow import ValidationError

from records.db import db
from records.enums import Role, Status
from records.exporting import EXPORT_FORMATS, export_records
from records.formats import FORMATS, FormatError, detect_format, read_rows
from records.importing import import_rows, system_actor
from records.models import User
from records.operations import RecordFilters
from records.people import create_user, set_user_active

users_cli = AppGroup("users", help="Manage people and roles.")
records_cli = AppGroup("records", help="Import and export consultation records.")


def fail(message: str) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(1)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(Role.values()), help="agent, supervisor, trainer or admin.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--team", help="Team name (agents and supervisors); created if new.")
@click.option("--display-name", help="Name shown in pages, e.g. 客服A组-王.")
@click.option("--agent-code", help="Agent code (工号).")
@click.option("--email")
def create_user_command(username, role, password, team, display_name, agent_code, email):
    """Create a user who can sign in."""
    try:
        user = create_user(
            username,
            role=Role(role),
            password=password,
            team=team,
            display_name=display_name,
            agent_code=agent_code,
            email=email,
            by="cli",
        )
    except ValidationError as exc:
        db.session.rollback()
        fail("; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in exc.messages.items()))
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.username}" + (f" in team {team}" if team else "") + ".")


@users_cli.command("list")
def list_users_command():
    """List users with their role, team and whether they can sign in."""
    users = db.session.scalars(sa.select(User).order_by(User.role, User.username)).all()
    for user in users:
        state = "" if user.active else "  (deactivated)"
        team = user.team.name if user.team else "-"
        click.echo(f"{user.username:<16} {user.role.value:<11} {team:<18} {user.display_name}{state}")
    click.echo(f"{len(users)} users.")


@users_cli.command("deactivate")
@click.argument("username")
def deactivate_user_command(username):
    """Stop USERNAME from signing in (records and history stay)."""
    _set_active(username, False)


@users_cli.command("activate")
@click.argument("username")
def activate_user_command(username):
    """Let a deactivated USERNAME sign in again."""
    _set_active(username, True)


def _set_active(username: str, active: bool) -> None:
    try:
        set_user_active(username, active, by="cli")
    except ValidationError as exc:
        db.session.rollback()
        fail(" ".join(map(str, exc.messages["username"])))
    db.session.commit()
    click.echo(f"{username} {'can sign in again' if active else 'can no longer sign in'}.")


@records_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from the file's extension and header.")
@click.option("--default-agent", help="Agent for rows that name none or an unknown one (Zendesk, Freshdesk).")
@click.option("--agent", help="Transcripts: the agent who took the call.")
@click.option("--contacted-at", help="Transcripts: when the call took place (YYYY-MM-DD HH:MM).")
@click.option("--customer-name", help="Transcripts: the caller's name.")
@click.option("--customer-phone", help="Transcripts: the caller's number.")
def import_command(file, fmt, default_agent, agent, contacted_at, customer_name, customer_phone):
    """Import records from FILE (CSV, JSONL, XLSX, Zendesk JSON, Freshdesk CSV, or a call transcript).

    Rows are validated like the API; a bad row is reported with its row number and reason and nothing of it is
    written. Re-importing the same file changes nothing. Exits 1 if any row was rejected.
    """
    try:
        fmt = fmt or detect_format(file)
        defaults = {
            key: value
            for key, value in {
                "agent": agent,
                "contacted_at": contacted_at,
                "customer_name": customer_name,
                "customer_phone": customer_phone,
            }.items()
            if value
        }
        rows = list(read_rows(file, fmt, transcript_defaults=defaults or None))
    except FormatError as exc:
        fail(str(exc))
    with click.progressbar(length=len(rows), label=f"Importing {file.name}", file=sys.stderr) as bar:
        report = import_rows(rows, source=fmt, default_agent=default_agent, progress=bar.update)
    click.echo(
        f"{len(rows)} rows: {report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.rejected} rejected."
    )
    if report.problems:
        click.echo("Rejected rows (nothing from them was written):", err=True)
        for problem in report.problems:
            click.echo(f"  row {problem.row}: {problem.field}: {problem.reason}", err=True)
        sys.exit(1)


@records_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), help="Default: from the file's extension.")
@click.option("--status", type=click.Choice(Status.values()))
@click.option("--agent")
@click.option("--team")
@click.option("--category")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="First local day, YYYY-MM-DD.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Last local day, YYYY-MM-DD.")
@click.option("--reveal", is_flag=True, help="Write personal data unmasked (audit-logged).")
def export_command(file, fmt, status, agent, team, category, date_from, date_to, reveal):
    """Export records in the canonical import columns (masked unless --reveal)."""
    fmt = fmt or file.suffix.lstrip(".").lower()
    if fmt not in EXPORT_FORMATS:
        fail(f"Cannot tell the format from {file.name}; pass --format ({', '.join(EXPORT_FORMATS)}).")
    filters = RecordFilters(
        status=Status(status) if status else None,
        agent=agent,
        team=team,
        category=category,
        date_from=date_from.date() if isinstance(date_from, datetime) else None,
        date_to=date_to.date() if isinstance(date_to, datetime) else None,
    )
    try:
        with click.progressbar(length=0, label=f"Exporting to {file.name}", file=sys.stderr) as bar:
            count = export_records(system_actor(), filters, file, fmt, reveal=reveal, progress=bar.update)
    except ValidationError as exc:
        fail(str(exc.messages))
    click.echo(f"Exported {count} records to {file}" + (" (unmasked)." if reveal else " (personal data masked)."))
