"""Finding complaints: words of the text, categories, nearby open complaints; citizens' support

Revision ID: 0017
Revises: 0016

ix_complaints_search (PostgreSQL only) is a GIN index over the words of a
complaint's subject and description, with the 'simple' configuration: no
English stemming or stop words, so Urdu and Pashto words are indexed as
written. The search's condition (services/casework/search.py) repeats the
indexed expression exactly, which is what lets PostgreSQL use it. SQLite
has no such index and searches with LIKE.

The category indexes answer the list's category filter newest first, and the
lodge page's "is it one of these?" (open complaints of one category inside a
box around the citizen's pin).

complaint_supporters: one row per citizen who added their voice to an existing
complaint instead of lodging it again.
"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

SEARCH_DOCUMENT = "to_tsvector('simple', subject || ' ' || description)"


def upgrade():
    op.create_index("ix_complaints_category_created", "complaints", ["category_id", "created_at", "id"])
    op.create_index("ix_complaints_category_location", "complaints", ["category_id", "latitude", "longitude"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_complaints_search ON complaints USING gin ({SEARCH_DOCUMENT})")
    op.create_table(
        "complaint_supporters",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"],
                                name=op.f("fk_complaint_supporters_complaint_id_complaints")),
        sa.ForeignKeyConstraint(["citizen_id"], ["users.id"], name=op.f("fk_complaint_supporters_citizen_id_users")),
        sa.PrimaryKeyConstraint("complaint_id", "citizen_id", name=op.f("pk_complaint_supporters")),
    )
    op.create_index("ix_complaint_supporters_citizen_id", "complaint_supporters", ["citizen_id"])


def downgrade():
    op.drop_index("ix_complaint_supporters_citizen_id", table_name="complaint_supporters")
    op.drop_table("complaint_supporters")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_complaints_search")
    op.drop_index("ix_complaints_category_location", table_name="complaints")
    op.drop_index("ix_complaints_category_created", table_name="complaints")
