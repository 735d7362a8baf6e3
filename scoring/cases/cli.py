"""`consultkb cases …`: export a training pack, list records worth a case, list agents weak on a criterion."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from records import audit
from records.access import NotFound
from records.cli import fail
from records.db import db
from records.models import Team
from records.presenting import iso_utc

cases_cli = AppGroup("cases", help="The case library: training packs, case suggestions, who needs which pack.")


def _period(first: datetime | None, last: datetime | None) -> tuple[datetime, datetime]:
    from scoring.cases.suggestions import period_of_days

    if first and last and first > last:
        fail("--from is after --to.")
    return period_of_days(first.date() if first else None, last.date() if last else None)


def _json(value: object) -> str:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@cases_cli.command("export")
@click.argument("pack_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["markdown", "pdf"]), default="markdown", show_default=True)
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE instead of stdout.")
def export_command(pack_id: int, fmt: str, language: str, output: Path | None) -> None:
    """Write training pack PACK_ID as Markdown or PDF (needs --output). Everything in it is anonymised."""
    from records.importing import system_actor
    from scoring.cases.exporting import export_pack, pack_export_data
    from scoring.cases.packs import get_collection

    if fmt == "pdf" and output is None:
        fail("A PDF is a binary file: give --output FILE.")
    try:
        collection = get_collection(pack_id)
    except NotFound as exc:
        fail(str(exc))
    data = pack_export_data(collection, language)
    audit.log(system_actor(), "collection.export", collection, format=fmt, language=language)
    db.session.commit()
    content = export_pack(data, fmt)
    if output is None:
        click.echo(content.decode("utf-8"), nl=False)
    else:
        output.write_bytes(content)
        click.echo(f"Wrote training pack {pack_id} ({len(data['cases'])} case(s)) to {output}.")


@cases_cli.command("suggest")
@click.option(
    "--kind",
    type=click.Choice(["top", "bottom", "angry_resolved", "transfers"]),
    default="top",
    show_default=True,
    help="Highest or lowest scores, upset customers resolved with 满意+, or records handed on several times.",
)
@click.option("--dimension", help="Rank top/bottom by this dimension's criteria (e.g. problem_solving).")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First day; default 90 days ago.")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last day; default today.")
@click.option("--limit", type=click.IntRange(1, 50), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
def suggest_command(kind, dimension, first, last, limit, as_json) -> None:
    """Records worth turning into training cases (none made from them yet), best candidates first."""
    from marshmallow import ValidationError

    from records.importing import system_actor
    from scoring.cases.suggestions import record_suggestions

    start, end = _period(first, last)
    try:
        items = record_suggestions(
            viewer=system_actor(), kind=kind, dimension=dimension, start=start, end=end, limit=limit
        )
    except ValidationError as exc:
        fail("; ".join(f"{key}: {' '.join(map(str, messages))}" for key, messages in exc.messages.items()))
    db.session.rollback()
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2, default=_json))
        return
    for item in items:
        click.echo(f"{item['record_number']}  {item['score']:>5.1f}  {item['status']:<12} {item['excerpt']}")
    click.echo(f"{len(items)} record(s).")


@cases_cli.command("weak")
@click.option("--team", help="Team name; default all teams.")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First day; default 90 days ago.")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last day; default today.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
def weak_command(team, first, last, as_json) -> None:
    """Agents well below their team on a criterion, with the published pack that teaches it."""
    from records.importing import system_actor
    from scoring.cases.suggestions import weak_agents

    team_id = None
    if team:
        team_id = db.session.scalar(sa.select(Team.id).where(Team.name == team))
        if team_id is None:
            fail(f"No team {team!r}.")
    start, end = _period(first, last)
    rows = weak_agents(viewer=system_actor(), start=start, end=end, team_id=team_id)
    db.session.rollback()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=_json))
        return
    for row in rows:
        click.echo(f"{row['username']} ({row['name']}, {row['team'] or '-'})")
        for weakness in row["weaknesses"]:
            pack = weakness["pack"]
            state = " [read]" if pack and pack["completed"] else " [assigned]" if pack and pack["assigned"] else ""
            click.echo(
                f"  {weakness['name']['en']} / {weakness['name']['zh']}: {100 * weakness['agent_mean']:.0f} "
                f"vs team {100 * weakness['team_mean']:.0f} over {weakness['records']} record(s) -> "
                + (f"pack {pack['id']} {pack['title']}{state}" if pack else "no published pack teaches it")
            )
    click.echo(f"{len(rows)} agent(s) with a weak criterion.")
