"""`consultkb demo seed`: demo teams, people and records, written through the same import path as real data."""

from __future__ import annotations

import sys
from datetime import datetime

import click
import sqlalchemy as sa

from demo.generator import DEMO_USERS, generate_demo_rows
from records.db import db
from records.enums import Role
from records.formats import SourceRow
from records.importing import import_rows
from records.models import Record, User
from records.people import create_user
from records.timeutil import local_timezone

#: Records the demo spreads over, counting back from today: enough for weekly and monthly trends.
DEMO_DAYS = 120


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, username, password) of one demo user per role, for `make run` to print."""
    seen: dict[str, tuple[str, str, str]] = {}
    for user in DEMO_USERS:
        seen.setdefault(user.role, (user.role, user.username, user.password))
    return [seen[role.value] for role in Role if role.value in seen]


def seed_demo(*, count: int, force: bool = False, progress_label: str | None = None) -> str:
    if not force and db.session.scalar(sa.select(sa.func.count(Record.id))):
        return "The database already has records; demo data not seeded (use --force to add it anyway)."
    created_users = 0
    for demo_user in DEMO_USERS:
        if db.session.scalar(sa.select(User.id).where(User.username == demo_user.username)):
            continue
        create_user(
            demo_user.username,
            role=Role(demo_user.role),
            password=demo_user.password,
            team=demo_user.team,
            display_name=demo_user.display_name,
            agent_code=demo_user.agent_code,
            by="demo",
        )
        created_users += 1
    db.session.commit()

    now = datetime.now(local_timezone()).replace(tzinfo=None, second=0, microsecond=0)
    rows = [
        SourceRow(number, values) for number, values in enumerate(generate_demo_rows(count, days=DEMO_DAYS, now=now), 1)
    ]
    if progress_label:
        with click.progressbar(length=len(rows), label=progress_label, file=sys.stderr) as bar:
            report = import_rows(rows, source="demo", progress=bar.update)
    else:
        report = import_rows(rows, source="demo")
    if report.problems:
        first = report.problems[0]
        raise RuntimeError(f"Demo data broke a rule at row {first.row}: {first.field}: {first.reason}")
    return (
        f"Demo: {created_users} users, {report.created} records created, {report.updated + report.unchanged} existed."
    )
