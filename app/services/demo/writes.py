"""Writing the generator's rows: one bulk insert per table per batch, in the caller's transaction.

On PostgreSQL the rows go in with COPY: a batch has some fifteen rows per
complaint, and one INSERT per row (even pipelined) costs the server more than
everything else the generator does. Elsewhere (SQLite) an executemany INSERT.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Text, bindparam, insert
from sqlalchemy.orm import Session

from ...models import Complaint, ComplaintEvent, HumanTask, ProcessInstance, User
from ..statistics import aggregates


@dataclass
class Batch:
    """Rows of one batch, inserted table by table; every row of a table has the same keys."""

    users: list[dict] = field(default_factory=list)
    complaints: list[dict] = field(default_factory=list)
    instances: list[dict] = field(default_factory=list)  # "state" is JSON text, as the database stores it
    tasks: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)  # "details" is JSON text, like "state"


def write_batch(session: Session, batch: Batch) -> None:
    write = _copy if session.get_bind().dialect.name == "postgresql" else _insert
    write(session, User, batch.users)
    aggregates.add_inserted_citizens(session, batch.users)
    write(session, Complaint, batch.complaints)
    aggregates.add_inserted_complaints(session, batch.complaints)
    write(session, ProcessInstance, batch.instances, json_text=("state",))
    write(session, HumanTask, batch.tasks)
    write(session, ComplaintEvent, batch.events, json_text=("details",))


def _insert(session: Session, model, rows: list[dict], json_text=()) -> None:
    if rows:
        # JSON text bound as text is not encoded a second time; SQLite stores JSON as text.
        statement = insert(model.__table__)
        if json_text:
            statement = statement.values({name: bindparam(name, type_=Text) for name in json_text})
        session.connection().execute(statement, rows)


def _copy(session: Session, model, rows: list[dict], json_text=()) -> None:
    if not rows:
        return
    connection = session.connection()
    table = model.__table__
    names = list(rows[0])
    # Each column's own conversion (enums to their values, aware UTC times), as an INSERT would bind it.
    convert = [None if name in json_text else table.c[name].type.bind_processor(connection.dialect)
               for name in names]
    columns = ", ".join(connection.dialect.identifier_preparer.quote(name) for name in names)
    with connection.connection.driver_connection.cursor() as cursor, \
            cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([value if fn is None or value is None else fn(value)
                            for fn, value in zip(convert, map(row.__getitem__, names))])

