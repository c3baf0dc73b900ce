"""Incidents of a lodging: the process start failed, so there is no complaint

Revision ID: 0032
Revises: 0031

- incidents.complaint_id may be empty: a lodging whose process fails at its start is rolled back
  with its complaint, and its incident (source "lodging") is recorded without one.
- incidents.category_id: the failed lodging's category (and through it its department), so an
  analyst can tell which complaints cannot be lodged.
The source column is a plain string of 12 characters without a CHECK: "lodging" needs no change.
"""
import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("incidents") as batch:
        batch.alter_column("complaint_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("category_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_incidents_category_id_categories"), "categories", ["category_id"], ["id"])


def downgrade():
    # Incidents without a complaint cannot be kept by the older schema.
    op.execute(sa.text("DELETE FROM incidents WHERE complaint_id IS NULL"))
    with op.batch_alter_table("incidents") as batch:
        batch.drop_constraint(op.f("fk_incidents_category_id_categories"), type_="foreignkey")
        batch.drop_column("category_id")
        batch.alter_column("complaint_id", existing_type=sa.Integer(), nullable=False)
