"""The batched timer sweep: many instances per transaction, and each still on its own when it fails.

A batch is locked and loaded in one query, moved by the engine, saved and
committed once. One instance the engine cannot move is left out and backed off;
one whose saving fails sends the batch back to one transaction per instance.
Runs on SQLite and on PostgreSQL; the concurrency and index checks need
PostgreSQL (row locks, a planner to ask) and skip without it.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event, func, select, text

from app.db import make_engine, make_session_factory
from app.models import Channel, Complaint, ComplaintEvent, HumanTask, Incident, IncidentSource, Notification, ProcessInstance, Role, utcnow
from app.services.casework import processes, projection, timers
from tests.app.helpers import assign, complete

from .conftest import escalations

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
needs_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://...")


def instance_of(app, complaint_id: int) -> ProcessInstance:
    with app.extensions["db_sessions"]() as session:
        return session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint_id))


def corrupt(app, complaint_id: int) -> None:
    with app.extensions["db_engine"].begin() as conn:
        conn.execute(text("UPDATE process_instances SET state = :state WHERE complaint_id = :cid"),
                     {"state": '{"corrupt": true}', "cid": complaint_id})


def test_an_instance_the_engine_cannot_move_is_backed_off_and_the_rest_of_its_batch_commits(app, lodge):
    due = lodge(5)
    broken = due[2]
    corrupt(app, broken)
    broken_instance = instance_of(app, broken).id

    result = timers.fire_due_timers(app.extensions["db_sessions"], batch=10)

    assert result.selected == 5 and result.failed == [broken_instance]
    good = [cid for cid in due if cid != broken]
    assert sorted(result.fired) == sorted(instance_of(app, cid).id for cid in good)
    now = utcnow()
    state = escalations(app, due)
    assert all(state[cid].escalated_once(now) for cid in good), state
    assert state[broken].escalated_events == 0 and state[broken].next_timer_due_at > now + timedelta(minutes=4)
    backed_off = instance_of(app, broken)
    assert backed_off.timer_failures == 1 and backed_off.timer_error
    with app.extensions["db_sessions"]() as session:
        (incident,) = session.scalars(select(Incident).where(Incident.complaint_id == broken))
    assert incident.source is IncidentSource.TIMER


def test_an_instance_whose_saving_fails_sends_the_batch_to_one_transaction_each(app, lodge, monkeypatch, caplog):
    due = lodge(4)
    broken = due[1]
    real_sync = projection.sync_instance

    def sync_failing_for_one(session, complaint, *args, **kwargs):
        if complaint.id == broken:
            raise RuntimeError("the inbox row cannot be written")
        return real_sync(session, complaint, *args, **kwargs)

    monkeypatch.setattr("app.services.casework.processes.sync_instance", sync_failing_for_one)

    result = timers.fire_due_timers(app.extensions["db_sessions"], batch=10)

    broken_instance = instance_of(app, broken).id
    assert result.failed == [broken_instance] and len(result.fired) == 3 and result.selected == 4
    assert "a batch of 4 instance(s) failed as a whole; firing them one by one" in caplog.text
    assert f"timers of process instance {broken_instance} failed" in caplog.text
    now = utcnow()
    state = escalations(app, due)
    assert all(state[cid].escalated_once(now) for cid in due if cid != broken), state
    # Nothing of the failed batch was kept twice: the broken one is untouched and backed off.
    assert state[broken].escalated_events == 0 and state[broken].commissioner_tasks == 0
    assert instance_of(app, broken).timer_failures == 1


def test_a_database_error_while_one_instance_moves_does_not_lose_the_batch(app, lodge, monkeypatch):
    """On PostgreSQL such an error spoils the whole transaction: the batch goes one by one."""
    due = lodge(3)
    broken = instance_of(app, due[0]).id
    real_begin = processes.begin

    def begin_reading_a_missing_table(session, instance):
        if instance.id == broken:
            session.execute(text("SELECT * FROM no_such_table"))
        return real_begin(session, instance)

    monkeypatch.setattr(processes, "begin", begin_reading_a_missing_table)

    result = timers.fire_due_timers(app.extensions["db_sessions"], batch=10)

    assert result.failed == [broken] and len(result.fired) == 2
    now = utcnow()
    state = escalations(app, due)
    assert all(state[cid].escalated_once(now) for cid in due[1:]), state
    assert state[due[0]].escalated_events == 0 and instance_of(app, due[0]).timer_failures == 1


def test_a_sweep_takes_batch_after_batch_until_nothing_is_due(app, lodge):
    due = lodge(7)

    result = timers.sweep(app.extensions["db_sessions"], batch=3)

    assert len(result.fired) == len(set(result.fired)) == 7 and result.failed == []
    now = utcnow()
    assert all(s.escalated_once(now) for s in escalations(app, due).values())
    assert timers.sweep(app.extensions["db_sessions"], batch=3).fired == []


@needs_postgres
@pytest.mark.postgres
def test_two_batched_sweepers_at_once_take_disjoint_batches_and_fire_each_timer_once(app, db_url, lodge):
    due = lodge(30)
    barrier = threading.Barrier(2)
    results: list[timers.SweepResult | None] = [None, None]
    errors: list[BaseException] = []

    def sweeper(index: int) -> None:
        engine = make_engine(db_url)  # what one worker process has: its own engine and sessions
        try:
            sessions = make_session_factory(engine)
            with engine.connect():
                pass
            barrier.wait(timeout=30)
            results[index] = timers.sweep(sessions, batch=4)  # small batches: both loop, taking turns
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            engine.dispose()

    threads = [threading.Thread(target=sweeper, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert not errors, errors
    assert all(result.failed == [] for result in results), results
    first, second = (set(result.fired) for result in results)
    assert len(first) == len(results[0].fired) and len(second) == len(results[1].fired)
    assert first.isdisjoint(second), sorted(first & second)
    state = escalations(app, due)
    assert first | second == {s.instance_id for s in state.values()}
    now = utcnow()
    assert all(s.escalated_once(now) for s in state.values()), state


@needs_postgres
@pytest.mark.postgres
def test_the_idle_sweep_reads_the_due_index_not_the_table(app):
    """With nothing due the sweep costs one descent of the due index, whatever the number of open complaints."""
    query = timers.due_query(utcnow() - timedelta(days=365), 200)
    with app.extensions["db_engine"].connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))  # a test table is tiny: ask what the index can do
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        plan = "\n".join(conn.scalars(text(f"EXPLAIN {compiled}")))
    assert "ix_process_instances_due" in plan and "Seq Scan" not in plan, plan


def test_the_due_query_is_answered_from_the_index_on_sqlite_too(app):
    query = timers.due_query(utcnow(), 200)
    with app.extensions["db_engine"].connect() as conn:
        if conn.dialect.name != "sqlite":
            pytest.skip("SQLite's plan; PostgreSQL's is checked above")
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        plan = " ".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "USING INDEX ix_process_instances_due" in plan, plan


@contextmanager
def statements_sent(app, starts: tuple[str, ...], record):
    """`record(statement, rows carried, executemany)` of each statement starting so, sent meanwhile."""
    sent = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(starts):
            sent.append(record(statement, len(parameters) if executemany else 1, executemany))

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def instance_updates(app, starting="UPDATE PROCESS_INSTANCES"):
    """The statements starting so sent meanwhile, as the number of rows each carried."""
    return statements_sent(app, (starting,), lambda statement, rows, many: rows)


def inserts(app, *tables):
    """The INSERTs into `tables` sent meanwhile: (table, executemany, rows carried, RETURNING asked)."""
    return statements_sent(app, tuple(f"INSERT INTO {table.upper()} " for table in tables),
                           lambda statement, rows, many: (statement.split("(")[0].split()[-1], many, rows,
                                                          "RETURNING" in statement.upper()))


def test_a_batch_writes_its_instances_in_a_statement_per_shape_not_one_per_instance(app, lodge):
    """The ORM writes a versioned row one UPDATE at a time; the sweep writes the batch's instances together."""
    due = lodge(6)

    with instance_updates(app) as updates:
        result = timers.fire_due_timers(app.extensions["db_sessions"], batch=10)

    assert len(result.fired) == 6 and result.failed == []
    assert updates == [6]  # one statement for the six rows (all escalated alike: one set of columns)
    now = utcnow()
    assert all(s.escalated_once(now) for s in escalations(app, due).values())
    with app.extensions["db_sessions"]() as session:
        versions = session.scalars(select(ProcessInstance.lock_version).where(ProcessInstance.complaint_id.in_(due)))
        assert set(versions) == {2}  # lodged at 1, moved once: the next version, as the ORM would have written


