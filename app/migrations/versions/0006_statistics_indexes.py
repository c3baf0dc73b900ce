"""Statistics and dashboards: indexes for the trends, the public figures and the Open311 listing

Revision ID: 0006
Revises: 0005

The public statistics and the tier dashboards are computed with grouped
aggregate queries over complaints (see app/services/statistics.py); these
indexes let the trends read only the last weeks and the Open311 listing page
by (created_at, id).
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_complaints_created_id", "complaints", ["created_at", "id"])
    op.create_index("ix_complaints_resolved_at", "complaints", ["resolved_at"])


def downgrade():
    op.drop_index("ix_complaints_resolved_at", table_name="complaints")
    op.drop_index("ix_complaints_created_id", table_name="complaints")
