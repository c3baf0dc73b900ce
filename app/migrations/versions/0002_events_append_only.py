"""complaint_events is append-only, enforced by the database as well

The ORM already refuses to update or delete an event; these triggers make the
database refuse it too, whatever client writes to it. (TRUNCATE, an operator's
tool, is not a row-level operation and stays possible.)

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION refuse_event_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'complaint_events is append-only (% refused)', TG_OP;
            END $$;
            CREATE TRIGGER complaint_events_append_only
                BEFORE UPDATE OR DELETE ON complaint_events
                FOR EACH ROW EXECUTE FUNCTION refuse_event_rewrite();
            """
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"""
                CREATE TRIGGER complaint_events_no_{operation.lower()}
                BEFORE {operation} ON complaint_events
                BEGIN SELECT RAISE(ABORT, 'complaint_events is append-only'); END
                """
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER complaint_events_append_only ON complaint_events")
        op.execute("DROP FUNCTION refuse_event_rewrite()")
    else:
        op.execute("DROP TRIGGER complaint_events_no_update")
        op.execute("DROP TRIGGER complaint_events_no_delete")
