"""The one door to the engine: every move of a complaint's process passes through here.

A move restores the instance's process from its saved state (`begin`), does
what the caller asks through the move's verbs (complete a task, fire the due
timers, send a signal), and `save` reads the result once into a plain
`workflows.ProcessSnapshot` and hands that to the projection, which stores the
state and rewrites the complaint row, the inbox, the timeline and the
notifications, all in the caller's transaction. Starting a process and moving
it to another diagram version are single calls.

Nothing outside this module and `workflows/` holds a live process: callers see
ids, form data, outcomes and snapshots. The diagram version's parsed spec comes
from `deployments.diagram_for` (parsed once per process and version).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

import workflows
from workflows import ProcessSnapshot, RunFailure, TaskNotOpen
from workflows.analysis import migrate_state

from ...models import Complaint, HumanTask, IncidentSource, ProcessDefinition, ProcessInstance, User, utcnow
from .. import closures
from . import deployments, incidents
from .projection import sync_instance

__all__ = [
    "Move", "ProcessFailed", "ProcessSnapshot", "RunFailure", "TaskNotOpen", "TimersFired", "begin", "failure_of",
    "migrate", "migration_calendar", "start",
]


class ProcessFailed(Exception):
    """The engine failed inside the process (a condition, a script, a state it cannot read).

    `failure` says which element and what error, without personal data; the
    caller rolls back and records an incident (casework/incidents.py).
    """

    def __init__(self, failure: RunFailure, definition_id: int | None = None):
        super().__init__(f"{failure.element_id or 'process'}: {failure.error_type}: {failure.message}")
        self.failure = failure
        # Set by `start`: a process that failed at its start has no instance to name its version.
        self.definition_id = definition_id


def failure_of(error: BaseException) -> RunFailure:
    """The facts of any error met while moving a process, for an incident."""
    return error.failure if isinstance(error, ProcessFailed) else workflows.describe_failure(error)


@dataclass(frozen=True)
class TimersFired:
    """Which of the instance's recorded due times the engine moved on from."""

    deadline: bool  # `next_timer_due_at` (escalations, rating deadline, reviews)
    notice: bool  # `next_notice_at` (reminders)


class Move:
    """One move of one instance, from its saved state to `save`. Not reusable after `save`."""

    def __init__(self, session: Session, instance: ProcessInstance):
        self._session = session
        self.instance = instance
        # A saved move of this kind shows an earlier failure of the same kind is over (see `save`).
        self._recovers: IncidentSource | None = None
        self._had_timer_failures = bool(instance.timer_failures)
        diagram = deployments.diagram_for(session, instance.definition)
        self._calendar = calendar_for(session, diagram)
        self._snapshot: ProcessSnapshot | None = None
        with _failing_as_incident():
            self._workflow = workflows.restore_process(diagram, instance.state)

    def complete_task(self, task_guid: str, data: dict) -> None:
        """Raises workflows.TaskNotOpen when the task is no longer waiting for a person,
        ProcessFailed when the process fails on the way to its next wait."""
        with _failing_as_incident():
            workflows.complete_task(self._workflow, task_guid, data, self._calendar)
        self._recovers = IncidentSource.TASK

    def fire_timers(self) -> TimersFired:
        with _failing_as_incident():
            workflows.fire_timers(self._workflow, self._calendar)
        # Only a move after failed tries can end a timer incident: the sweep's thousands of others skip the update.
        self._recovers = IncidentSource.TIMER if self._had_timer_failures else None
        deadline, notice = workflows.next_due_times(self._workflow)
        return TimersFired(deadline=deadline != self.instance.next_timer_due_at,
                           notice=notice != self.instance.next_notice_at)

    def send_signal(self, name: str, payload: dict) -> int:
        """How many events of the process caught the signal (0: nothing moved)."""
        with _failing_as_incident():
            caught = workflows.send_signal(self._workflow, name, payload, self._calendar)
        self._recovers = IncidentSource.SIGNAL
        return caught

    def settle(self) -> None:
        """Read the moved process into what `save` stores, now: the engine's part of saving, nothing written.

        The timer sweep settles every move of a batch before it saves any, so an engine failure
        (even in reading the state) is met while nothing of the batch is written yet.
        """
        if self._snapshot is None:
            self._snapshot = workflows.snapshot(self._workflow)
            self._workflow = None  # settled: a second snapshot would take no notices

    def save(
        self,
        complaint: Complaint,
        *,
        actor: User | None = None,
        completed_task_id: str | None = None,
        now: datetime | None = None,
        open_rows: list[HumanTask] | None = None,
    ) -> list[HumanTask]:
        """Store the moved process and everything projected from it; returns the new inbox rows.

        `open_rows`: the instance's open inbox rows, when the caller read them under the instance's lock."""
        self.settle()
        snapshot, self._snapshot = self._snapshot, None  # a saved move is spent
        new_tasks = sync_instance(
            self._session, complaint, self.instance, snapshot, actor=actor, completed_task_id=completed_task_id, now=now,
            open_rows=open_rows,
        )
        if self._recovers is not None:
            incidents.resolve_incidents(self._session, complaint.id, self._recovers, how="succeeded", now=now)
        return new_tasks


