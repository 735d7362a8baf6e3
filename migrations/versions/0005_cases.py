"""case library: cases, collections, assignments

Revision ID: 0005_cases
Revises: 0004_scoring
Create Date: 2026-11-22 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_cases'
down_revision = '0004_scoring'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
