"""Complaint lists: a district's and a division's complaints by date

Revision ID: 0012
Revises: 0011

The tier lists show the newest complaints of a district or division first,
under filters such as "overdue" whose matches are mostly old. Without an
index giving a district's complaints in date order, PostgreSQL walked the
whole province's complaints backwards by date to find 50 overdue ones of one
district: 690 ms on the 1,000,000-complaint benchmark database, 60 ms with
these indexes.
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_complaints_district_created", "complaints", ["district_id", "created_at", "id"])
    op.create_index("ix_complaints_division_created", "complaints", ["division_id", "created_at", "id"])


def downgrade():
    op.drop_index("ix_complaints_division_created", table_name="complaints")
    op.drop_index("ix_complaints_district_created", table_name="complaints")
