"""The `consultkb` command: Flask's CLI around the app factory; create_app registers the domain commands."""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup


def create_cli_app() -> Flask:
    from web import create_app

    return create_app()


main = FlaskGroup(create_app=create_cli_app, help="ConsultKB administration.")
