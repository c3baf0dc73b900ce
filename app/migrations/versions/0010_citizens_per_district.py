"""Statistics: citizens registered per district, kept in step like the other aggregates

Revision ID: 0010
Revises: 0009

Counting the users table for the public figures took 40 ms at 500,000 citizens
and grows with them; this table is read in well under a millisecond. The
upgrade fills it from the users already there.
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stat_citizens",
        sa.Column("district_id", sa.Integer(), primary_key=True),
        sa.Column("citizens", sa.Integer(), nullable=False, server_default="0"),
    )
    # Imported here, not at the top: only this step needs the counting rules.
    from app.models.statistics_upkeep import Deltas, citizen_facts

    bind = op.get_bind()
    deltas = Deltas()
    for facts in citizen_facts(bind):
        deltas.add(facts, +1)
    deltas.write(bind)


def downgrade():
    op.drop_table("stat_citizens")
