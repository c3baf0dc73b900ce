"""Timeline events keep their facts, not an English sentence

Revision ID: 0014
Revises: 0013

A line of a complaint's timeline is shown in the reader's language, so the
portal no longer writes a finished sentence ("Escalated to the Commissioner for
review (level 1)") into `note`: it stores the facts (role, level, names,
versions) in `details` and makes the sentence when the page is shown
(app/services/casework/events.py). Existing rows keep their note and get no
details, which is how they are told apart.
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("complaint_events", sa.Column("details", sa.JSON(none_as_null=True), nullable=True))


def downgrade():
    op.drop_column("complaint_events", "details")
