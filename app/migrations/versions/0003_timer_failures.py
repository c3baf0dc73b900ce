"""process_instances remember timer failures, so the sweep retries them with backoff

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("process_instances") as batch:
        batch.add_column(sa.Column("timer_failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("timer_error", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("process_instances") as batch:
        batch.drop_column("timer_error")
        batch.drop_column("timer_failures")
