"""report indexes: audit-log entries by the object they name, records by customer and category

Revision ID: 0008_report_indexes
Revises: 0007_retention
Create Date: 2026-11-22 14:50:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_report_indexes"
down_revision = "0007_retention"
branch_labels = None
depends_on = None


def upgrade():
    # records.sla looks up each help-center contact request's first response by the record's number.
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_object", ["object_type", "object_id"], unique=False)
    # jobs.reports.records.contacted_again: a customer's next contact about the same category.
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index("ix_records_customer_category", ["customer_id", "category", "contacted_at"], unique=False)


def downgrade():
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_customer_category")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_object")
