"""Forms defined as data, deployed with a diagram version

Revision ID: 0029
Revises: 0028

- process_definitions.forms: {form key: document} of the version's forms an analyst wrote
  (JSON Schema plus labels in each language; workflows/forms.py), null when it has none.
"""
import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("process_definitions", sa.Column("forms", sa.JSON(), nullable=True))


def downgrade():
    op.drop_column("process_definitions", "forms")
