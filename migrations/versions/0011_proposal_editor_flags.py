"""FAQ proposals: one-off promises and compensation found in the group's resolutions, for the editor

Revision ID: 0011_proposal_editor_flags
Revises: 0010_report_days
Create Date: 2026-12-06 23:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_proposal_editor_flags"
down_revision = "0010_report_days"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("kb_proposals") as batch:
        batch.add_column(sa.Column("editor_flags", sa.JSON(), nullable=False, server_default="[]"))


def downgrade():
    with op.batch_alter_table("kb_proposals") as batch:
        batch.drop_column("editor_flags")
