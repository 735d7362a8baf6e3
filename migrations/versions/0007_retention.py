"""retention: archived records and legal holds

Revision ID: 0007_retention
Revises: 0006_jobs
Create Date: 2026-11-22 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_retention'
down_revision = '0006_jobs'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
