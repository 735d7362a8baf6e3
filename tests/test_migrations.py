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


def test_migrations_keep_the_data_of_an_installation_in_use(tmp_path):
    """SQLite rebuilds a table to alter it while rows of other tables point at it (records → customers): the
    migrations run with foreign keys off, prove nothing was left dangling, and lose no row."""
    from datetime import datetime

    from records.enums import Channel, Language, Priority, Role, Status
    from records.models import Customer, Record, Team, User

    app = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'u.db'}"}
    )
    with app.app_context():
        upgrade()
        team = Team(name="客服A组")
        agent = User(username="wang", display_name="王", role=Role.AGENT, password_hash="-", team=team)
        customer = Customer(number="C20261101001", name="李四", team=team)
        database.session.add_all([team, agent, customer])
        database.session.flush()
        moment = datetime(2026, 11, 1, 9, 0)
        database.session.execute(
            sa.insert(Record),
            [
                {
                    "number": "R202611010000001",
                    "customer_id": customer.id,
                    "team_id": team.id,
                    "channel": Channel.PHONE,
                    "contacted_at": moment,
                    "agent_id": agent.id,
                    "tags": [],
                    "priority": Priority.MEDIUM,
                    "status": Status.RESOLVED,
                    "problem_description": "客户反映快递三天没有更新",
                    "attachments": [],
                    "collaboration": [],
                    "resolution": "已联系快递公司",
                    "language": Language.ZH,
                    "created_at": moment,
                    "updated_at": moment,
                }
            ],
        )
        team_id = team.id
        database.session.commit()
        database.session.remove()
        # Down past the customers' rebuild and up again, as an installation moving between releases does.
        downgrade(revision="0013_help_center")
        upgrade()
        with database.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM records")).scalar() == 1
            assert connection.execute(sa.text("SELECT team_id FROM customers")).scalar() == team_id
            assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        database.engine.dispose()
