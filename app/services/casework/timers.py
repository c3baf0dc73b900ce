"""The timer sweep: fire every due BPMN timer, one instance per transaction.

Only instances whose `next_timer_due_at` has passed are read. Each is locked
with FOR UPDATE SKIP LOCKED on PostgreSQL, so several sweepers on several
machines share the work and none fires a timer twice (on SQLite the version
counter turns a second writer away). A crash loses at most the instance being
handled, which the next sweep picks up again.

An instance whose timers fail (a diagram script error, a corrupt state) is not
retried every minute forever: it is put back by a growing delay, and the
failure count and error stay on the row for an operator to see.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker, undefer

import workflows

from ...models import InstanceStatus, ProcessInstance, utcnow
from . import processes
from .projection import sync_instance

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(days=1)


@dataclass
class SweepResult:
    fired: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    selected: int = 0


def sweep(session_factory: sessionmaker[Session], *, batch: int = 200) -> SweepResult:
    """Fire everything due now, batch after batch, until a batch comes back short."""
    total = SweepResult()
    while True:
        result = fire_due_timers(session_factory, batch=batch)
        total.fired += result.fired
        total.failed += result.failed
        total.selected += result.selected
        # A short batch means nothing more is due. A full batch that fired
        # nothing belongs to other sweepers (or is not due by the engine's
        # clock yet): stop instead of spinning on the same rows.
        if result.selected < batch or not result.fired:
            return total


def fire_due_timers(session_factory: sessionmaker[Session], *, now: datetime | None = None, batch: int = 200) -> SweepResult:
    """Fire the timers of up to `batch` due instances; each commits on its own."""
    now = now or utcnow()
    with session_factory() as session:
        due_ids = session.scalars(
            select(ProcessInstance.id)
            .where(ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.next_timer_due_at <= now)
            .order_by(ProcessInstance.next_timer_due_at, ProcessInstance.id)
            .limit(batch)
        ).all()
    result = SweepResult(selected=len(due_ids))
    for instance_id in due_ids:
        with session_factory() as session:
            try:
                if fire_instance_timers(session, instance_id, now=now):
                    session.commit()
                    result.fired.append(instance_id)
            except Exception as error:
                session.rollback()
                log.exception("timers of process instance %s failed; retrying later", instance_id)
                _postpone(session, instance_id, error, now)
                result.failed.append(instance_id)
    return result


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
    diagram = processes.diagram_for(session, instance.definition)
    workflow = workflows.restore_process(diagram, instance.state)
    workflows.fire_timers(workflow)
    if workflows.next_timer_due(workflow) == instance.next_timer_due_at:
        # The due timer is still waiting: nothing fired, nothing to save.
        return False
    instance.timer_failures, instance.timer_error = 0, None
    sync_instance(session, instance.complaint, instance, workflow, now=now)
    return True


def _postpone(session: Session, instance_id: int, error: Exception, now: datetime) -> None:
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
    session.commit()
