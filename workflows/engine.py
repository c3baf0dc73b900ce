"""Run complaint processes: start, restore, complete tasks, fire timers, save.

This is the only module that touches SpiffWorkflow's runtime objects. The rest
of the portal sees plain data: after a move, `snapshot` reads the process once
into a `ProcessSnapshot` (open tasks, deadlines, notices, closing, the state to
save), and that value is all the projection and the notifications receive.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition
from SpiffWorkflow.task import TaskState

from .calendar import WorkingCalendar
from .diagram import Diagram, user_task_info
from .state_names import name_states_once
from .state_reader import compact_restore
from .state_writer import compact_state, recognised
from .task_walk import PortalWorkflow, reached_tasks
from .timers import count_working_days, notice_of, timers_among

# Pinned so that a SpiffWorkflow upgrade never silently rewrites saved states;
# a state saved under another version goes through the library's migration.
SERIALIZER_VERSION = "1.5"
_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG), version=SERIALIZER_VERSION)
# The portal's workflows walk their task tree the short way (task_walk.PortalWorkflow); they are written under
# the library's own name and read back as themselves, so a saved state is the library's, byte for byte.
BpmnWorkflowConverter(PortalWorkflow, _SERIALIZER.registry, "BpmnWorkflow")
# Every change of a task's state names the state for a log line, wanted or not: looked up, not worked out.
name_states_once()


class TaskNotOpen(Exception):
    """The task is not waiting for a person (already completed, cancelled or unknown)."""


@dataclass(frozen=True)
class OpenTask:
    """A user task waiting for a person, as the inbox projection needs it."""

    id: str
    element_id: str
    name: str
    lane: str | None
    form_key: str | None
    assignee: object
    status: str | None
    escalation_level: int | None
    data: dict


@dataclass(frozen=True)
class ProcessSnapshot:
    """Everything the portal needs from a process after a move, read once.

    `notices` are the notices passed since the previous snapshot; `state` already
    records them as taken, so saving it means each notice is sent once.
    """

    state: dict
    open_tasks: tuple[OpenTask, ...]
    next_deadline: datetime | None
    next_notice: datetime | None
    notices: tuple[str, ...]
    finished: bool
    closure: str | None


def snapshot(workflow: BpmnWorkflow) -> ProcessSnapshot:
    reached = reached_tasks(workflow)  # one walk of the task tree for every question below
    notices = tuple(_take_notices(reached.completed))  # marks them taken: before the state is saved
    finished = is_finished(workflow)
    timers = timers_among(reached.waiting)
    return ProcessSnapshot(
        state=save_state(workflow),
        open_tasks=tuple(_open_tasks(reached.ready)),
        next_deadline=_earliest(timers, reminder=False),
        next_notice=_earliest(timers, reminder=True),
        notices=notices,
        finished=finished,
        closure=_closing_event(reached.completed) if finished else None,
    )


def start_process(diagram: Diagram, data: dict, calendar: WorkingCalendar | None = None) -> BpmnWorkflow:
    """`calendar`: the province's working days, for timers that count them (see workflows/calendar.py);
    the same for every verb that runs the process on. None: weekends and Pakistan's public holidays,
    without the province's own closures. Timers without the property count calendar days either way."""
    workflow = PortalWorkflow(diagram.spec, diagram.subprocess_specs)
    workflow.get_tasks(state=TaskState.READY)[0].data.update(data)
    _run_on(workflow, calendar)
    return workflow


def _run_on(workflow: BpmnWorkflow, calendar: WorkingCalendar | None) -> None:
    """Run the engine as far as it goes, then count the working-day timers it reached on `calendar`."""
    workflow.do_engine_steps()
    count_working_days(workflow, calendar)


# A saved state is compacted: a task leaves out what SpiffWorkflow writes the same for almost every task
# (its own id once more inside it, empty data and deltas, "Task", "not triggered"), and names its parent
# and children by their position in the task map instead of repeating their 36-character ids. The state
# is written at every move of every complaint; this halves it. `_expanded` undoes it before the library
# reads a state; a state saved before compaction (no COMPACT_KEY) is read as it is.
# A task with no data at all (most tasks not reached yet) has the delta `{}` instead of the library's list
# of every key its parent has (a fifth of a state at lodging): the library reads both the same way (an
# empty delta: the task's data is its own `data`, `{}`), so `_expanded` leaves it as it is, and a state
# written before this reads as before.
COMPACT_KEY = "compact_tasks"