@contextmanager
def _failing_as_incident(definition_id: int | None = None):
    try:
        yield
    except TaskNotOpen:
        raise
    except Exception as error:
        raise ProcessFailed(workflows.describe_failure(error), definition_id) from error


def begin(session: Session, instance: ProcessInstance) -> Move:
    """Restore `instance` for a move; the caller has locked its row."""
    return Move(session, instance)


def start(
    session: Session, complaint: Complaint, *, now: datetime | None = None, definition: ProcessDefinition | None = None,
) -> list[HumanTask]:
    """Start the default version of the complaint process for a new complaint; returns its inbox rows.
    ProcessFailed (with the version's id) when the process fails before its first wait.

    `definition`: that version, when the caller read it in this transaction (a lodging reads it with the
    category). The instance is not flushed on its own: it is written with its inbox rows by the projection's flush.
    """
    # Reads of the deployed version and the closures, which nothing pending changes: they need not flush it.
    with session.no_autoflush:
        definition = definition or deployments.default_definition(session)
        diagram = deployments.diagram_for(session, definition)
        calendar = calendar_for(session, diagram)
    # Scripts, business rule tasks and conditions run up to the first wait: a failure there is the
    # lodging's incident (the caller rolls the complaint back), not a bare error.
    with _failing_as_incident(definition.id):
        workflow = workflows.start_process(
            diagram,
            {
                "complaint_id": complaint.id,
                "district_id": complaint.district_id,
                "department_id": complaint.department_id,
                # Stable codes (never renumbered like ids) for the decision tables to match, e.g. "PHED".
                "department_code": complaint.department.code if complaint.department else None,
                "category_code": complaint.category.code if complaint.category else None,
                # Diagram scripts may read it before anyone is assigned.
                "officer_id": None,
            },
            calendar,
        )
        snapshot = workflows.snapshot(workflow)
    # Inserted with its state (not empty, then updated): the state is the largest value a lodging writes.
    instance = ProcessInstance(complaint_id=complaint.id, definition_id=definition.id, state=snapshot.state,
                               next_timer_due_at=snapshot.next_deadline, next_notice_at=snapshot.next_notice)
    session.add(instance)
    return sync_instance(session, complaint, instance, snapshot, now=now or utcnow(), started=True)


def calendar_for(session: Session, diagram: workflows.Diagram) -> workflows.WorkingCalendar | None:
    """The province's working days with its closures, for a diagram with timers that count them
    (None otherwise: the closures are not read for a diagram that does not need them)."""
    if not diagram.working_day_timers:
        return None
    return workflows.working_calendar(closures.closed_dates(session))


def migration_calendar(session: Session, source: workflows.Diagram, target: workflows.Diagram):
    """The calendar a move recounts timers on: working days either version counts (a source timer counted
    in working days tells its start on it, a target timer counts on it); None when neither counts them."""
    return calendar_for(session, target) or calendar_for(session, source)


def migrate(
    session: Session,
    complaint: Complaint,
    instance: ProcessInstance,
    target: ProcessDefinition,
    *,
    now: datetime,
    mapping: dict[str, str] | None = None,
    retime: bool = False,
) -> ProcessSnapshot:
    """Move a running instance onto another version of its diagram (raises workflows.analysis.MigrationRefused).

    `mapping`: old element id -> new, for renamed elements; `retime`: recount waiting timers under the target.
    """
    source_diagram = deployments.diagram_for(session, instance.definition)
    target_diagram = deployments.diagram_for(session, target)
    state = migrate_state(source_diagram, target_diagram, instance.state, mapping=mapping, retime=retime,
                          calendar=migration_calendar(session, source_diagram, target_diagram))
    snapshot = workflows.snapshot(workflows.restore_process(target_diagram, state))
    instance.definition = target
    sync_instance(session, complaint, instance, snapshot, now=now)
    return snapshot
