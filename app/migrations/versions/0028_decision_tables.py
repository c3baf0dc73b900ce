"""Decision tables deployed with a diagram version

Revision ID: 0028
Revises: 0027

- process_decision_files: the DMN files of a version (its business rule tasks call their decisions);
  a version's sha256 covers them with its diagram (app/services/casework/deployments.py).
"""
import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "process_decision_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("decision_id", sa.String(length=120), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["definition_id"], ["process_definitions.id"],
                                name=op.f("fk_process_decision_files_definition_id_process_definitions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_decision_files")),
        sa.UniqueConstraint("definition_id", "filename", name=op.f("uq_process_decision_files_definition_id")),
    )
    op.create_index(op.f("ix_process_decision_files_definition_id"), "process_decision_files", ["definition_id"],
                    unique=False)


def downgrade():
    op.drop_index(op.f("ix_process_decision_files_definition_id"), table_name="process_decision_files")
    op.drop_table("process_decision_files")
