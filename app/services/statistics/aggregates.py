"""Operating the statistics aggregates: count bulk-inserted complaints, check and rebuild the tables.

The counting rules and the hook that applies them to every ORM change live
in app/models/statistics_upkeep.py; this is what operators and the data
generator call (`flask --app app statistics check|rebuild`).
"""
from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ...models import AGGREGATES
from ...models.statistics_upkeep import (Deltas, add_inserted, add_inserted_users, drop_pending, expected_rows,
                                         stored_rows, write_pending)


def add_inserted_complaints(session: Session, rows: list[dict]) -> None:
    """Count complaints inserted in bulk (without the ORM unit of work), in the same transaction."""
    add_inserted(session.connection(), rows)


def add_inserted_citizens(session: Session, rows: list[dict]) -> None:
    """Count users inserted in bulk (the citizens among them), in the same transaction."""
    add_inserted_users(session.connection(), rows)


def differences(session: Session, *, limit: int = 20) -> list[str]:
    """Aggregate rows that do not match a recount from the complaints table (empty when in step)."""
    session.flush()
    write_pending(session)
    connection = session.connection()
    expected, stored = expected_rows(connection), stored_rows(connection)
    found = []
    for key in sorted(set(expected) | set(stored), key=lambda k: (k[0].__tablename__, *map(str, k[1:]))):
        want, have = expected.get(key), stored.get(key)
        if want != have:
            found.append(f"{key[0].__tablename__} {key[1:]}: stored {have}, recounted {want}")
            if len(found) >= limit:
                break
    return found


def rebuild(session: Session) -> int:
    """Empty the aggregate tables and recount every complaint. Returns the number of rows written."""
    session.flush()
    drop_pending(session)
    connection = session.connection()
    for model in AGGREGATES:
        session.execute(delete(model))
    deltas = Deltas()
    deltas.rows.update(expected_rows(connection))
    deltas.write(connection)
    return len(deltas.rows)
