"""Keep the complaint row, the inbox and the timeline in step with the process.

Called by the engine door (`processes.py`) after every move of a process
instance (start, task completed, timer fired, signal, migration) with the
move's `ProcessSnapshot`, in the same transaction that saves the process
state, so the inbox never shows a task the engine no longer has and vice versa.
It reads nothing from the engine: the snapshot is plain data.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ...models import (
    Complaint,
    ComplaintStatus,
    HumanTask,
    InstanceStatus,
    ProcessInstance,
    Role,
    User,
    direct_writes,
    utcnow,
)
from ..notifications import outbox
from . import events

# The scope column that decides who works a task of each lane when it has no assignee.
LANE_SCOPE = {
    Role.CITIZEN: "citizen",
    Role.DISTRICT_OFFICER: "department",
    Role.DEPUTY_COMMISSIONER: "district",
    Role.COMMISSIONER: "division",
    Role.CHIEF_SECRETARY: "province",
}


# session.info key, set by a caller that moves many instances and flushes them together once (the timer sweep):
# each move's rows then wait for that flush instead of being written one move at a time.
FLUSH_LATER = "projection.flush_later"
# session.info key: open inbox rows read beforehand for many instances at once (`prefetch_open_tasks`).
PREFETCHED = "projection.open_tasks"


def open_task_rows(session: Session, instance_id: int) -> list[HumanTask]:
    """An instance's open inbox rows, read again from the database (what was loaded before is refreshed)."""
    return list(session.scalars(_OPEN_TASK_ROWS, {"instance_id": instance_id}))


# Made once, the id bound at execution (every step reads it).
_OPEN_TASK_ROWS = (
    select(HumanTask).where(HumanTask.instance_id == bindparam("instance_id"), HumanTask.completed_at.is_(None))
    .order_by(HumanTask.id).execution_options(populate_existing=True)
)


def prefetch_open_tasks(session: Session, instance_ids) -> None:
    """Read the open inbox rows of many instances in one query, for their coming moves in this transaction.

    The timer sweep moves a batch of locked instances; without this each move reads its own rows.
    Each instance's rows are used once, by its next `sync_instance`, then forgotten.
    """
    prefetched = session.info.setdefault(PREFETCHED, {})
    for instance_id in instance_ids:
        prefetched[instance_id] = []
    for row in session.scalars(
        select(HumanTask).where(HumanTask.instance_id.in_(list(instance_ids)), HumanTask.completed_at.is_(None))
    ):
        prefetched[row.instance_id].append(row)


def sync_instance(
    session: Session,
    complaint: Complaint,
    instance: ProcessInstance,
    snapshot,
    *,
    actor: User | None = None,
    completed_task_id: str | None = None,
    now: datetime | None = None,
    started: bool = False,
    open_rows: list[HumanTask] | None = None,
) -> list[HumanTask]:
    """Save the process state and rewrite everything projected from it. Returns new tasks.

    `snapshot` is the `workflows.ProcessSnapshot` of the move; `started`: the instance was just created,
    so it has no inbox rows yet (and they need not be looked for); `open_rows`: its open inbox rows, read by the
    caller in this transaction after locking the instance (they are not read again).
    """
    now = now or utcnow()
    open_tasks = snapshot.open_tasks
    open_ids = {t.id for t in open_tasks}
    prefetched = session.info.get(PREFETCHED, {}).pop(instance.id, None)
    if open_rows is not None:
        prefetched = open_rows
    rows = {} if started else {
        row.task_guid: row
        for row in (prefetched if prefetched is not None else session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.completed_at.is_(None))
        ))
    }
    for guid, row in rows.items():
        if guid not in open_ids:
            row.completed_at = now
            if guid == completed_task_id and actor is not None:
                row.completed_by_id = actor.id

    new_rows = []
    for task in open_tasks:
        row = rows.get(task.id)
        if row is None:
            row = _new_task_row(complaint, instance, task, now)
            session.add(row)
            new_rows.append(row)
            if task.escalation_level:
                _record_escalation(session, complaint, row, task.escalation_level, now)
        # A transfer moves the complaint; tasks still open (a Commissioner's review)
        # follow it to the new district's and division's readers.
        _follow(row, assignee_id=_user_id(task.assignee), district_id=complaint.district_id,
                division_id=complaint.division_id, department_id=complaint.department_id)

    # Before the messages: the flush they may need (for new tasks' ids) then writes these with the rest.
    instance.state = snapshot.state
    instance.next_timer_due_at = snapshot.next_deadline
    instance.next_notice_at = snapshot.next_notice
    complaint.next_deadline_at = instance.next_timer_due_at
    complaint.updated_at = now
    # The status too: a flush for the messages' task ids then writes the complaint's row once, not twice.
    _project_status(session, complaint, instance, snapshot, now)
    outbox.notify_process_move(session, complaint, snapshot, new_rows, now=now)
    # A started instance's last rows (its tasks' messages) wait for the lodging's next flush or its commit.
    if not started and not session.info.get(FLUSH_LATER):
        # PostgreSQL: the new rows as Core INSERTs, the instance and complaint as Core UPDATEs; the rest flushed.
        direct_writes.write_step_rows(session, now=now)
        session.flush()
    return new_rows


def _follow(row: HumanTask, **values) -> None:
    """Set what differs only: a row set to what it holds would still be a changed row to the ORM, which
    then works through it at the flush to find nothing to write (a tenth of a sweep batch's flush)."""
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)


def _new_task_row(complaint, instance, task, now) -> HumanTask:
    role = Role(task.lane)
    assignee_id = _user_id(task.assignee)
    return HumanTask(
        task_guid=task.id,
        instance_id=instance.id,
        instance=instance,  # a new instance has no id until the flush
        complaint_id=complaint.id,
        element_id=task.element_id,
        name=task.name,
        form_key=task.form_key,
        role=role,
        scope="assignee" if assignee_id else LANE_SCOPE[role],
        district_id=complaint.district_id,
        division_id=complaint.division_id,
        department_id=complaint.department_id,
        citizen_id=complaint.citizen_id if role is Role.CITIZEN else None,
        assignee_id=assignee_id,
        escalation_level=task.escalation_level,
        created_at=now,
        due_at=instance.next_timer_due_at,
    )


def _record_escalation(session, complaint, row, level, now):
    if level > complaint.escalation_level:
        complaint.escalation_level = level
    events.record(session, complaint, "escalated", details={"role": row.role.value, "level": level}, now=now)


def _project_status(session, complaint, instance, snapshot, now):
    open_tasks = snapshot.open_tasks
    if snapshot.finished:
        instance.status = InstanceStatus.FINISHED
        instance.next_timer_due_at = complaint.next_deadline_at = None
        complaint.status = ComplaintStatus.CLOSED
        complaint.closed_at = now
        complaint.closure = snapshot.closure
        # The closure is the name of the diagram's end event: the diagram's words, kept as they are.
        events.record(session, complaint, "closed", note=complaint.closure, now=now)
        return
    # The newest open task that carries a status decides what the citizen sees.
    statuses = [t.status for t in open_tasks if t.status]
    if statuses:
        complaint.status = ComplaintStatus(statuses[-1])
    if complaint.status is ComplaintStatus.RESOLVED and complaint.resolved_at is None:
        # A new resolution asks for a new rating; earlier ones stay in the timeline.
        complaint.resolved_at = now
        complaint.rating = complaint.satisfied = None
    officer_tasks = [t for t in open_tasks if t.lane == Role.DISTRICT_OFFICER.value and t.assignee]
    if officer_tasks:
        complaint.officer_id = _user_id(officer_tasks[-1].assignee)


def _user_id(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
