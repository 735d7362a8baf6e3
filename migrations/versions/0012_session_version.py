"""users: a session version, raised on sign-out so session cookies issued before stop working

Revision ID: 0012_session_version
Revises: 0011_proposal_editor_flags
Create Date: 2026-12-07 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_session_version"
down_revision = "0011_proposal_editor_flags"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
