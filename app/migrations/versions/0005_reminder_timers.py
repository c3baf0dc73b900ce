"""Notifications: process_instances remember when their next reminder timer fires;
an index for the daily digest of escalations

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("process_instances") as batch:
        batch.add_column(sa.Column("next_notice_at", app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.create_index("ix_process_instances_notice_due", ["next_notice_at"])
    escalated = sa.text("escalation_level IS NOT NULL")
    op.create_index("ix_human_tasks_escalated", "human_tasks", ["created_at"], postgresql_where=escalated, sqlite_where=escalated)


def downgrade():
    op.drop_index("ix_human_tasks_escalated", table_name="human_tasks")
    with op.batch_alter_table("process_instances") as batch:
        batch.drop_index("ix_process_instances_notice_due")
        batch.drop_column("next_notice_at")
