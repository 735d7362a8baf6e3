"""scoring: agreement of automatic and human points, tuning from overrides, dispute deadlines and locked grades;
records: imported history (when first written, template rules accepted despite)

Revision ID: 0022_scoring_agreement
Revises: 0021_assignment
Create Date: 2026-12-07 02:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022_scoring_agreement"
down_revision = "0021_assignment"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("imported_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("template_exceptions", sa.JSON(), nullable=True))
    with op.batch_alter_table("record_grades", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_points", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("check_points", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("agreement", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("locked_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("grade_disputes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_grade_disputes_due_at"), ["due_at"], unique=False)
    op.create_table(
        "scoring_tunings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=60), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("agreement_before", sa.Double(), nullable=True),
        sa.Column("agreement_after", sa.Double(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(), nullable=False),
        sa.Column("fitted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["fitted_by_id"], ["users.id"], name=op.f("fk_scoring_tunings_fitted_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_tunings")),
        sa.UniqueConstraint("criterion", name=op.f("uq_scoring_tunings_criterion")),
    )


def downgrade():
    op.drop_table("scoring_tunings")
    with op.batch_alter_table("grade_disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grade_disputes_due_at"))
        batch_op.drop_column("due_at")
    with op.batch_alter_table("record_grades", schema=None) as batch_op:
        batch_op.drop_column("locked_at")
        batch_op.drop_column("agreement")
        batch_op.drop_column("check_points")
        batch_op.drop_column("auto_points")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_column("template_exceptions")
        batch_op.drop_column("imported_at")
        batch_op.drop_column("recorded_at")
