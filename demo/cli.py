"""`consultkb demo …` (records and people) and `consultkb kb seed-demo` (articles; web adds it to the kb group)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, with_appcontext

demo_cli = AppGroup("demo", help="Demo data.")


def fail(message: str) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(1)


# The demo modules are imported by the commands: their phrase tables load only when a demo command runs.


@demo_cli.command("seed")
@click.option("--records", "count", default=2400, show_default=True, help="How many demo records.")
@click.option("--force", is_flag=True, help="Seed even if the database already has records.")
def seed_command(count, force):
    """Create demo teams, users and records (Chinese and English) unless the database already has records."""
    from demo.seed import seed_demo

    try:
        result = seed_demo(count=count, force=force, progress_label="Seeding demo records")
    except RuntimeError as exc:
        fail(str(exc))
    click.echo(result)


@demo_cli.command("logins")
def logins_command():
    """Print the demo users' logins (one per role)."""
    from demo.seed import demo_logins

    click.echo("Demo logins (username / password):")
    for role, username, password in demo_logins():
        click.echo(f"  {role:<11} {username} / {password}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_articles_command() -> None:
    """Create the demo help-centre articles (one per demo topic and language) that are not there yet.

    Most are published at once; a few stay in review or drafts for the trainer pages. Articles already there are
    left as they are, so running it again creates nothing.
    """
    from demo.articles import seed_demo_articles

    result = seed_demo_articles()
    report = result.report
    click.echo(f"Demo articles: {report.created} created, {result.existing} already there.")
    if report.rejected:
        click.secho(f"{len(report.rejected)} demo article(s) rejected:", fg="red", err=True)
        for problem in report.rejected:
            field = f", {problem['field']}" if problem["field"] else ""
            click.echo(f"  {problem['external_id']}{field}: {problem['reason']}", err=True)
        sys.exit(1)
