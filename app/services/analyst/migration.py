"""Moving running complaints from one version of their diagram to another.

A preview says, complaint by complaint, whether it can move and why not, and,
when the analyst asks for waiting timers to be recounted under the target
version, each deadline before and after. Elements the target renamed are
matched by a mapping the analyst confirms (`element_matches` suggests it).
Each move runs in its own SAVEPOINT: if anything fails half-way, that
complaint is left exactly as it was (version, state, inbox, timeline) and the
others still move. The caller commits once.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from workflows.analysis import (
    ElementMatch,
    MigrationRefused,
    TimerChange,
    check_migration,
    open_elements,
    retimed_timers,
    unmatched_elements,
    user_tasks_in_target,
)
from workflows.notes import element

from ...models import (
    Complaint,
    HumanTask,
    IncidentSource,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    Role,
    User,
    utcnow,
)
from ...task_forms import form_keys
from ..casework import deployments, events, incidents, processes
from .access import require_analyst
from ..errors import Invalid, NotFound
from ..casework.projection import LANE_SCOPE
from .wording import in_words

# Instances are read this many at a time, so a preview over a large version
# never holds every state in memory at once.
BATCH = 200


class MoveRefused(Exception):
    """This portal's reasons a complaint cannot move (lazy strings, shown in the analyst's language);
    the engine's own checks raise MigrationRefused."""

    def __init__(self, reasons: list):
        super().__init__(*reasons)
        self.reasons = reasons


@dataclass(frozen=True)
class MigrationCandidate:
    complaint_id: int
    tracking_number: str
    possible: bool
    reasons: list  # lazy strings, in the analyst's language when shown
    timer_changes: list[TimerChange] = field(default_factory=list)  # only when timers are recounted
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old id, new id) of its open elements mapped


@dataclass
class MigrationOutcome:
    moved: list[int] = field(default_factory=list)
    refused: dict[int, list] = field(default_factory=dict)  # complaint id -> lazy strings


def _definition(session: Session, definition_id: int) -> ProcessDefinition:
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise NotFound(f"no process version {definition_id}")
    return definition


def element_matches(session: Session, source_definition_id: int, target_definition_id: int) -> list[ElementMatch]:
    """The source version's elements the target lacks by id, each with the target's candidates and a suggestion."""
    source, target = _pair(session, source_definition_id, target_definition_id)
    return unmatched_elements(deployments.diagram_for(session, source), deployments.diagram_for(session, target))


def _pair(session: Session, source_definition_id: int, target_definition_id: int):
    source = _definition(session, source_definition_id)
    target = _definition(session, target_definition_id)
    if source.process_id != target.process_id:
        raise Invalid(_l("version %(version)s of %(target)s is not a version of %(source)s", version=target.version,
                         target=repr(target.process_id), source=repr(source.process_id)))
    return source, target


def _checked_mapping(session: Session, source, target, mapping: dict[str, str] | None) -> dict[str, str]:
    """The analyst's mapping with the elements left unmapped dropped; refused if it names what cannot be mapped."""
    mapping = {old: new for old, new in (mapping or {}).items() if new}
    if not mapping:
        return {}
    matches = {m.element_id: m for m in unmatched_elements(deployments.diagram_for(session, source),
                                                           deployments.diagram_for(session, target))}
    for old, new in mapping.items():
        match = matches.get(old)
        if match is None:
            raise Invalid(_l("element %(id)s is not an element of version %(version)s that the target lacks",
                             id=repr(old), version=source.version))
        if new not in {c.element_id for c in match.candidates}:
            raise Invalid(_l("element %(new)s is not an element of the target version of the same kind as %(old)s",
                             new=repr(new), old=repr(old)))
    if len(set(mapping.values())) < len(mapping):
        raise Invalid(_l("two elements are mapped to the same element of the target version; map each to its own"))
    return mapping


def preview_migration(
    session: Session,
    source_definition_id: int,
    target_definition_id: int,
    *,
    limit: int | None = None,
    mapping: dict[str, str] | None = None,
    retime: bool = False,
) -> list[MigrationCandidate]:
    """For each running complaint on the source version: can it move to the target, and if not why.

    `mapping` (old element id -> new) aligns renamed elements; with `retime` each candidate that
    can move lists its waiting timers' due moments before and after recounting.
    """
    source, target = _pair(session, source_definition_id, target_definition_id)
    mapping = _checked_mapping(session, source, target, mapping)
    source_diagram = deployments.diagram_for(session, source)
    target_diagram = deployments.diagram_for(session, target)
    query = (
        select(ProcessInstance.complaint_id, Complaint.tracking_number, ProcessInstance.state)
        .join(Complaint, Complaint.id == ProcessInstance.complaint_id)
        .where(ProcessInstance.definition_id == source.id, ProcessInstance.status == InstanceStatus.RUNNING)
        .order_by(ProcessInstance.complaint_id)
        .limit(limit)
        .execution_options(yield_per=BATCH)
    )
    calendar = processes.migration_calendar(session, source_diagram, target_diagram) if retime else None
    candidates, cache = [], {}
    for complaint_id, tracking_number, state in session.execute(query):
        check = check_migration(source_diagram, target_diagram, state, cache=cache, mapping=mapping)
        reasons, changes = check.reasons, []
        if check.possible and retime:
            try:
                changes = retimed_timers(source_diagram, target_diagram, state, mapping=mapping, calendar=calendar)
            except MigrationRefused as refused:
                reasons = refused.reasons
        if check.possible and not reasons:
            reasons = _forms_missing(session, target, target_diagram, state, mapping)
        possible = check.possible and not reasons
        renamed = [(old, mapping[old]) for old in open_elements(state) if old in mapping] if mapping else []
        candidates.append(MigrationCandidate(complaint_id, tracking_number, possible,
                                             [in_words(reason) for reason in reasons], changes, renamed))
    return candidates