def test_the_rows_a_batch_wrote_itself_are_left_clean_for_its_flush(app, lodge, monkeypatch):
    """The instances and complaints the batch wrote with its own UPDATEs leave the session's changed rows, as
    a flush leaves what it wrote: the batch's flush and commit do not work through them again."""
    due = lodge(5)
    still_changed = []
    real_write = timers._write_complaints

    def write_and_look(session, complaints, *, now):
        real_write(session, complaints, now=now)
        still_changed.extend(type(row).__name__ for row in session.dirty
                             if isinstance(row, (ProcessInstance, Complaint)))

    monkeypatch.setattr(timers, "_write_complaints", write_and_look)

    result = timers.fire_due_timers(app.extensions["db_sessions"], batch=10)

    assert len(result.fired) == 5 and still_changed == []
    now = utcnow()
    state = escalations(app, due)
    assert all(s.escalated_once(now) for s in state.values()), state
    with app.extensions["db_sessions"]() as session:
        complaints = session.scalars(select(Complaint).where(Complaint.id.in_(due))).all()
        assert all(c.escalation_level == 1 and c.next_deadline_at is not None for c in complaints)
        assert set(session.scalars(select(ProcessInstance.lock_version).where(
            ProcessInstance.complaint_id.in_(due)))) == {2}


