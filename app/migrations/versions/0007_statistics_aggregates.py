"""Statistics aggregates: running counts kept in step with the complaints

Revision ID: 0007
Revises: 0006

The public statistics and the tier dashboards read these tables instead of
counting the complaints table (see app/models/statistics.py). The upgrade
fills them from the complaints already there, with the same rules the ORM
hook applies to every later change; after that the hook keeps them in step.
An index on next_deadline_at answers "open, and its deadline has passed"
(the overdue count) by reading only the complaints past due.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _counts(*names):
    return [sa.Column(name, sa.Integer(), nullable=False, server_default="0") for name in names]


def upgrade():
    op.create_table(
        "stat_cells",
        sa.Column("division_id", sa.Integer(), primary_key=True),
        sa.Column("district_id", sa.Integer(), primary_key=True),
        sa.Column("department_id", sa.Integer(), primary_key=True),
        *_counts("lodged", "resolved", "open", "systemic", "satisfied", "rated", "escalated_commissioner",
                 "escalated_chief_secretary", "open_escalated"),
    )
    op.create_table(
        "stat_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("division_id", sa.Integer(), primary_key=True),
        sa.Column("district_id", sa.Integer(), primary_key=True),
        sa.Column("department_id", sa.Integer(), primary_key=True),
        *_counts("lodged", "resolved"),
    )
    op.create_table(
        "stat_open_days",
        sa.Column("division_id", sa.Integer(), primary_key=True),
        sa.Column("district_id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        *_counts("open"),
    )
    op.create_table(
        "stat_officers",
        sa.Column("officer_id", sa.Integer(), primary_key=True),
        sa.Column("division_id", sa.Integer(), primary_key=True),
        sa.Column("district_id", sa.Integer(), primary_key=True),
        *_counts("assigned", "resolved", "satisfied", "rated", "reopened"),
    )
    op.create_table(
        "stat_resolution_hours",
        sa.Column("dimension", sa.String(12), primary_key=True),
        sa.Column("key", sa.Integer(), primary_key=True),
        sa.Column("hours", sa.Integer(), primary_key=True),
        *_counts("complaints"),
    )
    op.create_index("ix_complaints_next_deadline_at", "complaints", ["next_deadline_at"])
    # Imported here, not at the top: only this step needs the counting rules.
    from app.models.statistics_upkeep import Deltas, expected_rows

    bind = op.get_bind()
    deltas = Deltas()
    deltas.rows.update(expected_rows(bind))
    deltas.write(bind)


def downgrade():
    op.drop_index("ix_complaints_next_deadline_at", table_name="complaints")
    for table in ("stat_resolution_hours", "stat_officers", "stat_open_days", "stat_days", "stat_cells"):
        op.drop_table(table)
