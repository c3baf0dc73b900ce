"""The incidents page's use cases: what failed where, and what an analyst does about it.

Incidents are grouped by diagram version and element, since one broken
condition fails every complaint that reaches it. An analyst can:
- retry a timer incident: its due timers (already due by the engine's clock:
  they failed when they fired) are fired at once, in a SAVEPOINT, so a failure
  again changes nothing but the incident's count;
- retry every open timer incident of a group (after deploying a fix and
  moving the complaints to it);
- mark an incident resolved (a task completion cannot be replayed without
  the person's input: it resolves itself when the person's next try succeeds,
  or the analyst marks it; a failed lodging has no complaint and is only
  ever marked);
- move the group's complaints to a corrected version: the migration page and
  service (`migration.migrate_complaints`), which the incidents page posts to.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from ...models import (
    Category,
    Complaint,
    Incident,
    IncidentSource,
    IncidentStatus,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    User,
    utcnow,
)
from ..casework import incidents, processes
from ..errors import Invalid, NotFound
from .access import require_analyst

# The page shows at most this many incidents per status, newest first (repeats count on one row).
PAGE_LIMIT = 500
RETRYABLE = (IncidentSource.TIMER,)


@dataclass
class IncidentGroup:
    definition: ProcessDefinition | None
    element_id: str | None
    element_name: str | None
    incidents: list[Incident] = field(default_factory=list)
    targets: list[ProcessDefinition] = field(default_factory=list)  # versions its complaints could move to

    @property
    def retryable(self) -> list[Incident]:
        return [i for i in self.incidents if i.status is IncidentStatus.OPEN and i.source in RETRYABLE]

    @property
    def complaint_ids(self) -> list[int]:
        # A failed lodging has no complaint to move.
        return list(dict.fromkeys(i.complaint_id for i in self.incidents if i.complaint_id is not None))


@dataclass
class RetryOutcome:
    fired: int = 0
    failed: int = 0
    not_due: int = 0


def incident_groups(session: Session, actor: User, *, status: IncidentStatus) -> list[IncidentGroup]:
    """The newest incidents of `status`, grouped by version and element (groups with the newest first)."""
    require_analyst(actor)
    rows = session.scalars(
        select(Incident)
        .where(Incident.status == status)
        .options(joinedload(Incident.complaint).load_only(Complaint.id, Complaint.tracking_number),
                 joinedload(Incident.category).joinedload(Category.department),
                 joinedload(Incident.definition), joinedload(Incident.actor), joinedload(Incident.resolved_by))
        .order_by(Incident.last_at.desc(), Incident.id.desc())
        .limit(PAGE_LIMIT)
    )
    groups: dict[tuple, IncidentGroup] = {}
    for incident in rows:
        key = (incident.definition_id, incident.element_id)
        group = groups.get(key)
        if group is None:
            group = groups[key] = IncidentGroup(incident.definition, incident.element_id, incident.element_name)
        group.incidents.append(incident)
    for group in groups.values():
        group.targets = other_versions(session, group)
    return list(groups.values())


def other_versions(session: Session, group: IncidentGroup) -> list[ProcessDefinition]:
    """The versions a group's complaints could move to (same process, another version)."""
    if group.definition is None:
        return []
    return list(session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.process_id == group.definition.process_id, ProcessDefinition.id != group.definition.id)
        .order_by(ProcessDefinition.version.desc())
    ))


def retry_incident(session: Session, actor: User, incident_id: int, *, now: datetime | None = None) -> RetryOutcome:
    """Fire the incident's timer now; on success it is resolved, on failure it counts once more."""
    require_analyst(actor)
    incident = _open_incident(session, incident_id)
    if incident.source not in RETRYABLE:
        raise Invalid(_not_replayable())
    return _retry(session, actor, incident, now or utcnow())


def retry_group(
    session: Session, actor: User, definition_id: int | None, element_id: str | None, *, now: datetime | None = None
) -> RetryOutcome:
    """Retry every open timer incident of one version and element."""
    require_analyst(actor)
    now = now or utcnow()
    query = select(Incident).where(
        Incident.status == IncidentStatus.OPEN,
        Incident.source.in_(RETRYABLE),
        Incident.definition_id.is_(None) if definition_id is None else Incident.definition_id == definition_id,
        Incident.element_id.is_(None) if element_id is None else Incident.element_id == element_id,
    )
    total = RetryOutcome()
    for incident in list(session.scalars(query.order_by(Incident.id))):
        outcome = _retry(session, actor, incident, now)
        total.fired += outcome.fired
        total.failed += outcome.failed
        total.not_due += outcome.not_due
    return total


def resolve_incident(session: Session, actor: User, incident_id: int, *, now: datetime | None = None) -> Incident:
    """The analyst says it is dealt with (a fix deployed, the person told to try again)."""
    require_analyst(actor)
    incident = _open_incident(session, incident_id)
    incident.status, incident.resolution = IncidentStatus.RESOLVED, "marked"
    incident.resolved_at, incident.resolved_by_id = now or utcnow(), actor.id
    session.flush()
    return incident


def _retry(session: Session, actor: User, incident: Incident, now: datetime) -> RetryOutcome:
    instance_id = session.scalar(
        select(ProcessInstance.id).where(ProcessInstance.complaint_id == incident.complaint_id,
                                         ProcessInstance.status == InstanceStatus.RUNNING)
    )
    if instance_id is None:  # the process ended meanwhile (closed by a person): nothing left to fire
        _mark(session, actor, incident, now, how="retried")
        return RetryOutcome(fired=1)
    try:
        with session.begin_nested():
            if not _fire_now(session, instance_id, now):
                raise _NothingDue()
    except _NothingDue:
        return RetryOutcome(not_due=1)  # nothing was due by the engine's clock: nothing changed
    except Exception as error:  # the savepoint undid the try: the back-off and state are as they were
        incidents.record_incident(session, incident.complaint_id, processes.failure_of(error),
                                  source=incident.source, actor=actor, now=now)
        return RetryOutcome(failed=1)
    session.refresh(incident)
    _mark(session, actor, incident, now, how="retried")
    return RetryOutcome(fired=1)


def _fire_now(session: Session, instance_id: int, now: datetime) -> bool:
    """Fire the instance's due timers, deadlines and reminders alike (a reminder's failure is an incident too)."""
    instance = session.scalar(
        select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
    )
    move = processes.begin(session, instance)
    fired = move.fire_timers()
    if not (fired.deadline or fired.notice):
        return False
    instance.timer_failures, instance.timer_error = 0, None
    move.save(instance.complaint, actor=None, now=now)
    return True


class _NothingDue(Exception):
    """The engine found no timer due (someone else fired it): undo making it due."""


def _mark(session, actor, incident, now, *, how) -> None:
    session.execute(update(Incident).where(Incident.id == incident.id).values(
        status=IncidentStatus.RESOLVED, resolution=how, resolved_at=now, resolved_by_id=actor.id,
    ).execution_options(synchronize_session="fetch"))


def _open_incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id}")
    if incident.status is not IncidentStatus.OPEN:
        raise Invalid(_already_resolved())
    return incident


def _not_replayable():
    return _l("A task completion cannot be replayed without the person's input: it is resolved when their next "
              "try succeeds, or mark it resolved.")


def _already_resolved():
    return _l("This incident is already resolved.")
