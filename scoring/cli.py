"""`consultkb scoring …`: rescore records with the newest rubric."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from records.db import db
from records.models import Record

scoring_cli = AppGroup("scoring", help="Record scoring: rubric, automatic scores, reports.")


@scoring_cli.command("rescore")
def rescore_command() -> None:
    """Score every record again with the newest rubric version (after a rubric change, or for old records)."""
    from scoring.engine import rescore_all

    total = db.session.scalar(sa.select(sa.func.count()).select_from(Record)) or 0
    with click.progressbar(length=max(total, 1), label="Scoring records", file=sys.stderr) as bar:
        count = rescore_all(progress=bar.update)
    click.echo(f"Scored {count} record(s).")
