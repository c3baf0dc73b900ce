"""Keep the aggregate tables (models/statistics.py) in step with the complaints, in the same transaction.

(And the count of citizens per district in step with the users, the same way.)

A complaint's "facts" (where it is, its status, escalation, dates, rating)
decide which aggregate rows count it. After every ORM flush the facts each
changed complaint had before are subtracted and the facts it has now added,
as one upsert per aggregate table, so the counts move in the transaction
that moved the complaint: a rollback undoes both, and a reader never sees a
complaint counted twice or not at all.

Everything that changes complaints goes through the ORM (services, task forms,
the projection), which this hook sees. Bulk inserts that bypass the unit of
work — the data generator — call `add_inserted(connection, rows)` themselves.
Bulk `UPDATE complaints` statements would bypass it: do not write them (or run
`flask --app app statistics rebuild` afterwards).

When: the counts of a transaction are collected at every flush and written
once, just before it commits (`before_commit`), as one upsert per table. An
upsert locks the rows it changes until the commit, and every lodging in a
district × department changes the same cell row: written at the first flush,
that lock was held through the rest of the request (the process moves, the
inbox rows, the outbox...), so lodgings in one office ran one at a time.
Written at commit, the lock lives for the commit's round trip only. Reads of
the aggregate tables through the session, a savepoint (whose rollback must
take its counts with it) and `write_pending` write the collected counts first,
so nothing in the transaction ever reads counts that miss its own changes.

Concurrency: two transactions that change complaints of the same district ×
department wait for each other on that cell's row until the first commits (a
few milliseconds). The cell is always locked first (see `Deltas.by_model`), so
they queue there instead of deadlocking on the other aggregate rows.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import NEVER_SET, NO_VALUE

from .complaints import Complaint, ComplaintStatus
from .users import Role, User
from .statistics import AGGREGATES, StatCell, StatCitizens, StatDay, StatOfficer, StatOpenDay, StatResolutionHours

PKT_OFFSET = timedelta(hours=5)  # Pakistan has no daylight saving: a day is UTC+5
HOUR = timedelta(hours=1)


def pk_day(moment: datetime) -> date:
    """The Pakistan calendar day of a UTC moment."""
    return (moment + PKT_OFFSET).date()


class Facts(NamedTuple):
    """What the aggregates need to know about one complaint."""

    division_id: int
    district_id: int
    department_id: int
    officer_id: int | None
    status: ComplaintStatus
    escalation_level: int
    created_at: datetime
    resolved_at: datetime | None
    satisfied: bool | None
    reopen_count: int

    def contributions(self) -> dict[tuple, dict[str, int]]:
        return contributions(self)


FACT_NAMES = Facts._fields


class CitizenFacts(NamedTuple):
    """What the citizens count needs to know about one user."""

    role: Role
    district_id: int | None

    def contributions(self) -> dict[tuple, dict[str, int]]:
        if self.role is not Role.CITIZEN or self.district_id is None:
            return {}
        return {(StatCitizens, self.district_id): {"citizens": 1}}


CITIZEN_FACT_NAMES = CitizenFacts._fields


def is_resolved(status: ComplaintStatus, resolved_at, satisfied) -> bool:
    """Resolved: a resolution stands, or it closed without the citizen rejecting it."""
    return resolved_at is not None or (status is ComplaintStatus.CLOSED and satisfied is not False)


def resolution_hours(created_at: datetime, resolved_at: datetime) -> int:
    return max(int((resolved_at - created_at) / HOUR), 0)


def contributions(facts: Facts) -> dict[tuple, dict[str, int]]:
    """{(model, key...): {column: count}}: the rows this complaint adds to."""
    f = facts
    status = ComplaintStatus(f.status)
    resolved = is_resolved(status, f.resolved_at, f.satisfied)
    is_open = status is not ComplaintStatus.CLOSED
    rated, satisfied = f.satisfied is not None, f.satisfied is True
    place = (f.division_id, f.district_id, f.department_id)
    rows: dict[tuple, dict[str, int]] = {
        (StatCell, *place): {
            "lodged": 1, "resolved": int(resolved), "open": int(is_open),
            "systemic": int(status is ComplaintStatus.SYSTEMIC), "satisfied": int(satisfied), "rated": int(rated),
            "escalated_commissioner": int(f.escalation_level >= 1),
            "escalated_chief_secretary": int(f.escalation_level >= 2),
            "open_escalated": int(is_open and f.escalation_level > 0),
            "awaiting_rating": int(is_open and resolved),
        },
        (StatDay, pk_day(f.created_at), *place): {"lodged": 1, "resolved": 0},
    }
    if is_open:
        rows[(StatOpenDay, f.division_id, f.district_id, pk_day(f.created_at))] = {"open": 1}
    if f.officer_id is not None:
        rows[(StatOfficer, f.officer_id, f.division_id, f.district_id)] = {
            "assigned": 1, "resolved": int(resolved), "satisfied": int(satisfied), "rated": int(rated),
            "reopened": int(f.reopen_count > 0),
        }
    if f.resolved_at is not None:
        day = rows.setdefault((StatDay, pk_day(f.resolved_at), *place), {"lodged": 0, "resolved": 0})
        day["resolved"] += 1
        hours = resolution_hours(f.created_at, f.resolved_at)
        areas = [("province", 0), ("division", f.division_id), ("district", f.district_id),
                 ("department", f.department_id)]
        if f.officer_id is not None:
            areas.append(("officer", f.officer_id))
        for dimension, key in areas:
            rows[(StatResolutionHours, dimension, key, hours)] = {"complaints": 1}
    return rows


class Deltas:
    """Counts to add to aggregate rows, collected over many complaints, written at once."""

    def __init__(self) -> None:
        self.rows: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, facts: Facts | CitizenFacts | None, sign: int) -> None:
        if facts is None:
            return
        for key, counts in facts.contributions().items():
            row = self.rows[key]
            for column, n in counts.items():
                row[column] += sign * n

    def by_model(self) -> dict[type, list[dict]]:
        """Changes per model, as row dicts in key order (stat_cells sorts first).

        A changed complaint's cell is written even when its counts do not move
        (a new officer changes only the officer's row): the upsert takes the
        cell's row lock first, so every transaction touching a complaint's
        aggregate rows queues on its cell before taking any other of them, in
        this flush or a later one, and two of them cannot wait for each other.
        """
        out: dict[type, list[dict]] = defaultdict(list)
        for key in sorted(self.rows, key=lambda k: (k[0].__tablename__, *map(str, k[1:]))):
            counts = self.rows[key]
            if not any(counts.values()) and key[0] is not StatCell:
                continue
            model = key[0]
            names = [c.name for c in model.__table__.primary_key.columns]
            out[model].append({**dict(zip(names, key[1:])), **counts})
        return out

    def write(self, connection) -> None:
        """On PostgreSQL the few rows of one complaint's change (every lodging, every step) in one statement for
        all tables; otherwise one upsert statement per table, sent once for all its rows."""
        dialect = connection.dialect.name
        changes = list(self.by_model().items())
        for model, rows in changes:
            counts = [c.name for c in model.__table__.columns if not c.primary_key]
            for row in rows:
                for name in counts:
                    row.setdefault(name, 0)
        if dialect == "postgresql" and changes and sum(len(rows) for _, rows in changes) <= COMBINED_ROWS:
            shape = tuple((model, len(rows)) for model, rows in changes)
            connection.exec_driver_sql(_combined_upsert(shape, connection.dialect), {
                _combined_name(i, j, name): value
                for i, (_model, rows) in enumerate(changes) for j, row in enumerate(rows) for name, value in row.items()
            })
            return
        for model, rows in changes:
            # One statement made once per table and reused: a single complaint's change (every lodging, every step)
            # a row at a time on SQLite (no round trip); many rows (a sweep's batch) as one executemany, which the
            # driver sends in one pipeline. A multi-row VALUES statement, as this was, is new SQL for every batch:
            # SQLAlchemy compiled its thousands of parameters each time, a tenth of the sweep's commit. The rows keep
            # their order (stat_cells first, keys sorted), which keeps two writers from waiting on each other.
            connection.execute(_one_row_upsert(dialect, model), rows if len(rows) > 1 else rows[0])


def _insert(dialect: str, table):
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def _counting_up(statement, table, counts):
    return statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={name: table.c[name] + statement.excluded[name] for name in counts},
    )


_ONE_ROW: dict[tuple[str, type], object] = {}


def _one_row_upsert(dialect: str, model):
    """The upsert of one row of `model`'s table, its values bound at execution."""
    statement = _ONE_ROW.get((dialect, model))
    if statement is None:
        table = model.__table__
        counts = [c.name for c in table.columns if not c.primary_key]
        statement = _ONE_ROW[(dialect, model)] = _counting_up(_insert(dialect, table), table, counts)
    return statement


# At most this many rows go in one combined statement (a complaint's change writes 2 to 8), and at most
# this many shapes (tables and row counts) are kept made.
COMBINED_ROWS = 16
_COMBINED: dict[tuple, str] = {}


def _combined_name(table_index: int, row_index: int, column: str) -> str:
    return f"t{table_index}_{row_index}_{column}"


def _combined_upsert(shape: tuple[tuple[type, int], ...], dialect) -> str:
    """One PostgreSQL statement upserting `shape`'s rows (model, row count) in every table: the first
    table's upsert is the main statement, the others data-modifying WITH queries.

    The first table is stat_cells (see `Deltas.by_model`) and its row is locked first as before:
    PostgreSQL runs the main statement, then the WITH's statements to completion, the one listed last
    first (so they are listed in reverse: they run in the tables' order, as one statement each did).
    Compiled once per shape, values bound at execution: SQLAlchemy does not cache the compilation of a
    statement with DML in its WITH (compiling it took about 2.5 ms, at every commit)."""
    sql = _COMBINED.get(shape)
    if sql is None:
        upserts = []
        for i, (model, count) in enumerate(shape):
            table = model.__table__
            rows = [{c.name: bindparam(_combined_name(i, j, c.name)) for c in table.columns} for j in range(count)]
            counts = [c.name for c in table.columns if not c.primary_key]
            upserts.append(_counting_up(postgresql.insert(table).values(rows), table, counts))
        statement = upserts[0]
        for i in range(len(upserts) - 1, 0, -1):
            statement = statement.add_cte(upserts[i].cte(f"upsert_{i}"))
        sql = str(statement.compile(dialect=dialect))
        if len(_COMBINED) < 256:
            _COMBINED[shape] = sql
    return sql


def facts_of_row(row) -> Facts:
    """Facts from a mapping (a generator's row dict, or a selected row's `_mapping`)."""
    return Facts(*(row.get(name, 0 if name in ("escalation_level", "reopen_count") else None)
                   for name in FACT_NAMES))


def add_inserted(connection, rows) -> None:
    """Count complaints inserted without the ORM unit of work (bulk inserts)."""
    deltas = Deltas()
    for row in rows:
        deltas.add(facts_of_row(row), +1)
    deltas.write(connection)


def add_inserted_users(connection, rows) -> None:
    """Count users (citizens) inserted without the ORM unit of work."""
    deltas = Deltas()
    for row in rows:
        deltas.add(CitizenFacts(Role(row["role"]), row.get("district_id")), +1)
    deltas.write(connection)


# What the hook counts, per mapped class: (facts type, its field names).
COUNTED = {Complaint: (Facts, FACT_NAMES), User: (CitizenFacts, CITIZEN_FACT_NAMES)}


def _facts_now(obj):
    kind, names = COUNTED[type(obj)]
    return kind(*(getattr(obj, name) for name in names))


def _facts_before(obj):
    """The facts as the database had them before this flush (the columns keep active history).

    Read from what the ORM keeps of a changed attribute (`committed_state`: its value as loaded), which is what
    its history would say (an attribute set for the first time had no value before: None), without building
    every attribute's state and history: on the timer sweep that took more CPU than counting itself."""
    kind, names = COUNTED[type(obj)]
    state = inspect(obj)
    loaded, current = state.committed_state, state.dict
    values = []
    for name in names:
        if name in loaded:
            value = loaded[name]
            values.append(None if value is NO_VALUE or value is NEVER_SET else value)
        else:  # unchanged (or never loaded, which the history would not load either)
            values.append(current.get(name))
    return kind(*values)


PENDING = "aggregate_deltas"  # session.info key: the counts collected in this transaction, not yet written


def count_changes(session: Session, objects) -> None:
    """Count changed rows that are about to be written without the flush (an UPDATE the caller sends itself,
    after which their values are the committed ones and the hook below no longer sees them)."""
    deltas = session.info.get(PENDING) or Deltas()
    dirty = session.dirty  # built anew at every access, from every row the session holds: once, not per object
    for obj in objects:
        if type(obj) in COUNTED and obj in dirty:
            before, now = _facts_before(obj), _facts_now(obj)
            if before != now:
                deltas.add(before, -1)
                deltas.add(now, +1)
    if deltas.rows:
        session.info[PENDING] = deltas
        if session.in_nested_transaction():
            write_pending(session)  # inside a savepoint the counts go with it, as the hook's do


def count_inserted(session: Session, objects) -> None:
    """Count new rows written without the flush (`direct_writes.insert_rows`): the hook below never sees them."""
    deltas = session.info.get(PENDING) or Deltas()
    for obj in objects:
        if type(obj) in COUNTED:
            deltas.add(_facts_now(obj), +1)
    if deltas.rows:
        session.info[PENDING] = deltas
        if session.in_nested_transaction():
            write_pending(session)


@event.listens_for(Session, "after_flush")
def _keep_aggregates_in_step(session: Session, _flush_context) -> None:
    # After the flush the rows are written (defaults such as created_at are
    # known) while new/dirty/deleted and attribute history still describe it.
    deltas = session.info.get(PENDING) or Deltas()
    for obj in session.new:
        if type(obj) in COUNTED:
            deltas.add(_facts_now(obj), +1)
    for obj in session.dirty:
        if type(obj) in COUNTED:
            before, now = _facts_before(obj), _facts_now(obj)
            if before != now:
                deltas.add(before, -1)
                deltas.add(now, +1)
    for obj in session.deleted:
        if type(obj) in COUNTED:
            deltas.add(_facts_before(obj), -1)
    if not deltas.rows:
        return
    session.info[PENDING] = deltas
    if session.in_nested_transaction():
        # Inside a savepoint the counts go with it: its rollback must undo them.
        write_pending(session)


def write_pending(session: Session) -> None:
    """Write the counts collected in this transaction so far (the caller is about to read the aggregates)."""
    deltas = session.info.pop(PENDING, None)
    if deltas is not None and deltas.rows:
        deltas.write(session.connection())


def drop_pending(session: Session) -> None:
    """Forget collected counts (a rebuild recounts everything from the complaints)."""
    session.info.pop(PENDING, None)


@event.listens_for(Session, "before_commit")
def _write_at_commit(session: Session) -> None:
    # Flush first (commit would, after this hook): the last flush's counts must be written too.
    session.flush()
    write_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _write_before_reading_aggregates(state) -> None:
    # Only ORM reads whose entities include an aggregate model are looked at (cheap: the mappers are known
    # to the statement). This hook runs before the statement's own autoflush: flush here so the counts
    # are complete. Core reads on a connection see what is written: call `write_pending` first.
    if state.is_select and any(mapper.class_ in AGGREGATES for mapper in state.all_mappers):
        if state.session.autoflush:
            state.session.flush()
        write_pending(state.session)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction) -> None:
    # A rollback of the whole transaction drops its uncounted changes with it; after a commit nothing is left.
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def expected_rows(connection) -> dict[tuple, dict[str, int]]:
    """What every aggregate row should hold, recomputed from the complaints table (non-zero rows)."""
    deltas = Deltas()
    columns = [Complaint.__table__.c[name] for name in FACT_NAMES]
    # yield_per on the statement, not the connection: on the connection it would stick to later statements.
    query = Complaint.__table__.select().with_only_columns(*columns).execution_options(yield_per=20_000)
    for row in connection.execute(query):
        deltas.add(facts_of_row(row._mapping), +1)
    for facts in citizen_facts(connection):
        deltas.add(facts, +1)
    return {key: dict(counts) for key, counts in deltas.rows.items() if any(counts.values())}


def citizen_facts(connection):
    users = User.__table__
    query = (users.select().with_only_columns(*[users.c[name] for name in CITIZEN_FACT_NAMES])
             .where(users.c.role == Role.CITIZEN).execution_options(yield_per=20_000))
    for role, district_id in connection.execute(query):
        yield CitizenFacts(role, district_id)


def stored_rows(connection) -> dict[tuple, dict[str, int]]:
    stored = {}
    for model in AGGREGATES:
        table = model.__table__
        keys = [c.name for c in table.primary_key.columns]
        counts = [c.name for c in table.columns if not c.primary_key]
        for row in connection.execute(table.select()):
            numbers = {name: row._mapping[name] for name in counts}
            if any(numbers.values()):
                stored[(model, *(row._mapping[k] for k in keys))] = numbers
    return stored
