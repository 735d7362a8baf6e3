"""knowledge gaps: gaps grouped from searches nobody found an answer to, agent-assist misses

Revision ID: 0025_knowledge_gaps
Revises: 0024_row_versions
Create Date: 2026-12-07 02:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025_knowledge_gaps"
down_revision = "0024_row_versions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kb_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "article",
                "alternative",
                "not_a_gap",
                "resolved",
                name="gapstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("language", sa.Enum("zh", "en", name="language", native_enum=False, length=20), nullable=False),
        sa.Column("space", sa.String(length=200), nullable=False),
        sa.Column("centre", sa.LargeBinary(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("unhelpful_articles", sa.JSON(), nullable=False),
        sa.Column("suggested_articles", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=True),
        sa.Column("subcategory", sa.String(length=60), nullable=True),
        sa.Column("signal_count", sa.Integer(), nullable=False),
        sa.Column("recent_count", sa.Integer(), nullable=False),
        sa.Column("previous_count", sa.Integer(), nullable=False),
        sa.Column("impact", sa.Double(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=True),
        sa.Column("last_seen", sa.DateTime(), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status_note", sa.Text(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_kb_gaps_article_id_articles"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_kb_gaps_decided_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_gaps")),
    )
    with op.batch_alter_table("kb_gaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_gaps_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_kb_gaps_signal_count"), ["signal_count"], unique=False)

    op.create_table(
        "kb_assist_misses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_kb_assist_misses_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_assist_misses")),
    )
    with op.batch_alter_table("kb_assist_misses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_assist_misses_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_kb_assist_misses_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("kb_assist_misses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_assist_misses_user_id"))
        batch_op.drop_index(batch_op.f("ix_kb_assist_misses_at"))
    op.drop_table("kb_assist_misses")
    with op.batch_alter_table("kb_gaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_gaps_signal_count"))
        batch_op.drop_index(batch_op.f("ix_kb_gaps_status"))
    op.drop_table("kb_gaps")
