"""The `consultkb` command: Flask's CLI with the app factory and every domain package's commands."""

from __future__ import annotations

from flask.cli import FlaskGroup

from records.cli import demo_cli, records_cli, users_cli


def create_cli_app():
    from web import create_app

    return create_app()


main = FlaskGroup(create_app=create_cli_app, help="ConsultKB administration.")
for group in (users_cli, records_cli, demo_cli):
    main.add_command(group)
