"""A GET never writes: walking the main pages as each role leaves the database as it was.

Left out on purpose, since their writes are what they are for: downloads that audit-log an export of personal data,
the help center's search and view counts, and a training pack's first opening (the agent's progress).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from records.db import db as database
from records.enums import Role
from scoring.models import RecordScore

#: The main pages each role reaches by GET; {record} is a record of the walking user's team.
PAGES = (
    "/records",
    "/records/{record}",
    "/records/{record}/score",
    "/records/{record}/grade",
    "/customers",
    "/customers?q=138-1234-5678",
    "/calls/incoming?phone=13812345678",
    "/dashboard",
    "/scoring/performance",
    "/admin/rubric",
    "/kb/proposals",
    "/kb/articles",
    "/cases",
    "/collections",
    "/review-sample",
    "/calibrations",
    "/disputes",
    "/reports",
    "/admin/users",
)
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@pytest.fixture
def writes():
    """The statements that change data, as the database sees them (every session, Core or ORM)."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(WRITES):
            seen.append(statement)

    sa.event.listen(database.engine, "before_cursor_execute", count)
    yield seen
    sa.event.remove(database.engine, "before_cursor_execute", count)


@pytest.mark.parametrize("role", list(Role))
def test_get_pages_do_not_write(client, make_user, make_record, sign_in, writes, role):
    user = make_user(role, team="客服A组")
    agent = user if role == Role.AGENT else make_user(Role.AGENT, team="客服A组")
    record = make_record(agent=agent)
    # A record older than scoring: pages show its score without storing it.
    database.session.execute(sa.delete(RecordScore).where(RecordScore.record_id == record.id))
    database.session.commit()
    sign_in(user)
    writes.clear()
    for path in PAGES:
        response = client.get(path.format(record=record.number))
        assert response.status_code in (200, 403, 404), (path, response.status_code)
        assert writes == [], (path, writes)
