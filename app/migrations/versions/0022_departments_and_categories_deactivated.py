"""Departments and categories can be deactivated rather than deleted

Revision ID: 0022
Revises: 0021

- departments.active, categories.active: an inactive one is no longer offered for new complaints or new
  officers; complaints and officers that already have it keep it, so the statistics and timelines stay whole.
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD/DROP COLUMN (SQLite has both): a batch copy would trip the foreign keys pointing at these tables.
    op.add_column("departments", sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column("categories", sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    op.drop_column("categories", "active")
    op.drop_column("departments", "active")
