"""records get an assignee (with the history of each assignment) and rules that assign new records; a follow-up's
owner may be a user; in-app notifications of SLA deadlines, one per user, deadline and stage

Revision ID: 0021_assignment
Revises: 0020_customer_links
Create Date: 2026-12-07 01:33:19.519747

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_assignment"
down_revision = "0020_customer_links"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assignment_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=True),
        sa.Column(
            "customer_tier",
            sa.Enum("regular", "vip", "strategic", name="customertier", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "phone",
                "online_chat",
                "email",
                "in_person",
                "social_media",
                "web",
                "other",
                name="channel",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("strategy", sa.String(length=20), nullable=False),
        sa.Column("last_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["last_user_id"], ["users.id"], name=op.f("fk_assignment_rules_last_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_assignment_rules_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_rules")),
    )
    op.create_table(
        "assignment_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("from_user_id", sa.Integer(), nullable=True),
        sa.Column("to_user_id", sa.Integer(), nullable=True),
        sa.Column("rule_name", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_assignment_changes_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["from_user_id"], ["users.id"], name=op.f("fk_assignment_changes_from_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_assignment_changes_record_id_records"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["to_user_id"], ["users.id"], name=op.f("fk_assignment_changes_to_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_changes")),
    )
    with op.batch_alter_table("assignment_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_changes_record_id"), ["record_id"], unique=False)

    op.create_table(
        "assignment_rule_users",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["assignment_rules.id"],
            name=op.f("fk_assignment_rule_users_rule_id_assignment_rules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_assignment_rule_users_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("rule_id", "user_id", name=op.f("pk_assignment_rule_users")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("deadline_key", sa.String(length=120), nullable=False),
        sa.Column("due", sa.DateTime(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("emailed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_notifications_record_id_records"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("deadline_key", "stage", "user_id", name="uq_notifications_deadline_stage_user"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_record_id"), ["record_id"], unique=False)
        batch_op.create_index("ix_notifications_user_read", ["user_id", "read_at"], unique=False)

    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_follow_ups_owner_id"), ["owner_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_follow_ups_owner_id_users"), "users", ["owner_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_records_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_records_assignee_id_users"), "users", ["assignee_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_records_assignee_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_records_assignee_id"))
        batch_op.drop_column("assignee_id")

    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_follow_ups_owner_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_follow_ups_owner_id"))
        batch_op.drop_column("owner_id")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_read")
        batch_op.drop_index(batch_op.f("ix_notifications_record_id"))

    op.drop_table("notifications")
    op.drop_table("assignment_rule_users")
    with op.batch_alter_table("assignment_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_changes_record_id"))

    op.drop_table("assignment_changes")
    op.drop_table("assignment_rules")
