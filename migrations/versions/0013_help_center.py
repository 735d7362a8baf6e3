"""help center: branding settings; feedback reasons, one answer per session, when it last changed

Revision ID: 0013_help_center
Revises: 0012_session_version
Create Date: 2026-12-09 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_help_center"
down_revision = "0012_session_version"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "help_center_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=True),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=20), nullable=True),
        sa.Column("logo_url", sa.String(length=500), nullable=True),
        sa.Column("primary_color", sa.String(length=7), nullable=True),
        sa.Column("footer_text", sa.String(length=500), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("contact_email", sa.String(length=120), nullable=True),
        sa.Column("contact_hours", sa.String(length=120), nullable=True),
        sa.Column("default_language", sa.String(length=10), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_help_center_settings_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_center_settings")),
    )
    # Earlier versions could keep two answers of one session (two tabs at once): keep the newest of each.
    op.execute(
        "DELETE FROM article_feedback WHERE session_id IS NOT NULL AND id NOT IN ("
        "SELECT max(id) FROM article_feedback WHERE session_id IS NOT NULL GROUP BY article_id, session_id)"
    )
    with op.batch_alter_table("article_feedback", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reason",
                sa.Enum("outdated", "not_answered", "unclear", name="feedbackreason", native_enum=False, length=20),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE article_feedback SET updated_at = created_at")
    with op.batch_alter_table("article_feedback", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index(batch_op.f("ix_article_feedback_updated_at"), ["updated_at"], unique=False)
        batch_op.create_unique_constraint("uq_article_feedback_article_session", ["article_id", "session_id"])


def downgrade():
    with op.batch_alter_table("article_feedback", schema=None) as batch_op:
        batch_op.drop_constraint("uq_article_feedback_article_session", type_="unique")
        batch_op.drop_index(batch_op.f("ix_article_feedback_updated_at"))
        batch_op.drop_column("updated_at")
        batch_op.drop_column("reason")
    op.drop_table("help_center_settings")
