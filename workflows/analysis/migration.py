"""Move a running instance onto another version of its diagram.

An instance may move only when nothing it is doing now gets lost: every open
task and every waiting event still exists in the target version (same id, same
kind) and every waiting timer is still a timer there, so the person working a
task keeps the very same task (its guid, hence its inbox row) and a timer keeps
its due moment instead of restarting. SpiffWorkflow's diff utilities align the
two versions by element id; the move itself is `migrate_workflow`, which resets
the open branches against the new spec. A reset clears a timer's internal data,
so the due moments are put back afterwards.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.task import TaskState

from ..diagram import Diagram
# The serializer's registry converts specs to comparable dicts for the diff;
# it must be the engine's own, configured for the spiff spec classes.
from ..engine import _SERIALIZER, restore_process, save_state
from .inspect import find_task, timer_of

OPEN = TaskState.READY | TaskState.WAITING


class MigrationRefused(Exception):
    """The instance cannot move to the target version; `reasons` name the elements."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("; ".join(reasons))


@dataclass(frozen=True)
class MigrationCheck:
    possible: bool
    reasons: list[str]


def check_migration(source: Diagram, target: Diagram, state: dict, *, cache: dict | None = None) -> MigrationCheck:
    """Whether the instance saved as `state` (on `source`) can move to `target`, and why not.

    The answer is a trial move. Instances with the same shape (which elements
    they passed, which are open, what hangs below what) get the same answer, so
    a preview over many instances passes a `cache` (one per source/target
    pair) and tries each shape once.
    """
    key = _shape(state) if cache is not None else None
    if key is not None and key in cache:
        return cache[key]
    try:
        migrate_state(source, target, state)
        check = MigrationCheck(True, [])
    except MigrationRefused as refused:
        check = MigrationCheck(False, refused.reasons)
    if key is not None:
        cache[key] = check
    return check


def _shape(state: dict):
    """(element, task state, parent's element) of every task, read from the saved JSON; None if unreadable."""
    try:
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


def migrate_state(source: Diagram, target: Diagram, state: dict) -> dict:
    """The instance's state moved onto `target` (spec stripped, as save_state gives it).

    Raises MigrationRefused when it cannot move; `state` itself is never changed.
    """
    try:
        workflow = restore_process(source, deepcopy(state))
        if not isinstance(workflow, BpmnWorkflow):  # the serializer passes unknown shapes through
            raise TypeError("it is not a saved process")
    except Exception as exc:
        raise MigrationRefused([f"the saved state cannot be read ({type(exc).__name__}: {exc})"]) from None
    reasons = open_element_reasons(workflow, target)
    if reasons:
        raise MigrationRefused(reasons)
    return _migrate(workflow, target)


def open_element_reasons(workflow, target: Diagram) -> list[str]:
    """Why the open tasks and waiting events of `workflow` have no place in `target`."""
    reasons = []
    for task in workflow.get_tasks(state=OPEN):
        spec = task.task_spec
        counterpart = _target_specs(task, target).get(spec.name)
        what = _describe(task)
        if counterpart is None:
            reasons.append(f"{what} does not exist in the target version")
            continue
        if type(counterpart) is not type(spec):
            reasons.append(
                f"{what} is a {_kind(spec)} here but a {_kind(counterpart)} in the target version"
            )
            continue
        if task.state == TaskState.WAITING:
            reasons.extend(_timer_reasons(task, counterpart))
    return reasons


def _timer_reasons(task, counterpart) -> list[str]:
    found = timer_of(task.task_spec)
    if found is None:
        return []
    element, definition = found
    what = f"waiting timer {element.bpmn_id!r} ({element.bpmn_name or element.bpmn_id})"
    mapped = timer_of(counterpart)
    if mapped is None or mapped[0].bpmn_id != element.bpmn_id:
        return [f"{what} has no timer in the target version"]
    # A cycle keeps its due moment in another shape than a duration or a date.
    if isinstance(definition, CycleTimerEventDefinition) != isinstance(mapped[1], CycleTimerEventDefinition):
        return [f"{what} is a {_timer_kind(definition)} here but a {_timer_kind(mapped[1])} in the target version"]
    return []


def _migrate(workflow, target: Diagram) -> dict:
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
            reasons.append(f"subprocess {name!r} does not exist in the target version")
    if reasons:
        raise MigrationRefused(reasons)
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

    # The reset restarted each timer from now: give each back its due moment.
    for task_id, internal_data in timers.items():
        task = find_task(workflow, task_id)
        if task is not None and task.state == TaskState.WAITING:
            task.internal_data = internal_data
    for expected, state, verb in ((ready, TaskState.READY, "stay open"), (waiting, TaskState.WAITING, "keep waiting")):
        for task_id, what in expected.items():
            task = find_task(workflow, task_id)
            if task is None or task.state != state:
                reasons.append(f"{what} would not {verb} in the target version")
    reasons.extend(_history_reasons(workflow, target))
    if reasons:
        raise MigrationRefused(reasons)

    state = save_state(workflow)
    try:
        restore_process(target, deepcopy(state))
    except Exception as exc:  # the last word: the moved state must load on the target
        raise MigrationRefused([f"the moved state does not load on the target ({type(exc).__name__}: {exc})"]) from None
    return state


def _history_reasons(workflow, target: Diagram) -> list[str]:
    """Tasks (done or predicted) whose element the target lacks: their state would not load."""
    missing = {}
    for task in workflow.get_tasks():
        specs = _target_specs(task, target)
        if specs.get(task.task_spec.name) is not task.task_spec:
            label = task.task_spec.bpmn_id or task.task_spec.name
            missing.setdefault(label, task)
    return [
        f"{_describe(task)} was reached earlier but does not exist in the target version, "
        "so the history could not be kept"
        for task in missing.values()
    ]


def _target_specs(task, target: Diagram) -> dict:
    """The task specs of the target process (or subprocess) that `task` belongs to."""
    if task.workflow is task.workflow.top_workflow:
        return target.spec.task_specs
    spec = target.subprocess_specs.get(task.workflow.spec.name)
    return spec.task_specs if spec is not None else {}


def _describe(task) -> str:
    spec = task.task_spec
    if isinstance(spec, UserTask) and task.state == TaskState.READY:
        what = "open task"
    elif task.state == TaskState.WAITING and timer_of(spec) is not None:
        element = timer_of(spec)[0]
        return f"waiting timer {element.bpmn_id!r} ({element.bpmn_name or element.bpmn_id})"
    elif task.state == TaskState.WAITING:
        what = "waiting event"
    else:
        what = _kind(spec)
    element_id = spec.bpmn_id or spec.name
    return f"{what} {element_id!r} ({spec.bpmn_name})" if spec.bpmn_name else f"{what} {element_id!r}"


def _kind(spec) -> str:
    """'user task', 'boundary event'...: the spec class name in words."""
    name = type(spec).__name__
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()
    return words


def _timer_kind(definition) -> str:
    return "cycle timer" if isinstance(definition, CycleTimerEventDefinition) else "duration or date timer"
