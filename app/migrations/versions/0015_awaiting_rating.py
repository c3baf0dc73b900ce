"""Statistics: resolved complaints still awaiting the citizen's rating, per district × department

Revision ID: 0015
Revises: 0014

The public figures split the complaints lodged into parts that add up:
resolved, in progress, long-term (systemic), closed without a resolution. A
resolved complaint stays open until the citizen rates it, so "in progress" is
the open ones less those awaiting a rating (and the systemic ones); this count
says how many those are. The upgrade fills it from the complaints already there.
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("stat_cells", sa.Column("awaiting_rating", sa.Integer(), nullable=False, server_default="0"))
    bind = op.get_bind()
    counts = bind.execute(sa.text(
        "SELECT division_id, district_id, department_id, count(*) FROM complaints "
        "WHERE status <> 'closed' AND resolved_at IS NOT NULL GROUP BY division_id, district_id, department_id"
    )).all()
    for division_id, district_id, department_id, count in counts:
        bind.execute(sa.text(
            "UPDATE stat_cells SET awaiting_rating = :count WHERE division_id = :division "
            "AND district_id = :district AND department_id = :department"
        ), {"count": count, "division": division_id, "district": district_id, "department": department_id})


def downgrade():
    with op.batch_alter_table("stat_cells") as batch:
        batch.drop_column("awaiting_rating")
