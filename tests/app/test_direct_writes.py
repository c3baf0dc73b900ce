"""New rows written below the ORM (app/models/direct_writes.py): on PostgreSQL a lodging's and a task's new
rows go in as Core INSERTs and the ones the request reads stay in the session as loaded rows; the writer steps
aside where only the flush can order the rows right (SQLite, a savepoint, a row pointing to another new row)."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm.exc import StaleDataError

from app.models import (
    Channel, Complaint, ComplaintEvent, HumanTask, Notification, ProcessInstance, Role, StatCell, User, direct_writes,
    statistics_upkeep, utcnow,
)
from app.services.casework import complaints
from tests.app.helpers import DESCRIPTION, assign, category, reread

pytestmark = pytest.mark.usefixtures("places")


def on_postgresql(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def statements_while(session, action) -> list[str]:
    sent = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        result = action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sent, result


def lodge_uncommitted(session, citizen, district):
    return complaints.lodge_complaint(session, citizen, complaints.ComplaintInput(
        category(session).id, district.id, "Broken streetlight", DESCRIPTION))


def test_a_lodging_leaves_its_rows_loaded_and_clean_and_writes_them_whole(session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    make_user(Role.DEPUTY_COMMISSIONER, district=places["peshawar"])
    lodged = lodge_uncommitted(session, citizen, places["peshawar"])
    complaint = lodged.complaint
    pending = [row for row in session.new if isinstance(row, (Complaint, ComplaintEvent, ProcessInstance,
                                                              HumanTask, Notification))]
    if on_postgresql(session):
        # Written already, nothing left for the flush; the rows the answer reads are in the session, clean.
        assert pending == []
        instance = session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id))
        kept = [complaint, instance, *lodged.open_tasks, *lodged.events]
        assert all(row in session and row not in session.dirty for row in kept)
        # Read without a query: every column was given its value (defaults included).
        sent, values = statements_while(session, lambda: [
            (complaint.closed_at, complaint.rating, complaint.reopen_count, task.completed_at, task.instance_id,
             instance.lock_version, instance.timer_failures) for task in lodged.open_tasks])
        assert sent == []
        assert values == [(None, None, 0, None, instance.id, 1, 0)]
    else:
        assert pending  # SQLite: the flush at the commit writes them
    session.commit()
    reread(session)
    task = session.get(HumanTask, lodged.open_tasks[0].id)
    assert task.complaint_id == complaint.id and task.instance.complaint_id == complaint.id
    assert session.scalar(select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == complaint.id)) == "lodged"
    assert session.scalars(select(Notification.user_id).where(Notification.complaint_id == complaint.id)).all()
    # Counted in the public figures as the flush's hook counts a new complaint.
    connection = session.connection()
    assert statistics_upkeep.stored_rows(connection) == statistics_upkeep.expected_rows(connection)
    assert session.scalar(select(StatCell.lodged).where(StatCell.district_id == places["peshawar"].id)) >= 1


def test_a_task_done_writes_its_new_rows_and_the_answer_reads_them(session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    dc = make_user(Role.DEPUTY_COMMISSIONER, district=places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, district=places["peshawar"])
    lodged = lodge_uncommitted(session, citizen, places["peshawar"])
    session.commit()
    done = assign(session, lodged.complaint, dc, officer)
    session.commit()
    reread(session)
    work = session.scalars(select(HumanTask).where(HumanTask.complaint_id == lodged.complaint.id,
                                                   HumanTask.completed_at.is_(None))).all()
    assert [(t.role, t.assignee_id) for t in work] == [(Role.DISTRICT_OFFICER, officer.id)]
    assert session.get(HumanTask, done.id).completed_by_id == dc.id
    told = session.scalars(select(Notification.user_id).where(Notification.complaint_id == lodged.complaint.id)).all()
    assert officer.id in told


def test_the_writer_steps_aside_where_only_the_flush_orders_the_rows(session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    complaint = lodge_uncommitted(session, citizen, places["peshawar"]).complaint
    session.commit()
    # Inside a savepoint: its rollback could not take back rows the session holds as loaded.
    savepoint = session.begin_nested()
    line = ComplaintEvent(complaint=complaint, kind="note", note="a line", details={})
    session.add(line)
    assert direct_writes.write_step_rows(session) is False
    assert line in session.new
    savepoint.rollback()
    # A new row pointing to a new row of another kind (a user not yet written): only the flush orders them.
    message = Notification(user=User(role=Role.CITIZEN, full_name="Not yet written"), complaint=complaint,
                           template="new_task", channel=Channel.IN_APP, subject=None, body="")
    session.add(message)
    assert direct_writes.write_step_rows(session) is False
    assert message in session.new and message.user in session.new
    session.rollback()
    # The same message to a user of the database: written by the writer on PostgreSQL, left to the flush on SQLite.
    message = Notification(user=citizen, complaint=complaint, template="new_task", channel=Channel.IN_APP,
                           subject=None, body="")
    session.add(message)
    assert direct_writes.write_step_rows(session) is on_postgresql(session)
    assert (message in session.new) is not on_postgresql(session)
    session.rollback()


def test_a_step_writing_an_instance_that_moved_meanwhile_is_refused(app, session, make_user, places):
    """The instance's UPDATE below the ORM is checked against the version it was read at, as the flush's is."""
    citizen = make_user(Role.CITIZEN)
    lodged = lodge_uncommitted(session, citizen, places["peshawar"])
    session.commit()
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == lodged.complaint.id))
    read_at = instance.lock_version
    with app.extensions["db_engine"].begin() as elsewhere:  # another request moved it on and committed
        elsewhere.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id)
                          .values(lock_version=ProcessInstance.lock_version + 1))
    instance.next_notice_at = utcnow()
    if not on_postgresql(session):
        assert direct_writes.write_step_rows(session, now=utcnow()) is False  # SQLite: the flush checks it
        with pytest.raises(StaleDataError):
            session.flush()
    else:
        with pytest.raises(StaleDataError, match="1 of 1 process_instances rows changed while a person's step"):
            direct_writes.write_step_rows(session, now=utcnow())
    session.rollback()
    assert session.get(ProcessInstance, instance.id).lock_version == read_at + 1
