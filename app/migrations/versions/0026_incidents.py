"""Incidents: errors inside a process at run time, for the process analysts

Revision ID: 0026
Revises: 0025

- incidents: one row per failing complaint, element and error (a repeat counts up), with a reference
  shown to the person, open or resolved (app/models/incidents.py, app/services/casework/incidents.py).
"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

SOURCE = sa.Enum("task", "timer", "signal", "migration", name="incidentsource", native_enum=False, length=12)
STATUS = sa.Enum("open", "resolved", name="incidentstatus", native_enum=False, length=12)


def upgrade():
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=True),
        sa.Column("element_id", sa.String(length=120), nullable=True),
        sa.Column("element_name", sa.String(length=200), nullable=True),
        sa.Column("source", SOURCE, nullable=False),
        sa.Column("error_type", sa.String(length=120), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("first_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("resolved_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"], name=op.f("fk_incidents_complaint_id_complaints")),
        sa.ForeignKeyConstraint(["definition_id"], ["process_definitions.id"],
                                name=op.f("fk_incidents_definition_id_process_definitions")),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_incidents_actor_id_users")),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"], name=op.f("fk_incidents_resolved_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("reference", name=op.f("uq_incidents_reference")),
    )
    op.create_index("ix_incidents_complaint_status", "incidents", ["complaint_id", "status"])
    op.create_index("ix_incidents_status_group", "incidents", ["status", "definition_id", "element_id", "last_at"])


def downgrade():
    op.drop_index("ix_incidents_status_group", table_name="incidents")
    op.drop_index("ix_incidents_complaint_status", table_name="incidents")
    op.drop_table("incidents")
