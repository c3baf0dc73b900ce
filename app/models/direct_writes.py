"""New rows written below the ORM's unit of work: one Core INSERT per table and set of columns, no RETURNING.

The hot write paths (a lodging, a task done, the timer sweep's batch) add a handful of new rows of a few
kinds: the complaint, its timeline lines, its process instance, its inbox rows, its messages. The ORM's flush
writes each as an INSERT ... RETURNING through its unit of work: about 0.3 ms of CPU per row and a fixed cost
per flush, where a Core INSERT of the same row costs 0.14 ms (measured on the development VM, see
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

Changed rows: `update_rows` writes a batch's (or a step's) moved instances, checked against the version each
was read at, and complaints, an executemany UPDATE per set of changed columns, and leaves them clean.
`write_step_rows` is what a lodging and a person's step call; the sweep calls the parts itself.
"""
from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, func, insert, inspect, literal, select, union_all, update
from sqlalchemy.orm import MANYTOONE, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import NEVER_SET, NO_VALUE, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

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


def write_step_rows(session: Session, *, now: datetime | None = None) -> bool:
    """Write the new rows of a complaint's step below the ORM (PostgreSQL, outside a savepoint), and with
    `now` its changed process instances (checked against their version) and complaints (counted in the public
    figures first); False when the flush must write them: on SQLite; inside a savepoint (its rollback would not
    take back rows the session holds as loaded); or when a row points to a new row of another kind (a new
    user, say), which only the flush orders right. What else changed (an inbox row done) is the flush's."""
    if not reserves_ids(session) or session.in_nested_transaction():
        return False
    kept = new_rows(session, STEP_ROWS_KEPT)
    left = new_rows(session, STEP_ROWS_LEFT)
    if not _points_only_to_loaded_rows(kept + left):
        return False
    reserve_ids(session, kept)
    insert_rows(session, kept, keep=True)
    insert_rows(session, left, keep=False)
    if now is not None:
        dirty = session.dirty  # built anew at every access
        update_rows(session, [row for row in dirty if type(row) is ProcessInstance], versioned=True, now=now,
                    mover="a person's step")
        complaints = [row for row in dirty if type(row) is Complaint]
        statistics_upkeep.count_changes(session, complaints)
        update_rows(session, complaints, versioned=False, now=now, mover="a person's step")
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


def update_rows(session: Session, rows: list, *, versioned: bool, now: datetime,
                mover: str = "the timer sweep") -> None:
    """UPDATE the changed columns of `rows` (one mapped class) with an executemany per set of changed columns,
    then make the written values their committed ones, so the flush leaves them alone.

    `versioned`: each row is checked against the version it was read at (`WHERE id = … AND lock_version =
    <as read>`, setting the next version and `updated_at`), as the ORM's flush checks a versioned row; if any
    row was changed meanwhile the updated count falls short and StaleDataError (naming `mover`, who was moving
    them) rolls the work back."""
    if not rows:
        return
    table = type(rows[0]).__table__
    columns = {column.key for column in table.columns} - {"id", "lock_version"}
    shapes: dict[tuple[str, ...], list[tuple[object, dict]]] = {}
    for row in rows:
        changed = _changed_columns(row, columns)
        if versioned:
            changed["updated_at"] = now
        if changed:
            shapes.setdefault(tuple(sorted(changed)), []).append((row, changed))
    connection = session.connection()  # not the session's execute: nothing is to be flushed first
    for keys, group in shapes.items():
        written = connection.execute(_updating(table, keys, versioned), [
            {**changed, "row_id": row.id,
             **({"read_version": row.lock_version, "next_version": row.lock_version + 1} if versioned else {})}
            for row, changed in group
        ]).rowcount
        if written != len(group):
            raise StaleDataError(f"{len(group) - written} of {len(group)} {table.name} rows changed while "
                                 f"{mover} moved them")
        for row, changed in group:
            for key, value in changed.items():
                set_committed_value(row, key, value)
            if versioned:
                set_committed_value(row, "lock_version", row.lock_version + 1)
    for row in rows:
        _clean_if_written(session, row, columns)


@cache
def _updating(table, keys: tuple[str, ...], versioned: bool):
    """The UPDATE of `keys` by id (and version), made once per table and set of columns."""
    statement = update(table).where(table.c.id == bindparam("row_id"))
    values = {key: bindparam(key) for key in keys}
    if versioned:
        statement = statement.where(table.c.lock_version == bindparam("read_version"))
        values["lock_version"] = bindparam("next_version")
    return statement.values(values)


def _clean_if_written(session: Session, row, columns: set[str]) -> None:
    """Leave `row` as a flush leaves a row it wrote (nothing pending, not among the session's changed rows)
    when all that is still pending on it are columns set to the value they had (a move sets a complaint's
    status to the one it has, an instance's failure count to 0 again).

    Otherwise the batch's flush and commit work through every instance and complaint of the batch (their
    relationships' histories, an UPDATE of nothing), a twentieth of the sweep's time. Anything else pending
    (a relationship set, a column outside `columns`) keeps the row for the flush, which writes it.
    `_commit_all` is SQLAlchemy's own step at the end of a flush (an internal, pinned with SQLAlchemy;
    tests/worker/test_batched_sweep.py checks the rows come out clean)."""
    state = inspect(row)
    current = state.dict
    for key, loaded in state.committed_state.items():
        if key not in columns or key not in current or loaded is NO_VALUE or loaded is NEVER_SET \
                or loaded != current[key]:
            return
    state._commit_all(current, session.identity_map)


def _changed_columns(row, columns: set[str]) -> dict:
    """The columns among `columns` whose value `row` changed since it was loaded, with their new values.

    Read from what the ORM keeps of a changed attribute (its value as loaded, in `committed_state`), as its
    flush does, not from every attribute's history: asking each attribute for its history (relationships
    too) took 0.2 ms per instance, a tenth of the sweep's own writing. A value set to what it already was is
    not a change; an attribute that was not loaded (its old value unknown) is written."""
    state = inspect(row)
    current = state.dict
    changed = {}
    for key, loaded in state.committed_state.items():
        if key in columns and key in current:
            value = current[key]
            if loaded is NO_VALUE or loaded is NEVER_SET or loaded != value:
                changed[key] = value
    return changed
