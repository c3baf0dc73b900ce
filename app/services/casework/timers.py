"""The timer sweep: fire every due BPMN timer, one instance per transaction.

Only instances whose `next_timer_due_at` has passed are read. Each is locked
with FOR UPDATE SKIP LOCKED on PostgreSQL, so several sweepers on several
machines share the work and none fires a timer twice (on SQLite the version
counter turns a second writer away). A crash loses at most the instance being
handled, which the next sweep picks up again.

An instance whose timers fail (a diagram script error, a corrupt state) is not
retried every minute forever: it is put back by a growing delay, and the
failure count and error stay on the row for an operator to see; the failure is
also an incident on the analysts' incidents page (casework/incidents.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker, undefer

from ...models import InstanceStatus, ProcessInstance, utcnow
from .. import sweep as sweeping
from . import incidents, processes

FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(days=1)


@dataclass
class SweepResult:
    fired: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    selected: int = 0


def sweep(session_factory: sessionmaker[Session], *, batch: int = 200) -> SweepResult:
    """Fire everything due now, batch after batch, until a batch comes back short.

    A full batch that fired nothing belongs to other sweepers (or is not due by
    the engine's clock yet): the sweep stops instead of spinning on the same rows.
    """
    return _sweep(session_factory, utcnow(), batch, once=False)


def fire_due_timers(session_factory: sessionmaker[Session], *, now: datetime | None = None, batch: int = 200) -> SweepResult:
    """Fire the timers of up to `batch` due instances; each commits on its own."""
    return _sweep(session_factory, now or utcnow(), batch, once=True)


def _sweep(session_factory, now: datetime, batch: int, *, once: bool) -> SweepResult:
    result = sweeping.sweep(
        session_factory,
        due=partial(_due_ids, now=now),
        act=lambda session, instance_id: "fired" if fire_instance_timers(session, instance_id, now=now) else None,
        on_failure=partial(_postpone, now=now),
        batch=batch,
        once=once,
        what="timers of process instance",
    )
    return SweepResult(fired=result.ids("fired"), failed=result.failed, selected=result.selected)


def _due_ids(session: Session, batch: int, *, now: datetime) -> list[int]:
    return list(session.scalars(
        select(ProcessInstance.id)
        .where(ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.next_timer_due_at <= now)
        .order_by(ProcessInstance.next_timer_due_at, ProcessInstance.id)
        .limit(batch)
    ))


def fire_instance_timers(session: Session, instance_id: int, *, now: datetime) -> bool:
    """Fire one instance's due timers.

    False (and nothing saved) if another sweeper holds it, it is no longer due,
    or the engine found no timer due by its own clock.
    """
    instance = session.scalar(
        select(ProcessInstance)
        .options(undefer(ProcessInstance.state), joinedload(ProcessInstance.definition))
        .where(
            ProcessInstance.id == instance_id,
            ProcessInstance.status == InstanceStatus.RUNNING,
            ProcessInstance.next_timer_due_at <= now,
        )
        .with_for_update(skip_locked=True, of=ProcessInstance)
    )
    if instance is None:
        return False
    move = processes.begin(session, instance)
    if not move.fire_timers().deadline:
        return False  # the due timer is still waiting: nothing fired, nothing to save
    instance.timer_failures, instance.timer_error = 0, None
    move.save(instance.complaint, now=now)
    return True


def _postpone(session: Session, instance_id: int, error: Exception, *, now: datetime) -> None:
    failures = session.scalar(select(ProcessInstance.timer_failures).where(ProcessInstance.id == instance_id)) or 0
    delay = min(FIRST_RETRY * 2**failures, LONGEST_RETRY)
    session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.id == instance_id)
        .values(
            timer_failures=failures + 1,
            timer_error=f"{type(error).__name__}: {error}"[:2000],
            next_timer_due_at=now + delay,
        )
        .execution_options(synchronize_session=False)
    )
    incidents.record_timer_failure(session, instance_id, processes.failure_of(error), now=now)