def _task_defaults() -> dict:
    """New objects each time: the restored tasks own (and change) their data."""
    return {"typename": "Task", "triggered": False, "internal_data": {}, "data": {},
            "delta": {"updates": {}, "deletions": []}}


_TASK_DEFAULTS = _task_defaults()


def full_state(workflow: BpmnWorkflow) -> dict:
    """The instance's own state as SpiffWorkflow writes it, without the spec (stored once per version)."""
    state = _SERIALIZER.to_dict(workflow)
    del state["spec"], state["subprocess_specs"]
    state[_SERIALIZER.VERSION_KEY] = SERIALIZER_VERSION
    return state


def save_state(workflow: BpmnWorkflow) -> dict:
    """The state to store: `library_state`, written directly by workflows/state_writer.py (a quarter of the
    CPU) when it knows every part of the workflow, as it does for the portal's diagrams."""
    state = compact_state(workflow, _SERIALIZER.registry) if _DIRECT_WRITER else None
    if state is None:
        return library_state(workflow)
    state[_SERIALIZER.VERSION_KEY] = SERIALIZER_VERSION
    state[COMPACT_KEY] = True
    return state


# Off if the serializer was configured with converters of its own: the direct writer and reader copy the library's.
_DIRECT_WRITER = _DIRECT_READER = recognised(_SERIALIZER.registry)


def library_state(workflow: BpmnWorkflow) -> dict:
    """The state to store as the library writes it: `full_state`, compacted."""
    state = full_state(workflow)
    empty = {str(task.id) for task in _all_tasks(workflow) if task.parent is not None and not task.data}
    for container in _task_containers(state):
        container["tasks"] = _compacted(container["tasks"], empty)
    state[COMPACT_KEY] = True
    return state


def _all_tasks(workflow: BpmnWorkflow):
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def _compacted(tasks: dict, empty: set = frozenset()) -> dict:
    """`empty`: the ids of the tasks (not roots) whose data is empty."""
    position = {task_id: n for n, task_id in enumerate(tasks)}
    out = {}
    for task_id, task in tasks.items():
        task = {name: value for name, value in task.items()
                if name != "id" and not (name in _TASK_DEFAULTS and _TASK_DEFAULTS[name] == value)}
        if task.get("parent") is not None:
            task["parent"] = position[task["parent"]]
        task["children"] = [position[child] for child in task.get("children", ())]
        if task_id in empty and "delta" in task:  # no updates, every key of the parent deleted
            task["delta"] = {}
        out[task_id] = task
    return out


def _expanded(state: dict) -> dict:
    """`save_state`'s compaction undone, in new dicts (the caller's copy, e.g. a row's value, stays as it
    was saved), but for the empty deltas of tasks without data, which the library reads as they are. A
    state saved before compaction comes back as a shallow copy, as before."""
    state = dict(state)
    if not state.pop(COMPACT_KEY, False):
        return state
    state["tasks"] = _tasks_expanded(state["tasks"])
    if "subprocesses" in state:
        state["subprocesses"] = {key: {**sub, "tasks": _tasks_expanded(sub["tasks"])}
                                 for key, sub in state["subprocesses"].items()}
    return state


def _tasks_expanded(tasks: dict) -> dict:
    ids = list(tasks)
    out = {}
    for task_id, task in tasks.items():
        task = {"id": task_id, **_task_defaults(), **task}
        if task.get("parent") is not None:
            task["parent"] = ids[task["parent"]]
        task["children"] = [ids[child] for child in task["children"]]
        out[task_id] = task
    return out


def _task_containers(state: dict):
    yield state
    yield from state.get("subprocesses", {}).values()


def restore_process(diagram: Diagram, state: dict) -> BpmnWorkflow:
    if state.get(COMPACT_KEY) and state.get(_SERIALIZER.VERSION_KEY) == SERIALIZER_VERSION and _DIRECT_READER:
        # Read directly (workflows/state_reader.py), as the library would read it, in a third of the time.
        workflow = compact_restore(diagram, state, _SERIALIZER.registry)
        if workflow is not None:
            return workflow
    state = _expanded(state)
    if state.get(_SERIALIZER.VERSION_KEY) != SERIALIZER_VERSION:
        _SERIALIZER.migrate(state)
    else:
        state.pop(_SERIALIZER.VERSION_KEY)
    # The registry hands back objects that are not serialized dicts unchanged, so
    # the cached spec objects are shared instead of being rebuilt on every load.
    state["spec"] = diagram.spec
    state["subprocess_specs"] = dict(diagram.subprocess_specs)
    return _SERIALIZER.from_dict(state)


