"""Worker heartbeats, and room for the notification status "undeliverable"

Revision ID: 0023
Revises: 0022

- worker_heartbeats: the last beat of each worker (worker.py, or the embedded server's schedule); /readyz reads it.
- notifications.status: VARCHAR(12) -> VARCHAR(16); "undeliverable" has 13 characters.
"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

OLD_STATUS = sa.Enum("pending", "sent", "parked", name="deliverystatus", native_enum=False, length=12)
NEW_STATUS = sa.Enum("pending", "sent", "parked", "undeliverable", name="deliverystatus", native_enum=False, length=16)


def upgrade():
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("beat_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeats")),
    )
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.alter_column("status", type_=NEW_STATUS, existing_type=OLD_STATUS, existing_nullable=False)


def downgrade():
    # Undeliverable rows become parked: the nearest old status, one an administrator looks at.
    op.execute("UPDATE notifications SET status = 'parked' WHERE status = 'undeliverable'")
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.alter_column("status", type_=OLD_STATUS, existing_type=NEW_STATUS, existing_nullable=False)
    op.drop_table("worker_heartbeats")
