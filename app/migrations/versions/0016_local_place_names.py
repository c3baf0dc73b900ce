"""Urdu and Pashto names of divisions, districts, departments and categories

Revision ID: 0016
Revises: 0015

Pages, dashboards and the API show a place or a department in the reader's
language; the English `name` stays the stable key (sorting, CSV, Open311).
The upgrade fills both names of the rows already there, matched by code, from
the seeded data; a row the data does not know keeps NULL and shows its
English name until an administrator names it at /admin/places.
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLES = ("divisions", "districts", "departments", "categories")
LENGTH = 200


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column("name_ur", sa.String(LENGTH), nullable=True))
        op.add_column(table, sa.Column("name_ps", sa.String(LENGTH), nullable=True))
    # Imported here, not at the top: only this step needs the names.
    from app.organisation_data import DEPARTMENTS, DIVISIONS

    rows = {
        "divisions": DIVISIONS,
        "districts": [district for division in DIVISIONS for district in division["districts"]],
        "departments": DEPARTMENTS,
        "categories": [category for department in DEPARTMENTS for category in department["categories"]],
    }
    bind = op.get_bind()
    for table, entries in rows.items():
        target = sa.table(table, sa.column("code", sa.String), sa.column("name_ur", sa.String),
                          sa.column("name_ps", sa.String))
        update = (sa.update(target).where(target.c.code == sa.bindparam("match"))
                  .values(name_ur=sa.bindparam("ur"), name_ps=sa.bindparam("ps")))
        bind.execute(update, [{"match": e["code"], "ur": e["name_ur"], "ps": e["name_ps"]} for e in entries])


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of these tables would
    # drop rows that others point to, which SQLite's foreign keys refuse.
    for table in TABLES:
        op.drop_column(table, "name_ps")
        op.drop_column(table, "name_ur")
