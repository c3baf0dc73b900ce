"""Inbox indexes: a role's open, unassigned tasks by place and date

Revision ID: 0011
Revises: 0010

On the 1,000,000-complaint benchmark database 320,000 Commissioner reviews
were open at once, and the inbox's query (open tasks assigned to me OR my
role's unassigned ones in my scope, oldest first) read all of them to sort:
about 290 ms per inbox. The inbox now reads the two parts separately, and
these partial indexes give the unassigned part in date order per district,
division or the whole province.
"""
from alembic import op
from sqlalchemy import text

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

POOL = "completed_at IS NULL AND assignee_id IS NULL"
INDEXES = {"district": ["district_id"], "division": ["division_id"], "province": []}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(f"ix_human_tasks_pool_{name}", "human_tasks", ["role", *columns, "created_at", "id"],
                        postgresql_where=text(POOL), sqlite_where=text(POOL))


def downgrade():
    for name in INDEXES:
        op.drop_index(f"ix_human_tasks_pool_{name}", table_name="human_tasks")
