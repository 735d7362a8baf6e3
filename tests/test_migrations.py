"""Migrations: the models and the migration history agree, and the history runs both ways on an empty database."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from records.db import db as database
from web import create_app


def test_models_match_the_migrations(app, db):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, database.metadata) == []


def test_upgrade_and_downgrade_on_an_empty_database(tmp_path):
    app = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}"}
    )
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(database.engine).get_table_names())
        assert {"records", "customers", "follow_ups", "users", "teams", "audit_log", "api_tokens"} <= tables
        downgrade(revision="base")
        assert set(sa.inspect(database.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "records" in sa.inspect(database.engine).get_table_names()
        database.engine.dispose()
