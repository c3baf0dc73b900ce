"""Recording incidents: a process that failed at run time, told to the analysts.

The caller has rolled back the failed move; it then records the incident in a
short transaction of its own (the view or the sweep commits it), so the
failure is known even though nothing of the move was kept. The same failure
again (same complaint, element, source and error) counts up on its open row
and keeps its reference, so a person retrying, or a timer failing every few
minutes, does not fill the table.

A lodging whose process fails at its start keeps no complaint: its incident
names the version and the category, and counts up per version, category,
element and error.

A later move of the same kind that succeeds resolves the complaint's open
incidents of that kind (`resolve_incidents`, called by the engine door): the
person's next try went through, or the timer fired after the fix.
"""
from __future__ import annotations

import secrets
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from ...models import Incident, IncidentSource, IncidentStatus, ProcessInstance, User, utcnow
from ..errors import ProcessIncident

if TYPE_CHECKING:
    from workflows import RunFailure

# No 0/O, 1/I/L: a reference is read out over the telephone.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    return "INC-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def record_incident(
    session: Session,
    complaint_id: int,
    failure: RunFailure,
    *,
    source: IncidentSource,
    actor: User | None = None,
    now: datetime | None = None,
    definition_id: int | None = None,
    category_id: int | None = None,
) -> Incident:
    """Record (or count again) the failure of `complaint_id`'s process; flushes, the caller commits.

    `complaint_id` None: a lodging failed (nothing of it was kept); `definition_id` and `category_id`
    say which version and which kind of complaint, and a repeat of both counts up on one row."""
    now = now or utcnow()
    if complaint_id is None:
        whose = (Incident.complaint_id.is_(None), _same(Incident.definition_id, definition_id),
                 _same(Incident.category_id, category_id))
    else:
        whose = (Incident.complaint_id == complaint_id,)
    same = session.scalar(
        select(Incident)
        .where(
            *whose,
            Incident.status == IncidentStatus.OPEN,
            Incident.source == source,
            _same_element(failure.element_id),
            Incident.error_type == failure.error_type,
            Incident.error_message == failure.message,
        )
        .order_by(Incident.id)
        .limit(1)
        .with_for_update()
    )
    if same is not None:
        same.count += 1
        same.last_at = now
        same.actor_id = actor.id if actor else None
        session.flush()
        return same
    incident = Incident(
        reference=new_reference(),
        complaint_id=complaint_id,
        definition_id=definition_id if complaint_id is None else session.scalar(
            select(ProcessInstance.definition_id).where(ProcessInstance.complaint_id == complaint_id)
        ),
        category_id=category_id,
        element_id=failure.element_id,
        element_name=failure.element_name,
        source=source,
        error_type=failure.error_type,
        error_message=failure.message,
        actor_id=actor.id if actor else None,
        first_at=now,
        last_at=now,
        count=1,
        status=IncidentStatus.OPEN,
    )
    session.add(incident)
    session.flush()
    return incident


def record_failure(session: Session, failed: ProcessIncident, actor: User | None, *, now: datetime | None = None) -> Incident:
    """Record what a view or job caught, after it rolled the failed move back."""
    return record_incident(session, failed.complaint_id, failed.failure, source=failed.source, actor=actor, now=now,
                           definition_id=failed.definition_id, category_id=failed.category_id)


def record_timer_failure(session: Session, instance_id: int, failure: RunFailure, *, now: datetime) -> Incident | None:
    """The timer sweep's failure point: the instance's timers failed and were rolled back."""
    complaint_id = session.scalar(select(ProcessInstance.complaint_id).where(ProcessInstance.id == instance_id))
    if complaint_id is None:
        return None
    return record_incident(session, complaint_id, failure, source=IncidentSource.TIMER, now=now)


# session.info key: the (complaint id, source) whose open incidents a caller counted as none (see `none_open`).
NONE_OPEN = "incidents.none_open"


def open_of(complaint_id, source: IncidentSource):
    """Whether the complaint (an id, or a column to correlate with) has an open incident of `source`: an
    EXISTS to read with the complaint (see `none_open`)."""
    return exists().where(Incident.complaint_id == complaint_id, Incident.status == IncidentStatus.OPEN,
                          Incident.source == source)


@contextmanager
def none_open(session: Session, complaint_id: int, source: IncidentSource, known: bool):
    """While the block runs, `resolve_incidents` of this complaint and source sends nothing, when `known`:
    the caller read (`open_of`, after locking the complaint's instance) that it has no open incident of it.

    Every completed step resolved its complaint's task incidents, nearly always none: a round trip for
    nothing. An incident is recorded after its failed attempt rolled back (and released the lock), so one
    recorded between that read and the step's end stays open until the complaint's next step (the UPDATE
    read once missed one recorded just after it alike)."""
    if not known:
        yield
        return
    session.info.setdefault(NONE_OPEN, set()).add((complaint_id, source))
    try:
        yield
    finally:
        pairs = session.info.get(NONE_OPEN)
        if pairs is not None:
            pairs.discard((complaint_id, source))
            if not pairs:
                session.info.pop(NONE_OPEN, None)


def resolve_incidents(
    session: Session,
    complaint_id: int,
    source: IncidentSource | None,
    *,
    how: str,
    actor: User | None = None,
    now: datetime | None = None,
) -> None:
    """Mark the complaint's open incidents (of `source`, or all) resolved."""
    if (complaint_id, source) in session.info.get(NONE_OPEN, ()):
        return
    query = update(Incident).where(Incident.complaint_id == complaint_id, Incident.status == IncidentStatus.OPEN)
    if source is not None:
        query = query.where(Incident.source == source)
    session.execute(
        query.values(
            status=IncidentStatus.RESOLVED, resolved_at=now or utcnow(), resolution=how,
            resolved_by_id=actor.id if actor else None,
        ).execution_options(synchronize_session="fetch")
    )


def _same_element(element_id: str | None):
    return _same(Incident.element_id, element_id)


def _same(column, value):
    return column.is_(None) if value is None else column == value
