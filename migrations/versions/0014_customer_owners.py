"""customers: the owning team, and profiles made by unverified public contact requests

Revision ID: 0014_customer_owners
Revises: 0013_help_center
Create Date: 2026-12-10 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_customer_owners"
down_revision = "0013_help_center"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("unverified", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f("ix_customers_team_id"), ["team_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_customers_team_id_teams"), "teams", ["team_id"], ["id"], ondelete="SET NULL"
        )
    # A customer is owned by the team of the record that created them: their earliest record.
    op.execute(
        """
        UPDATE customers SET team_id = (
            SELECT records.team_id FROM records WHERE records.customer_id = customers.id
            ORDER BY records.id LIMIT 1
        )
        """
    )


def downgrade():
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_customers_team_id_teams"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_customers_team_id"))
        batch_op.drop_column("unverified")
        batch_op.drop_column("team_id")
