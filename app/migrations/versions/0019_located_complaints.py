"""The complaint map: located complaints by date, per district, per division and province-wide

Revision ID: 0019
Revises: 0018

/complaints/map.json reads the newest 5,000 complaints with a location in the
reader's scope (services/casework/complaint_map.py). Along the list's indexes
that walks every complaint without a location on the way; while few
complaints carry a pin (all lodged before the map, and most lodged without
one) that is most of the district, division or province. These partial
indexes hold only the located complaints, in date order. Measured on a
1,000,000-complaint database with 5 % located (bench/map_list.py): see the
report in docs/maps.md.
"""
from alembic import op
from sqlalchemy import text

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

LOCATED = "latitude IS NOT NULL"
INDEXES = {
    "ix_complaints_located_district": ["district_id", "created_at", "id"],
    "ix_complaints_located_division": ["division_id", "created_at", "id"],
    "ix_complaints_located_created": ["created_at", "id"],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, "complaints", columns, postgresql_where=text(LOCATED), sqlite_where=text(LOCATED))


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="complaints")
