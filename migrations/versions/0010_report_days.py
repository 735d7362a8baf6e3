"""report figures kept per settled contact day: the rows of each day and a version per day that writes bump

Revision ID: 0010_report_days
Revises: 0009_open_follow_ups
Create Date: 2026-11-22 18:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_report_days"
down_revision = "0009_open_follow_ups"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contact_day_versions",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_contact_day_versions")),
    )
    op.create_table(
        "report_day_rows",
        sa.Column("part", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("settings", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("part", "day", name=op.f("pk_report_day_rows")),
    )


def downgrade():
    op.drop_table("report_day_rows")
    op.drop_table("contact_day_versions")
