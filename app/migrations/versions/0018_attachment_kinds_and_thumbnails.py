"""Attachments: photos with thumbnails, and PDF documents

Revision ID: 0018
Revises: 0017

Officers attach PDF documents as well as photos (`kind`), offered back under the
name they were sent with (`original_filename`); photos get a thumbnail for pages
(`thumbnail_key`). Existing rows are photos without a thumbnail: pages show them
in full, as before.
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), nullable=False, server_default="photo"))
        batch.add_column(sa.Column("thumbnail_key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("original_filename", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("original_filename")
        batch.drop_column("thumbnail_key")
        batch.drop_column("kind")