def test_a_batch_inserts_its_timeline_lines_and_messages_without_asking_their_ids_back(app, lodge, make_user):
    make_user(Role.DEPUTY_COMMISSIONER)  # someone to tell of the escalations besides the citizen
    due = lodge(4)

    with inserts(app, "notifications", "complaint_events") as sent:
        result = timers.fire_due_timers(app.extensions["db_sessions"], batch=10)

    assert len(result.fired) == 4
    assert {table for table, *_ in sent} == {"notifications", "complaint_events"}
    assert all(many and not returning for _, many, _, returning in sent), sent
    with app.extensions["db_sessions"]() as session:
        assert session.scalar(select(func.count()).select_from(ComplaintEvent).where(
            ComplaintEvent.complaint_id.in_(due), ComplaintEvent.kind == "escalated")) == 4
        assert session.scalar(select(func.count()).select_from(Notification).where(
            Notification.complaint_id.in_(due), Notification.template == "complaint_escalated_staff")) >= 4


@needs_postgres
@pytest.mark.postgres
def test_on_postgres_a_batch_numbers_its_new_inbox_rows_from_the_sequence_and_inserts_them_together(app, lodge):
    """The escalations open a Commissioner's review each: the rows take their ids from the table's sequence in
    one query and go in with one executemany, not through the flush's INSERT ... RETURNING."""
    due = lodge(4)

    with inserts(app, "human_tasks") as sent:
        result = timers.fire_due_timers(app.extensions["db_sessions"], batch=10)

    assert len(result.fired) == 4 and result.failed == []
    assert sent == [("human_tasks", True, 4, False)]
    with app.extensions["db_sessions"]() as session:
        reviews = session.execute(select(HumanTask.id, HumanTask.complaint_id, HumanTask.instance_id).where(
            HumanTask.complaint_id.in_(due), HumanTask.element_id == "commissioner_review")).all()
        instances = dict(session.execute(select(ProcessInstance.complaint_id, ProcessInstance.id).where(
            ProcessInstance.complaint_id.in_(due))).all())
        later = session.scalar(text("SELECT nextval(pg_get_serial_sequence('human_tasks', 'id'))"))
    assert sorted(complaint for _, complaint, _ in reviews) == sorted(due)
    assert all(instance == instances[complaint] for _, complaint, instance in reviews)
    assert max(task_id for task_id, _, _ in reviews) < later  # numbered by the sequence: no later row collides


