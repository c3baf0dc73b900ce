"""New rows written below the ORM's unit of work: one Core INSERT per table and set of columns, no RETURNING.

The hot write paths (a lodging, the timer sweep's batch) add a handful of new rows of a few kinds: the
complaint, its timeline lines, its process instance, its inbox rows, its messages. The ORM's flush writes each
as an INSERT ... RETURNING through its unit of work: about 0.3 ms of CPU per row and a fixed cost per flush,
where a Core INSERT of the same row costs 0.14 ms (measured on the development VM, see
docs/decisions.md). Three steps replace the flush for such rows:

1. `reserve_ids` (PostgreSQL): the rows that need an id before they are written (an instance, which its inbox
   rows point to; an inbox row, which its announcement links to) take it from their tables' sequences, every
   table in one query.
2. `insert_rows`: the rows' foreign keys are copied from the objects they point to (what the flush's
   dependency step does), the columns nobody set get their defaults, and each table's rows go in as one
   executemany, tables in the order their foreign keys need. For a sweep batch's hundreds of rows the flush
   sends one INSERT with thousands of parameters, which the driver parses anew every time; an executemany
   sends one small prepared statement per row in one pipeline. No id is asked back (a row that needs one was
   given it).
3. The rows leave the session (`keep=False`: nothing reads them again), or come back into it as rows loaded
   from the database (`keep=True`: the request reads them after, e.g. its answer to the citizen).

What the flush's hooks do for new rows is done here too: a new complaint is counted in the public aggregates
(`statistics_upkeep.count_inserted`) and in the lodging metric (`INSERTED_COMPLAINTS`, read at commit).
"""
from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, func, insert, inspect, literal, select, union_all
from sqlalchemy.orm import MANYTOONE, Session, make_transient_to_detached

from . import statistics_upkeep
from .base import Base
from .complaints import Complaint, ComplaintEvent
from .notifications import Notification
from .processes import HumanTask, ProcessInstance

# session.info key: complaints this transaction inserted below the ORM (the lodging metric counts them at commit).
INSERTED_COMPLAINTS = "direct_writes.complaints"


# The new rows of a complaint's step (a lodging, a task done) that the request may read afterwards (its answer
# shows the timeline line and the next step): they stay in the session. Its messages are not read again.
STEP_ROWS_KEPT = (Complaint, ComplaintEvent, ProcessInstance, HumanTask)
STEP_ROWS_LEFT = (Notification,)


def write_step_rows(session: Session) -> bool:
    """Write the new rows of a complaint's step below the ORM (PostgreSQL, outside a savepoint); False when
    the flush must write them: on SQLite; inside a savepoint (its rollback would not take back rows the
    session holds as loaded); or when a row points to a new row of another kind (a new user, say), which only
    the flush orders right."""
    if not reserves_ids(session) or session.in_nested_transaction():
        return False
    kept = new_rows(session, STEP_ROWS_KEPT)
    left = new_rows(session, STEP_ROWS_LEFT)
    if not _points_only_to_loaded_rows(kept + left):
        return False
    reserve_ids(session, kept)
    insert_rows(session, kept, keep=True)
    insert_rows(session, left, keep=False)
    return True


def reserves_ids(session: Session) -> bool:
    """Whether the database hands out ids before an insert (PostgreSQL's sequences; SQLite numbers at insert)."""
    return session.get_bind().dialect.name == "postgresql"


def new_rows(session: Session, models: tuple[type, ...]) -> list:
    """The session's new (pending) rows of `models`, in the order they were added."""
    return sorted((row for row in session.new if isinstance(row, models)), key=lambda row: inspect(row).insert_order)


def reserve_ids(session: Session, rows: list) -> None:
    """Give each of `rows` that has no id one from its table's sequence, all tables in one query (PostgreSQL)."""
    waiting: dict[str, list] = {}
    for row in rows:
        if row.id is None:
            waiting.setdefault(type(row).__table__.name, []).append(row)
    if not waiting:
        return
    tables = tuple(sorted(waiting))
    handed: dict[int, list[int]] = {}
    # On the connection: the session's execute would first flush the very rows being numbered.
    for index, row_id in session.connection().execute(_reserving(tables), {f"count_{i}": len(waiting[name])
                                                                           for i, name in enumerate(tables)}):
        handed.setdefault(index, []).append(row_id)
    for index, name in enumerate(tables):
        for row, row_id in zip(waiting[name], handed[index], strict=True):
            row.id = row_id


