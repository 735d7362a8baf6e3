"""records and articles: a row version for ETag / If-Match; help-center search logs scrubbed

Revision ID: 0024_row_versions
Revises: 0023_job_requests
Create Date: 2026-12-07 02:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024_row_versions"
down_revision = "0023_job_requests"
branch_labels = None
depends_on = None

#: Search events rewritten per statement batch.
BATCH = 1000


def upgrade():
    for table in ("records", "articles"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("row_version", sa.Integer(), server_default="1", nullable=False))
    _scrub_search_logs()


def _scrub_search_logs():
    """Searches logged before this release kept raw phones and ID numbers: store them as new ones are stored.

    The rule is the application's own (kb.selfservice.loggable_query), so logs old and new read the same."""
    from kb.selfservice import loggable_query

    connection = op.get_bind()
    events = sa.table("search_events", sa.column("id", sa.Integer), sa.column("query", sa.String))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(events.c.id, events.c.query)
            .where(events.c.id > last_id, events.c.query.is_not(None))
            .order_by(events.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        for row in rows:
            scrubbed = loggable_query(row.query)
            if scrubbed != row.query:
                connection.execute(sa.update(events).where(events.c.id == row.id).values(query=scrubbed))


def downgrade():
    # Scrubbed search logs stay scrubbed: what was hidden is gone.
    for table in ("articles", "records"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("row_version")
