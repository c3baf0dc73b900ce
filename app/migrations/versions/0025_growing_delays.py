"""Growing delays between tries of a password or a code

Revision ID: 0025
Revises: 0024

- rate_limit_counters.next_try_at: for a bucket of growing delays, when its next try may come
  (app/services/rate_limits.py, claim_try).
"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("rate_limit_counters",
                  sa.Column("next_try_at", app.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("rate_limit_counters", "next_try_at")
