"""The `consultkb` command: Flask's CLI around the app factory; create_app registers the domain commands."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, run_command
from flask.helpers import get_debug_flag


def create_cli_app() -> Flask:
    from web import create_app

    return create_app()


main = FlaskGroup(create_app=create_cli_app, help="ConsultKB administration.")


@main.command("run", params=run_command.params, help=run_command.help, short_help=run_command.short_help)
@click.pass_context
def run_with_warm_up(context: click.Context, **options) -> None:
    """Flask's development server, with the models loaded and the index current before the first request."""
    info = context.ensure_object(ScriptInfo)
    reload = options.get("reload")
    if reload is None:
        reload = get_debug_flag()
    # With the reloader the serving process is a child (WERKZEUG_RUN_MAIN); the watching parent serves nothing.
    if not reload or os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        from kb.search import warm_up

        app = info.load_app()
        with app.app_context():
            warm_up()
    context.invoke(run_command, **options)


@main.command("serve", with_appcontext=False)
@click.option("--workers", type=click.IntRange(1, 256), help="Web worker processes (default CONSULTKB_WEB_WORKERS).")
@click.option("--bind", help="Address to listen on, e.g. 0.0.0.0:8000 (default CONSULTKB_BIND or 127.0.0.1:8000).")
@click.option("--no-upgrade", is_flag=True, help="Do not run `db upgrade` first (another host of the release did).")
@click.option("--no-scheduler", is_flag=True, help="Web only: the scheduler runs on another host.")
def serve_command(workers: int | None, bind: str | None, no_upgrade: bool, no_scheduler: bool) -> None:
    """Production: `db upgrade`, then gunicorn and the scheduler until either stops (or SIGTERM / Ctrl-C)."""
    from web.config import ConfigError
    from web.serve import serve

    try:
        code = serve(upgrade=not no_upgrade, scheduler=not no_scheduler, workers=workers, bind=bind)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    sys.exit(code)


if __name__ == "__main__":  # `python -m web.cli`: how `consultkb serve` starts the scheduler with this interpreter
    main()