def migrate_complaints(
    session: Session,
    actor: User,
    complaint_ids: list[int],
    target_definition_id: int,
    *,
    now: datetime | None = None,
    source_definition_id: int | None = None,
    mapping: dict[str, str] | None = None,
    retime: bool = False,
) -> MigrationOutcome:
    """Move each complaint to the target version, or say why not; a failed move changes nothing.

    A `mapping` of renamed elements is made for one source version: `source_definition_id` names it,
    and a complaint on another version is refused. `retime`: recount waiting timers under the target.
    """
    require_analyst(actor)
    now = now or utcnow()
    target = _definition(session, target_definition_id)
    mapping = {old: new for old, new in (mapping or {}).items() if new}
    if mapping:
        if source_definition_id is None:
            raise Invalid(_l("a mapping of renamed elements needs the version it was made for"))
        source, _ = _pair(session, source_definition_id, target_definition_id)
        mapping = _checked_mapping(session, source, target, mapping)
    outcome = MigrationOutcome()
    for complaint_id in dict.fromkeys(complaint_ids):
        try:
            with session.begin_nested():
                _move(session, actor, complaint_id, target, now, mapping=mapping, retime=retime,
                      mapped_from=source_definition_id if mapping else None)
        except (MigrationRefused, MoveRefused) as refused:
            outcome.refused[complaint_id] = [in_words(reason) for reason in refused.reasons]
        except StaleDataError:
            outcome.refused[complaint_id] = [_l("somebody moved this complaint on at the same moment; try again")]
        except Exception as exc:  # one broken complaint must not stop the batch; its savepoint undid it
            error = f"{type(exc).__name__}: {exc}"
            outcome.refused[complaint_id] = [_l("the move failed and was undone (%(error)s)", error=error)]
            if session.get(Complaint, complaint_id) is not None:
                incident = incidents.record_incident(session, complaint_id, processes.failure_of(exc),
                                                     source=IncidentSource.MIGRATION, actor=actor, now=now)
                outcome.refused[complaint_id].append(_l("recorded as incident %(reference)s",
                                                        reference=incident.reference))
        else:
            outcome.moved.append(complaint_id)
    return outcome


def _move(session, actor, complaint_id, target, now, *, mapping, retime, mapped_from) -> None:
    instance = session.scalar(
        select(ProcessInstance).where(ProcessInstance.complaint_id == complaint_id).with_for_update()
    )
    if instance is None:
        raise MoveRefused([_l("complaint %(id)s does not exist or has no process", id=complaint_id)])
    source = instance.definition
    if instance.status is InstanceStatus.FINISHED:
        raise MoveRefused([_l("the complaint is closed: its process has finished")])
    if source.id == target.id:
        raise MoveRefused([_l("it already runs on version %(version)s", version=target.version)])
    if source.process_id != target.process_id:
        raise MoveRefused([_l("it runs process %(source)s, not %(target)s", source=repr(source.process_id),
                                   target=repr(target.process_id))])
    if mapped_from is not None and source.id != mapped_from:
        raise MoveRefused([_l("it runs version %(version)s, not the version the mapping of renamed elements was "
                              "made for", version=source.version)])

    missing = _forms_missing(session, target, deployments.diagram_for(session, target), instance.state, mapping)
    if missing:
        raise MoveRefused(missing)
    complaint = session.get(Complaint, complaint_id)
    deadline_before = instance.next_timer_due_at
    snapshot = processes.migrate(session, complaint, instance, target, now=now, mapping=mapping, retime=retime)
    _refresh_open_rows(session, instance, snapshot)
    if deadline_before != instance.next_timer_due_at:
        _move_due_dates(session, instance, deadline_before)
    details = {"source": source.version, "target": target.version}
    if retime:
        details["retimed"] = True
    events.record(session, complaint, "migrated", details=details, actor=actor, now=now)
    session.flush()


def _forms_missing(session, target: ProcessDefinition, target_diagram, state: dict, mapping) -> list:
    """Why the instance cannot move: a task it waits on would name a form the target has not. The engine
    would move it, and the task's page would then have no form to show: nobody could finish the step."""
    registered, own = form_keys(), deployments.forms_of(session, target.id)
    return [
        _l("%(task)s waits for form %(form)s, which version %(version)s lacks: it was not deployed with that "
           "version and no registered form has that key", task=in_words(element("userTask", task.element_id, task.name)),
           form=repr(task.form_key), version=target.version)
        for task in user_tasks_in_target(state, target_diagram, mapping)
        if task.form_key and task.form_key not in registered and task.form_key not in own
    ]


def _move_due_dates(session, instance, deadline_before) -> None:
    """Open inbox rows dated by the deadline the move recounted take the new one (rows copy it when opened)."""
    rows = session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance.id, HumanTask.completed_at.is_(None), HumanTask.due_at == deadline_before
        )
    )
    for row in rows:
        row.due_at = instance.next_timer_due_at


def _refresh_open_rows(session, instance, snapshot) -> None:
    """Inbox rows keep their task guid; name, form and lane come from the new version."""
    by_guid = {task.id: task for task in snapshot.open_tasks}
    rows = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.completed_at.is_(None))
    )
    for row in rows:
        task = by_guid.get(row.task_guid)
        if task is None:
            continue
        role = Role(task.lane)
        row.element_id, row.name, row.form_key = task.element_id, task.name, task.form_key
        row.escalation_level = task.escalation_level
        if row.role is not role:
            row.role = role
            row.citizen_id = instance.complaint.citizen_id if role is Role.CITIZEN else None
        row.scope = "assignee" if row.assignee_id else LANE_SCOPE[role]
