"""A phone's bearer token is for the role it was issued to

Revision ID: 0031
Revises: 0030

- api_tokens.role: the user's role when the token was issued. A token whose user has another role
  now is refused, as a browser's session is (its cookie's fingerprint covers the role), however the
  role changed. Tokens issued before this take their user's present role.
"""
import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("api_tokens", sa.Column("role", sa.String(length=24), nullable=True))
    tokens = sa.table("api_tokens", sa.column("user_id", sa.Integer), sa.column("role", sa.String))
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("role", sa.String))
    op.execute(tokens.update().values(
        role=sa.select(users.c.role).where(users.c.id == tokens.c.user_id).scalar_subquery()))


def downgrade():
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("role")