def test_an_instance_changed_after_the_batch_read_it_sends_the_batch_one_by_one(app, lodge, monkeypatch, caplog):
    """The batched write keeps the version check: a row whose version moved (another writer, as SQLite's
    missing row locks allow) fails the batch's write, which rolls back and fires each instance on its own."""
    due = lodge(3)
    changed = instance_of(app, due[1]).id
    real_write = timers._write_instances

    def another_writer_first(session, instances, *, now):
        session.execute(text("UPDATE process_instances SET lock_version = lock_version + 1 WHERE id = :id"),
                        {"id": changed})
        return real_write(session, instances, now=now)

    monkeypatch.setattr(timers, "_write_instances", another_writer_first)

    result = timers.fire_due_timers(app.extensions["db_sessions"], batch=10)

    assert "a batch of 3 instance(s) failed as a whole; firing them one by one" in caplog.text
    assert "1 of 3 process_instances rows changed while the timer sweep moved them" in caplog.text
    assert sorted(result.fired) == sorted(instance_of(app, cid).id for cid in due) and result.failed == []
    now = utcnow()
    assert all(s.escalated_once(now) for s in escalations(app, due).values())  # once each, nothing doubled


def test_new_tasks_made_by_timers_are_announced_after_the_batch_flush_each_with_its_own_link(app, session, lodge,
                                                                                            make_user):
    """Systemic complaints give the DC a review every 30 days. A message links to its task, so a new task
    needs its id: in a batch the announcements wait for one flush of the whole batch, instead of a flush per
    move that would also write every instance moved so far one row at a time."""
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    officer = make_user(Role.DISTRICT_OFFICER)
    due = lodge(3, days_ago=40)
    for complaint_id in due:
        complaint = session.get(Complaint, complaint_id)
        officer.department_id = complaint.department_id
        session.commit()
        with time_machine.travel(utcnow() - timedelta(days=39), tick=True):
            assign(session, complaint, dc, officer)
            complete(session, complaint, officer, outcome="systemic", action_taken="Needs a new transformer")

    with instance_updates(app) as updates, instance_updates(app, "INSERT INTO NOTIFICATIONS") as messages:
        result = timers.fire_due_timers(app.extensions["db_sessions"], batch=10)

    assert len(result.fired) == 3 and result.failed == []
    assert updates == [3]
    assert messages == [3]  # the three announcements, after the flush that gives the reviews ids, in one statement
    session.expire_all()
    reviews = session.scalars(select(HumanTask.id).where(
        HumanTask.complaint_id.in_(due), HumanTask.element_id == "dc_systemic_review")).all()
    assert len(reviews) == 3
    dc_tasks = session.scalars(select(HumanTask.id).where(
        HumanTask.complaint_id.in_(due), HumanTask.role == Role.DEPUTY_COMMISSIONER)).all()
    announced = session.scalars(select(Notification).where(
        Notification.user_id == dc.id, Notification.template == "new_task", Notification.channel == Channel.IN_APP,
    )).all()
    # Each DC task (the triage at lodging, the review from the sweep) announced once, linking to itself.
    assert sorted(n.context["path"] for n in announced) == sorted(f"/tasks/{task_id}" for task_id in dc_tasks)
    assert {f"/tasks/{task_id}" for task_id in reviews} <= {n.context["path"] for n in announced}
