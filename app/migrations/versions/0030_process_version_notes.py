"""Versions with a story; no stray processes

Revision ID: 0030
Revises: 0029

- process_definitions.note: why the version was deployed (required at deploy from now on;
  versions deployed before have none).
- Versions of a process the portal does not run (a bpmn.io or Camunda file deployed with
  its own `Process_1abc` id: a process of its own, marked "Default" on the versions page,
  that no complaint ever started) are removed when no complaint runs on them. Deploy now
  refuses such a diagram, or renames it into a version of `complaint` on request.
"""
import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

# app/services/casework/deployments.py KNOWN_PROCESSES, as it was when this migration was written.
KNOWN_PROCESSES = ("complaint",)


def upgrade():
    op.add_column("process_definitions", sa.Column("note", sa.Text(), nullable=True))
    definitions = sa.table("process_definitions", sa.column("id", sa.Integer), sa.column("process_id", sa.String))
    instances = sa.table("process_instances", sa.column("definition_id", sa.Integer))
    incidents = sa.table("incidents", sa.column("definition_id", sa.Integer))
    tables = sa.table("process_decision_files", sa.column("definition_id", sa.Integer))
    stray = sa.select(definitions.c.id).where(
        definitions.c.process_id.not_in(KNOWN_PROCESSES),
        ~sa.exists().where(instances.c.definition_id == definitions.c.id),
        ~sa.exists().where(incidents.c.definition_id == definitions.c.id),
    )
    stray_ids = [row[0] for row in op.get_bind().execute(stray)]
    if stray_ids:
        op.execute(tables.delete().where(tables.c.definition_id.in_(stray_ids)))
        op.execute(definitions.delete().where(definitions.c.id.in_(stray_ids)))


def downgrade():
    op.drop_column("process_definitions", "note")