@cache
def _reserving(tables: tuple[str, ...]):
    """SELECT <table's index>, nextval(<its sequence>) as many times as asked, for each table; made once."""
    return union_all(*(
        select(literal(index), func.nextval(func.pg_get_serial_sequence(name, "id")))
        .select_from(func.generate_series(1, bindparam(f"count_{index}")))
        for index, name in enumerate(tables)))


def insert_rows(session: Session, rows: list, *, keep: bool) -> None:
    """Write `rows` (new rows of this session) with Core INSERTs, in the order of the tables' foreign keys.

    Every row pointing to another must have it written too, before or in this call (or be given its id:
    `reserve_ids`). `keep`: the rows stay in the session as loaded rows (clean, read without a query: each
    needs its id); otherwise they leave it.
    """
    if not rows:
        return
    for row in rows:
        _copy_foreign_keys(row)
        if keep:
            _fill_defaults(row)
        session.expunge(row)
    order = _table_order()
    shapes: dict[tuple, list[dict]] = {}
    for row in rows:
        table = type(row).__table__
        values = {key: value for key, value in inspect(row).dict.items()
                  if key in table.c and (key != "id" or value is not None)}
        shapes.setdefault((table, tuple(values)), []).append(values)
    connection = session.connection()
    for (table, _), values in sorted(shapes.items(), key=lambda item: order[item[0][0]]):
        connection.execute(_inserting(table), values)
    complaints = [row for row in rows if isinstance(row, Complaint)]
    if complaints:
        statistics_upkeep.count_inserted(session, complaints)
        session.info[INSERTED_COMPLAINTS] = session.info.get(INSERTED_COMPLAINTS, 0) + len(complaints)
    if keep:
        # All detached first, then added: adding one cascades to the rows it points to, which must not come
        # back as new rows (they would be inserted twice).
        for row in rows:
            make_transient_to_detached(row)
        for row in rows:
            session.add(row)


@cache
def _inserting(table):
    return insert(table)


@cache
def _table_order() -> dict:
    return {table: position for position, table in enumerate(Base.metadata.sorted_tables)}


@cache
def _foreign_keys(mapper) -> tuple:
    """(relationship, ((foreign key attribute, attribute it copies), ...)) of each many-to-one of `mapper`."""
    return tuple(
        (relationship.key, tuple((mapper.get_property_by_column(local).key,
                                  relationship.mapper.get_property_by_column(remote).key)
                                 for local, remote in relationship.local_remote_pairs))
        for relationship in mapper.relationships if relationship.direction is MANYTOONE)


def _points_only_to_loaded_rows(rows: list) -> bool:
    """Whether every object `rows` point to is a row of the database or one of `rows`."""
    writing = {id(row) for row in rows}
    for row in rows:
        state = inspect(row)
        for key, _ in _foreign_keys(state.mapper):
            target = state.dict.get(key)
            if target is not None and id(target) not in writing and inspect(target).key is None:
                return False
    return True


def _copy_foreign_keys(row) -> None:
    """Set the row's unset foreign keys from the objects its relationships point to (a new instance's id,
    given by `reserve_ids`, is not yet in its inbox rows' `instance_id`): the flush's dependency step."""
    state = inspect(row)
    values = state.dict
    for key, pairs in _foreign_keys(state.mapper):
        target = values.get(key)
        if target is not None:
            for local, remote in pairs:
                if values.get(local) is None:
                    values[local] = _value_of(target, remote)


def _value_of(target, key: str):
    """`target`'s column `key`: an expired row (after a commit or a rollback) gives its id from its identity,
    without the query that reading the attribute would send."""
    value = target.__dict__.get(key)
    if value is not None:
        return value
    state = inspect(target)
    primary_key = state.mapper.primary_key
    if state.key is not None and len(primary_key) == 1 \
            and state.mapper.get_property_by_column(primary_key[0]).key == key:
        return state.identity[0]
    return getattr(target, key)


def _fill_defaults(row) -> None:
    """The columns nobody set take their default (or NULL), on the object as in the row, so that reading the
    kept row asks nothing of the database."""
    state = inspect(row)
    for column in type(row).__table__.columns:
        key = column.key
        if key in state.dict or column.primary_key:
            continue
        default = column.default
        if default is None and column.server_default is not None:
            continue  # the database's default: left out of the row, read (once) if the kept row is asked for it
        if default is None:
            state.dict[key] = None
        elif default.is_scalar:
            state.dict[key] = default.arg
        elif default.is_callable:
            state.dict[key] = default.arg(None)
