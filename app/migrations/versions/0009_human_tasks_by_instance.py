"""Index the inbox rows by process instance

Revision ID: 0009
Revises: 0008

Every move of a complaint's process (a task completed, a timer fired) reads
the open inbox rows of its instance. Without this index that read scanned
every inbox row ever written: about 190 ms per move at 1,000,000 complaints
(bench/dashboards.py, "lodge a complaint"), growing with the table.
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_human_tasks_instance_open", "human_tasks", ["instance_id", "completed_at"])


def downgrade():
    op.drop_index("ix_human_tasks_instance_open", table_name="human_tasks")
