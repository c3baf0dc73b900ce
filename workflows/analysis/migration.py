"""Move a running instance onto another version of its diagram.

An instance may move only when nothing it is doing now gets lost: every open
task and every waiting event still exists in the target version (same id, or
the id an analyst's `mapping` gives it; same kind) and every waiting timer is
still a timer there, so the person working a task keeps the very same task (its
guid, hence its inbox row) and a timer keeps its due moment instead of
restarting, or, with `retime`, has it recounted under the target's value
(`retiming`). SpiffWorkflow's diff utilities align the two versions by element
id (a saved task names its spec, and a spec is named after its element); the
mapping overrides that alignment for renamed elements and their helper specs.
The move itself is `migrate_workflow`, which resets the open branches against
the new spec. A reset clears a timer's internal data, so the due moments are
put back afterwards.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.task import TaskState

from .. import notes
from ..decisions import default_outputs
from ..diagram import Diagram, UserTaskInfo
from ..notes import Note
# The serializer's registry converts specs to comparable dicts for the diff;
# it must be the engine's own, configured for the spiff spec classes.
from ..engine import _SERIALIZER, _expanded, restore_process, save_state
from ..calendar import WorkingCalendar, counts_working_days
from ..timers import COUNTED_KEY, TIMER_KEY
from .inspect import find_task, timer_of
from .mapping import spec_name_in_target
from .retiming import TimerChange, TimerNotRecounted, target_specs, timer_changes

OPEN = TaskState.READY | TaskState.WAITING


class MigrationRefused(Exception):
    """The instance cannot move to the target version; `reasons` (Notes, worded by app/) name the elements."""

    def __init__(self, reasons: list[Note]):
        self.reasons = reasons
        super().__init__("; ".join(str(reason) for reason in reasons))


@dataclass(frozen=True)
class MigrationCheck:
    possible: bool
    reasons: list[Note]


def check_migration(
    source: Diagram, target: Diagram, state: dict, *, cache: dict | None = None, mapping: dict[str, str] | None = None
) -> MigrationCheck:
    """Whether the instance saved as `state` (on `source`) can move to `target`, and why not.

    The answer is a trial move. Instances with the same shape (which elements
    they passed, which are open, what hangs below what) get the same answer, so
    a preview over many instances passes a `cache` (one per source/target
    pair and mapping) and tries each shape once. Recounting timers changes
    moments, never the answer, so the trial keeps them.
    """
    key = _shape(state) if cache is not None else None
    if key is not None and key in cache:
        return cache[key]
    try:
        migrate_state(source, target, state, mapping=mapping)
        check = MigrationCheck(True, [])
    except MigrationRefused as refused:
        check = MigrationCheck(False, refused.reasons)
    if key is not None:
        cache[key] = check
    return check


def open_elements(state: dict) -> list[str]:
    """The elements whose tasks are open or waiting in the saved `state` (top-level process), read from
    the JSON without restoring it; [] when it cannot be read (the check says so)."""
    try:
        tasks = _expanded(state)["tasks"].values()
        return list(dict.fromkeys(task["task_spec"] for task in tasks if task["state"] & OPEN))
    except (KeyError, TypeError, AttributeError):
        return []


def user_tasks_in_target(state: dict, target: Diagram, mapping: dict[str, str] | None = None) -> list[UserTaskInfo]:
    """The target's user tasks (formKey, name) that the open user tasks of the saved `state` become, read
    from the JSON (top-level process): what a person will fill in once the instance has moved."""
    mapping = mapping or {}
    found = (target.user_tasks.get(spec_name_in_target(element, mapping)) for element in open_elements(state))
    return [info for info in found if info is not None]


def _shape(state: dict):
    """(element, task state, parent's element) of every task, read from the saved JSON; None if unreadable."""
    try:
        state = _expanded(state)
        tasks = state["tasks"]
        own = tuple(
            sorted(
                (task["task_spec"], task["state"], tasks[task["parent"]]["task_spec"] if task["parent"] else "")
                for task in tasks.values()
            )
        )
        nested = tuple(sorted(_shape(sub) for sub in state.get("subprocesses", {}).values()))
    except (KeyError, TypeError, AttributeError):
        return None
    if None in nested:
        return None
    return state.get("serializer_version"), own, nested


def migrate_state(
    source: Diagram,
    target: Diagram,
    state: dict,
    *,
    mapping: dict[str, str] | None = None,
    retime: bool = False,
    calendar: WorkingCalendar | None = None,
) -> dict:
    """The instance's state moved onto `target` (spec stripped, as save_state gives it).

    `mapping`: old element id -> new id, for elements the target renamed.
    `retime`: recount waiting timers under the target's values (else they keep their moments);
    `calendar`: the province's working days, for timers that count them.
    Raises MigrationRefused when it cannot move; `state` itself is never changed.
    """
    workflow = _restored(source, state)
    mapping = mapping or {}
    _with_decision_defaults(workflow, target)
    reasons = open_element_reasons(workflow, target, mapping)
    if reasons:
        raise MigrationRefused(reasons)
    return _migrate(workflow, target, mapping, _recounted(workflow, target, mapping, calendar) if retime else [])


def retimed_timers(
    source: Diagram,
    target: Diagram,
    state: dict,
    *,
    mapping: dict[str, str] | None = None,
    calendar: WorkingCalendar | None = None,
) -> list[TimerChange]:
    """The waiting timers of the instance saved as `state`, each due moment before and after recounting
    under `target` (raises MigrationRefused if the state cannot be read or a value does not evaluate)."""
    workflow = _restored(source, state)
    _with_decision_defaults(workflow, target)  # as the move itself does
    return _recounted(workflow, target, mapping or {}, calendar)


def _restored(source: Diagram, state: dict):
    try:
        workflow = restore_process(source, deepcopy(state))
        if not isinstance(workflow, BpmnWorkflow):  # the serializer passes unknown shapes through
            raise TypeError("it is not a saved process")
    except Exception as exc:
        raise MigrationRefused([Note("state_unreadable", {"detail": f"{type(exc).__name__}: {exc}"})]) from None
    return workflow


def _recounted(workflow, target: Diagram, mapping: dict[str, str], calendar) -> list[TimerChange]:
    try:
        return timer_changes(workflow, target, mapping, calendar)
    except TimerNotRecounted as failed:
        what = _waiting_timer(failed.element)
        raise MigrationRefused([Note("timer_not_recounted", {"element": what, "detail": failed.detail})]) from None


def open_element_reasons(workflow, target: Diagram, mapping: dict[str, str] | None = None) -> list[Note]:
    """Why the open tasks and waiting events of `workflow` have no place in `target`."""
    mapping = mapping or {}
    reasons = []
    for task in workflow.get_tasks(state=OPEN):
        spec = task.task_spec
        counterpart = _target_specs(task, target).get(spec_name_in_target(spec.name, mapping))
        what = _describe(task)
        if counterpart is None:
            reasons.append(Note("missing_in_target", {"element": what}))
            continue
        if type(counterpart) is not type(spec):
            reasons.append(Note("kind_changed", {"element": what, "kind": _kind(spec), "target_kind": _kind(counterpart)}))
            continue
        if task.state == TaskState.WAITING:
            reasons.extend(_timer_reasons(task, counterpart, mapping))
    return reasons


def _timer_reasons(task, counterpart, mapping: dict[str, str]) -> list[Note]:
    found = timer_of(task.task_spec)
    if found is None:
        return []
    element, definition = found
    what = _waiting_timer(element)
    mapped = timer_of(counterpart)
    if mapped is None or mapped[0].bpmn_id != mapping.get(element.bpmn_id, element.bpmn_id):
        return [Note("timer_missing_in_target", {"element": what})]
    # A cycle keeps its due moment in another shape than a duration or a date.
    if isinstance(definition, CycleTimerEventDefinition) != isinstance(mapped[1], CycleTimerEventDefinition):
        return [Note("kind_changed", {"element": what, "kind": _timer_kind(definition), "target_kind": _timer_kind(mapped[1])})]
    return []


def _migrate(workflow, target: Diagram, mapping: dict[str, str], retimed: list[TimerChange]) -> dict:
    # What must survive the move, with the words to name it if it does not.
    ready = {t.id: _describe(t) for t in workflow.get_tasks(state=TaskState.READY)}
    waiting = {t.id: _describe(t) for t in workflow.get_tasks(state=TaskState.WAITING)}
    timers = {
        t.id: deepcopy(t.internal_data) for t in workflow.get_tasks(state=TaskState.WAITING) if timer_of(t.task_spec)
    }

    top_diff, subprocess_diffs = diff_workflow(
        _SERIALIZER.registry, workflow, target.spec, dict(target.subprocess_specs)
    )
    reasons = []
    for sp_id, sp_diff in subprocess_diffs.items():
        if sp_diff is None:
            name = workflow.subprocesses[sp_id].spec.name
            reasons.append(Note("subprocess_missing_in_target", {"name": name}))
    if reasons:
        raise MigrationRefused(reasons)
    _align_renamed(top_diff, workflow, target.spec.task_specs, mapping)
    try:
        _move_branches(workflow, target, top_diff, subprocess_diffs)
    except Exception as exc:  # a reset runs the target's elements (a timer's value over this instance's data)
        raise MigrationRefused([Note("engine_error", {"detail": f"{type(exc).__name__}: {exc}"})]) from None

    # The reset restarted each timer from now: give each back its due moment.
    for task_id, internal_data in timers.items():
        task = find_task(workflow, task_id)
        if task is not None and task.state == TaskState.WAITING:
            task.internal_data = internal_data
    for change in retimed:
        task = find_task(workflow, UUID(change.task_id))
        if task is not None and task.state == TaskState.WAITING:
            task.internal_data[TIMER_KEY] = change.internal_data[TIMER_KEY]
            task.internal_data.pop(COUNTED_KEY, None)
            if change.internal_data[COUNTED_KEY]:
                task.internal_data[COUNTED_KEY] = True
    recounted = {UUID(change.task_id) for change in retimed}
    _keep_as_counted(workflow, [task_id for task_id in timers if task_id not in recounted])
    for expected, state, code in ((ready, TaskState.READY, "would_not_stay_open"),
                                  (waiting, TaskState.WAITING, "would_not_keep_waiting")):
        for task_id, what in expected.items():
            task = find_task(workflow, task_id)
            if task is None or task.state != state:
                reasons.append(Note(code, {"element": what}))
    reasons.extend(_history_reasons(workflow, target))
    if reasons:
        raise MigrationRefused(reasons)

    state = save_state(workflow)
    try:
        restore_process(target, deepcopy(state))
    except Exception as exc:  # the last word: the moved state must load on the target
        raise MigrationRefused([Note("moved_state_unloadable", {"detail": f"{type(exc).__name__}: {exc}"})]) from None
    return state


def _history_reasons(workflow, target: Diagram) -> list[Note]:
    """Tasks (done or predicted) whose element the target lacks: their state would not load."""
    missing = {}
    for task in workflow.get_tasks():
        specs = _target_specs(task, target)
        if specs.get(task.task_spec.name) is not task.task_spec:
            label = task.task_spec.bpmn_id or task.task_spec.name
            missing.setdefault(label, task)
    return [Note("history_lost", {"element": _describe(task)}) for task in missing.values()]


def _move_branches(workflow, target: Diagram, top_diff, subprocess_diffs) -> None:
    # Only READY tasks are reset by the library here: resetting a waiting task
    # drops its whole branch, which for a cycle timer that already fired holds
    # live work (the review it opened). Waiting tasks are reset below only when
    # nothing but predictions hangs below them.
    migrate_workflow(top_diff, workflow, target.spec, reset_mask=TaskState.READY)
    for sp_id, sp_diff in subprocess_diffs.items():
        subprocess = workflow.subprocesses[sp_id]
        migrate_workflow(sp_diff, subprocess, target.subprocess_specs[subprocess.spec.name], reset_mask=TaskState.READY)
    workflow.subprocess_specs = dict(target.subprocess_specs)
    for task in list(workflow.get_tasks(state=TaskState.WAITING)):
        if all(child.state & TaskState.PREDICTED_MASK for child in list(task)[1:]):
            task.reset_branch(None)


def _keep_as_counted(workflow, kept: list) -> None:
    """A kept moment stays put also where the target counts working days: the engine counts a timer
    it has not counted yet when the process next moves, which would re-date it."""
    for task_id in kept:
        task = find_task(workflow, task_id)
        found = timer_of(task.task_spec) if task is not None and task.state == TaskState.WAITING else None
        if found is not None and counts_working_days(found[0]):
            task.internal_data[COUNTED_KEY] = True


def _align_renamed(diff, workflow, target_specs: dict, mapping: dict[str, str]) -> None:
    """Point each task of a renamed element (and of its helper specs) at the target's spec of the new id.

    The library aligns by id, or by structure when it can; the analyst's mapping has the last word.
    """
    if not mapping:
        return
    for task in workflow.get_tasks(skip_subprocesses=True):
        new_name = spec_name_in_target(task.task_spec.name, mapping)
        if new_name != task.task_spec.name and new_name in target_specs:
            diff.alignment[task] = target_specs[new_name]


_target_specs = target_specs


def _describe(task) -> Note:
    spec = task.task_spec
    if isinstance(spec, UserTask) and task.state == TaskState.READY:
        what = "openTask"
    elif task.state == TaskState.WAITING and timer_of(spec) is not None:
        return _waiting_timer(timer_of(spec)[0])
    elif task.state == TaskState.WAITING:
        what = "waitingEvent"
    else:
        what = _kind(spec)
    return notes.element(what, spec.bpmn_id or spec.name, spec.bpmn_name)


def _waiting_timer(element) -> Note:
    return notes.element("waitingTimer", element.bpmn_id, element.bpmn_name or element.bpmn_id)


def _kind(spec) -> Note | str:
    """'user task', 'boundary event'...: the kind of the engine's spec, in words where the notes have them."""
    name = type(spec).__name__
    known = name[0].lower() + name[1:]  # UserTask -> userTask, as the BPMN element is called
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()
    return notes.kind(known) if notes.kind(known) != known else words


def _timer_kind(definition) -> Note:
    return notes.kind("cycleTimer" if isinstance(definition, CycleTimerEventDefinition) else "durationOrDateTimer")


def _with_decision_defaults(workflow, target: Diagram) -> None:
    """A complaint started before the target's decision tables never ran them: its tasks get the values
    of each table's row for every complaint (what a complaint no other row names gets), so that the
    target's timers reading them (e.g. f"P{commissioner_days}D") can be evaluated. Values a task already
    has stay."""
    defaults = default_outputs(target.decisions)
    if not defaults:
        return
    for task in workflow.get_tasks():
        for name, value in defaults.items():
            task.data.setdefault(name, value)
