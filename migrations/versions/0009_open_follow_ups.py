"""open follow-ups by due day: overdue follow-ups without reading every done one; records by customer and category
no longer needed (first-contact resolution sorts the window's contacts instead)

Revision ID: 0009_open_follow_ups
Revises: 0008_report_indexes
Create Date: 2026-11-22 17:05:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_open_follow_ups"
down_revision = "0008_report_indexes"
branch_labels = None
depends_on = None


def upgrade():
    # records.sla: dashboards, alerts and reports count and list follow-ups not done whose day has passed; by due
    # alone that read every follow-up of the years before (180,000 of them in bench/bench_reports.py).
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index("ix_follow_ups_done_due", ["done", "due"], unique=False)
    # jobs.reports.records.contacted_again now finds each contact's next one with a window function.
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_customer_category")


def downgrade():
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index("ix_records_customer_category", ["customer_id", "category", "contacted_at"], unique=False)
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_ups_done_due")
