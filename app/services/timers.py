"""The timer sweep: fire every due BPMN timer, one instance per transaction.

Only instances whose `next_timer_due_at` has passed are read. Each is locked
with FOR UPDATE SKIP LOCKED on PostgreSQL, so several sweepers on several
machines share the work and none fires a timer twice; a crash loses at most
the instance being handled, which the next sweep picks up again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import workflows

from ..models import InstanceStatus, ProcessInstance, utcnow
from . import processes
from .projection import sync_instance

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    fired: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def fire_due_timers(session_factory: sessionmaker[Session], *, now: datetime | None = None, batch: int = 200) -> SweepResult:
    """Fire the timers of up to `batch` due instances; each commits on its own."""
    now = now or utcnow()
    result = SweepResult()
    with session_factory() as session:
        due_ids = session.scalars(
            select(ProcessInstance.id)
            .where(ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.next_timer_due_at <= now)
            .order_by(ProcessInstance.next_timer_due_at)
            .limit(batch)
        ).all()
    for instance_id in due_ids:
        with session_factory() as session:
            try:
                if fire_instance_timers(session, instance_id, now=now):
                    session.commit()
                    result.fired.append(instance_id)
            except Exception:
                session.rollback()
                log.exception("timers of process instance %s failed; the next sweep retries", instance_id)
                result.failed.append(instance_id)
    return result


def fire_instance_timers(session: Session, instance_id: int, *, now: datetime) -> bool:
    """Fire one instance's due timers; False if another sweeper has it or it is no longer due."""
    instance = session.scalar(
        select(ProcessInstance)
        .where(
            ProcessInstance.id == instance_id,
            ProcessInstance.status == InstanceStatus.RUNNING,
            ProcessInstance.next_timer_due_at <= now,
        )
        .with_for_update(skip_locked=True)
    )
    if instance is None:
        return False
    diagram = processes.diagram_for(session, instance.definition)
    workflow = workflows.restore_process(diagram, instance.state)
    workflows.fire_timers(workflow)
    sync_instance(session, instance.complaint, instance, workflow, now=now)
    return True
