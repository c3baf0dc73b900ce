"""Accounts of their own: confirmed mobile numbers, one table of SMS codes, browser sessions, SMS choices

Revision ID: 0020
Revises: 0019

- users.mobile_confirmed_at: when the citizen proved the number with a code.
  Every citizen who already has a number counts as confirmed (they registered
  before codes existed, or an Open311 client gave the number).
- users.sms_muted: the notices a citizen chose not to get by SMS.
- notifications.address: send here instead of the user's own number (a number
  being confirmed, or the old one after a change).
- verification_codes replaces password_resets: one code per user and purpose
  (live reset codes are carried over and keep working).
- user_sessions: one row per signed-in browser, so one can be signed out.
"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

CODE_COLUMNS = "user_id, salt, code_hash, created_at, expires_at, attempts, used_at"


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("mobile_confirmed_at", app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("sms_muted", sa.JSON(), nullable=True))
    op.execute(sa.text("UPDATE users SET mobile_confirmed_at = created_at WHERE role = 'citizen' AND mobile IS NOT NULL"))
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("address", sa.String(length=200), nullable=True))

    op.create_table(
        "verification_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("sent_to", sa.String(length=12), nullable=True),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_verification_codes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_codes")),
        sa.UniqueConstraint("user_id", "purpose", name=op.f("uq_verification_codes_user_id")),
    )
    op.execute(sa.text(
        f"INSERT INTO verification_codes (purpose, {CODE_COLUMNS}) "
        f"SELECT 'password_reset', {CODE_COLUMNS} FROM password_resets"
    ))
    op.drop_table("password_resets")

    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_sessions_key_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_password_resets_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("user_id", name=op.f("uq_password_resets_user_id")),
    )
    op.execute(sa.text(
        f"INSERT INTO password_resets ({CODE_COLUMNS}) "
        f"SELECT {CODE_COLUMNS} FROM verification_codes WHERE purpose = 'password_reset'"
    ))
    op.drop_table("verification_codes")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("address")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("sms_muted")
        batch.drop_column("mobile_confirmed_at")
