"""jobs: runs requested from the browser, run progress, one run per scheduled occurrence, scheduler heartbeats

Revision ID: 0023_job_requests
Revises: 0022_scoring_agreement
Create Date: 2026-12-07 02:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023_job_requests"
down_revision = "0022_scoring_agreement"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scheduled_for", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("progress_done", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("progress_total", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("progress_stage", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_job_runs_job_id_scheduled_for"), ["job_id", "scheduled_for"])

    op.create_table(
        "job_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=60), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("queued", "running", "finished", "cancelled", name="requeststatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("active_job", sa.String(length=60), nullable=True),
        sa.Column("worker", sa.String(length=120), nullable=True),
        sa.Column("picked_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_job_requests_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["job_runs.id"], name=op.f("fk_job_requests_run_id_job_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_requests")),
        sa.UniqueConstraint("active_job", name=op.f("uq_job_requests_active_job")),
    )
    with op.batch_alter_table("job_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_requests_job_id"), ["job_id"], unique=False)

    op.create_table(
        "job_schedulers",
        sa.Column("worker", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("worker", name=op.f("pk_job_schedulers")),
    )


def downgrade():
    op.drop_table("job_schedulers")
    with op.batch_alter_table("job_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_requests_job_id"))
    op.drop_table("job_requests")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_job_runs_job_id_scheduled_for"), type_="unique")
        batch_op.drop_column("progress_stage")
        batch_op.drop_column("progress_total")
        batch_op.drop_column("progress_done")
        batch_op.drop_column("scheduled_for")
