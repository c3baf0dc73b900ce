"""Overdue lists: open, escalated complaints by date

Revision ID: 0013
Revises: 0012

"Overdue" is open and escalated, or open with its deadline just passed (the
few whose timer has not fired yet). The list finds the newest of each kind
along its own index (services/complaints.complaints_query); this partial
index holds the first kind in date order. Before it, the Chief Secretary's
overdue list walked 335,000 newer complaints on the 1,000,000-complaint
benchmark database to find 50 (630 ms).
"""
from alembic import op
from sqlalchemy import text

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OPEN_ESCALATED = "status <> 'closed' AND escalation_level > 0"


def upgrade():
    op.create_index("ix_complaints_open_escalated", "complaints", ["created_at", "id"],
                    postgresql_where=text(OPEN_ESCALATED), sqlite_where=text(OPEN_ESCALATED))


def downgrade():
    op.drop_index("ix_complaints_open_escalated", table_name="complaints")
