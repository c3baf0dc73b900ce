"""Closures: days the province's offices are closed beyond weekends and public holidays

Revision ID: 0027
Revises: 0026

- closures: from `starts_on` to `ends_on` (both included), with the reason as announced; timers that count
  working days skip them (workflows/calendar.py, app/services/casework/working_calendar.py).
"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name="fk_closures_created_by_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_closures"),
    )
    op.create_index("ix_closures_starts_on", "closures", ["starts_on"])


def downgrade():
    op.drop_index("ix_closures_starts_on", table_name="closures")
    op.drop_table("closures")