def open_tasks(workflow: BpmnWorkflow) -> list[OpenTask]:
    return _open_tasks(reached_tasks(workflow).ready)


def _open_tasks(ready) -> list[OpenTask]:
    tasks = []
    for task in ready:
        if not isinstance(task.task_spec, UserTask):
            continue
        info = user_task_info(task.task_spec)
        tasks.append(
            OpenTask(
                id=str(task.id),
                element_id=info.element_id,
                name=info.name,
                lane=info.lane,
                form_key=info.form_key,
                assignee=task.data.get(info.assignee_key) if info.assignee_key else None,
                status=info.status,
                escalation_level=info.escalation_level,
                data=dict(task.data),
            )
        )
    return tasks


def complete_task(workflow: BpmnWorkflow, task_id: str, data: dict, calendar: WorkingCalendar | None = None) -> None:
    task = workflow.get_task_from_id(UUID(task_id)) if _is_uuid(task_id) else None
    if task is None or task.state != TaskState.READY or not isinstance(task.task_spec, UserTask):
        raise TaskNotOpen(task_id)
    task.set_data(**data)
    task.run()
    _run_on(workflow, calendar)


def fire_timers(workflow: BpmnWorkflow, calendar: WorkingCalendar | None = None) -> None:
    """Fire every timer that is due now and run the process on from there."""
    workflow.refresh_timers()
    _run_on(workflow, calendar)


def send_signal(workflow: BpmnWorkflow, name: str, payload: dict, calendar: WorkingCalendar | None = None) -> int:
    """Deliver a BPMN signal from outside the process; returns how many events caught it."""
    caught = workflow.event_manager.catch(BpmnEvent(SignalEventDefinition(name), payload=payload), internal=False)
    _run_on(workflow, calendar)
    return caught


def next_timer_due(workflow: BpmnWorkflow) -> datetime | None:
    """The earliest deadline of this process (escalation, rating...), in UTC.

    Reminder timers (see `next_notice_due`) are not deadlines and are left out.
    """
    return next_due_times(workflow)[0]


def next_notice_due(workflow: BpmnWorkflow) -> datetime | None:
    """When the earliest reminder timer fires: a timer whose flow leads straight to a notice."""
    return next_due_times(workflow)[1]


def next_due_times(workflow: BpmnWorkflow) -> tuple[datetime | None, datetime | None]:
    """(`next_timer_due`, `next_notice_due`) from one walk of the task tree."""
    timers = timers_among(reached_tasks(workflow).waiting)
    return _earliest(timers, reminder=False), _earliest(timers, reminder=True)


def _earliest(timers, reminder: bool) -> datetime | None:
    return min((timer.due for timer in timers if bool(timer.reminder) is reminder), default=None)


def take_notices(workflow: BpmnWorkflow) -> list[str]:
    """The notices the process has passed since the last call, oldest first; each is returned once.

    A notice is an event carrying the property `notify` (e.g. "escalation_reminder"):
    the diagram says when people are to be told something, the portal says how.
    """
    return _take_notices(reached_tasks(workflow).completed)


def _take_notices(completed) -> list[str]:
    reached = [
        task
        for task in completed
        if notice_of(task.task_spec) and not task.internal_data.get(_NOTICE_TAKEN)
    ]
    for task in reached:
        task.internal_data[_NOTICE_TAKEN] = True
    return [notice_of(task.task_spec) for task in sorted(reached, key=lambda task: task.last_state_change)]


_NOTICE_TAKEN = "notice_taken"


def is_finished(workflow: BpmnWorkflow) -> bool:
    return workflow.is_completed()


def final_data(workflow: BpmnWorkflow) -> dict:
    """The data the process ended with (the last completed end event's)."""
    return dict(workflow.data)


def closing_event(workflow: BpmnWorkflow) -> str | None:
    """Name of the end event the process reached last: how the complaint closed.

    Side paths (the escalation clock, reviews) end before the casework does, so
    the last end event reached is the one that finished the complaint.
    """
    return _closing_event(reached_tasks(workflow).completed)


def _closing_event(completed) -> str | None:
    ends = [task for task in completed if isinstance(task.task_spec, EndEvent) and task.task_spec.bpmn_id]
    last = max(ends, key=lambda task: task.last_state_change, default=None)
    return (last.task_spec.bpmn_name or last.task_spec.bpmn_id) if last else None


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except (ValueError, TypeError):
        return False
    return True
