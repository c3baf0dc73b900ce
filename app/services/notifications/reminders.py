"""Reminder timers: the diagram's timers that lead to a notice rather than a deadline.

The timer sweep (`timers.py`) wakes an instance at its next *deadline*; a reminder
timer (e.g. 3 days before the escalation) fires earlier and moves nothing but
messages, so instances carry its due time separately in `next_notice_at`. This
sweep fires those, one instance per transaction, with the same locking as the
timer sweep (FOR UPDATE SKIP LOCKED on PostgreSQL; the version counter on SQLite).
An instance whose deadline is due as well is left to the timer sweep: firing
runs every due timer, so that sweep sends the reminder along (or drops it when
the escalation it announces has happened).
Firing runs the process on like any timer does (through the engine door); the
move's notices become notifications in the same transaction.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker, undefer

from ...models import InstanceStatus, ProcessInstance, utcnow
from .. import sweep
from ..casework import incidents, processes

RETRY_AFTER_FAILURE = timedelta(hours=1)


def fire_due_reminders(session_factory: sessionmaker[Session], *, now: datetime | None = None, batch: int = 200) -> list[int]:
    """Fire the reminder timers due now; returns the ids of the instances that moved."""
    now = now or utcnow()
    result = sweep.sweep(
        session_factory,
        due=partial(_due_ids, now=now),
        act=lambda session, instance_id: "fired" if fire_instance_reminders(session, instance_id, now=now) else None,
        on_failure=partial(_retry_later, now=now),
        batch=batch,
        what="reminder timers of process instance",
    )
    return result.ids("fired")


def _due_ids(session: Session, batch: int, *, now: datetime) -> list[int]:
    return list(session.scalars(
        select(ProcessInstance.id)
        .where(_reminder_due(now))
        .order_by(ProcessInstance.next_notice_at, ProcessInstance.id)
        .limit(batch)
    ))


def _retry_later(session: Session, instance_id: int, error: Exception, *, now: datetime) -> None:
    session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.id == instance_id, ProcessInstance.next_notice_at <= now)
        .values(next_notice_at=now + RETRY_AFTER_FAILURE)
        .execution_options(synchronize_session=False)
    )
    incidents.record_timer_failure(session, instance_id, processes.failure_of(error), now=now)


def _reminder_due(now: datetime):
    # An instance whose deadline is due too belongs to the timer sweep, which fires both.
    return and_(
        ProcessInstance.status == InstanceStatus.RUNNING,
        ProcessInstance.next_notice_at <= now,
        or_(ProcessInstance.next_timer_due_at.is_(None), ProcessInstance.next_timer_due_at > now),
    )


def fire_instance_reminders(session: Session, instance_id: int, *, now: datetime) -> bool:
    """Fire one instance's due timers; False (nothing saved) if it is taken or not due."""
    instance = session.scalar(
        select(ProcessInstance)
        .options(undefer(ProcessInstance.state), joinedload(ProcessInstance.definition))
        .where(ProcessInstance.id == instance_id, _reminder_due(now))
        .with_for_update(skip_locked=True, of=ProcessInstance)
    )
    if instance is None:
        return False
    move = processes.begin(session, instance)
    if not move.fire_timers().notice:
        return False  # the engine's clock says it is not due yet
    move.save(instance.complaint, now=now)
    return True
