"""Read a compact saved state back into a workflow directly, without SpiffWorkflow's generic converter walk.

The reverse of workflows/state_writer.py. `engine.restore_process` used to expand the compact state
(`engine._expanded`: every task's defaults put back, positions turned into ids again) and hand it to the
library's serializer, which dispatches every task and every value through its registry. Every move of
every complaint starts with a restore (a person's task, each escalation of the timer sweep), and that
walk was a sixth of the sweep's time. This module builds the same objects in one pass, step by step as
`BpmnWorkflowConverter.from_dict` and `TaskConverter.from_dict` (SpiffWorkflow 3.2, serializer 1.5) do:
the same tasks in the same order, with the same parents, children, states, data (a task's delta applied to
a deep merge of its parent's data), internal data, the waiting catch events registered with the event
manager, and the workflow's own attributes. Values are copied (the caller's state, e.g. a row's loaded
value, is never shared with the live workflow), and any value the registry converts (a dict with a
`typename`) is restored by the registry.

It reads only what `state_writer` writes: a compact state of the current serializer version, of a
`BpmnWorkflow` without subprocesses whose tasks are plain `Task`s. Anything else makes `compact_restore`
return None and the caller uses the library (an older state, one written by the library before
compaction, a diagram with call activities). tests/workflows/test_state_reader.py compares both on every
state the exploration reaches on the shipped diagram.
"""
from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.task import Task, TaskState
from SpiffWorkflow.util.deep_merge import DeepMerge

from .task_walk import PortalWorkflow

_PLAIN = frozenset({str, int, float, bool, type(None)})
# What a compact task leaves out (engine._task_defaults); the delta's default is truthy: the parent's data.
_NO_DELTA_GIVEN = {"updates": {}, "deletions": []}


def compact_restore(diagram, state: dict, registry) -> PortalWorkflow | None:
    """The workflow of a compact `state` (its version keys already checked and removed), or None when this
    reader does not know it."""
    if state.get("subprocesses") or diagram.subprocess_specs or state.get("typename") != "BpmnWorkflow":
        return None
    raw_tasks = state["tasks"]
    if any(task.get("typename", "Task") != "Task" for task in raw_tasks.values()):
        return None
    spec = diagram.spec
    workflow = PortalWorkflow(spec, dict(diagram.subprocess_specs), deserializing=True)
    task_specs = spec.task_specs
    tasks = workflow.tasks  # each Task adds itself here, in this order (parents before their children)
    events = workflow.event_manager
    ids = [UUID(task_id) for task_id in raw_tasks]
    for task_id, raw in zip(ids, raw_tasks.values()):
        task_spec = task_specs.get(raw["task_spec"])
        task = Task(workflow, task_spec, state=raw["state"], id=task_id)
        parent = raw.get("parent")
        task._parent = ids[parent] if parent is not None else None
        task._children = [ids[child] for child in raw["children"]]
        task.last_state_change = raw["last_state_change"]
        task.triggered = raw.get("triggered", False)
        task.internal_data = _copied(raw.get("internal_data", {}), registry)
        if isinstance(task_spec, CatchingEvent) and task._state & TaskState.WAITING:
            events.add_task(task)
        delta = raw.get("delta", _NO_DELTA_GIVEN)
        parent_task = tasks.get(task._parent) if task._parent is not None else None
        if delta and parent_task is not None:
            data = DeepMerge.merge({}, parent_task.data)
            data.update(_copied(delta.get("updates", {}), registry))
            for key in delta.get("deletions", ()):
                data.pop(key, None)
        else:
            data = _copied(raw.get("data", {}), registry)
        task.data = data
    workflow.task_tree = tasks.get(UUID(state["root"]))
    workflow.success = state["success"]
    workflow.completed = state.get("completed", False)
    workflow.correlations = _copied(state.get("correlations", {}), registry)
    if isinstance(state["last_task"], str):
        workflow.last_task = tasks.get(UUID(state["last_task"]))
    workflow.data = _copied(state.get("data", {}), registry)
    workflow.bpmn_events = registry.restore(state.get("bpmn_events", []))
    return workflow


def _copied(value, registry):
    """A copy of a saved value, as the registry's `restore` makes it, without its dispatch for plain JSON."""
    kind = type(value)
    if kind is dict:
        if "typename" in value:
            return registry.restore(value)
        return {key: item if type(item) in _PLAIN else _copied(item, registry) for key, item in value.items()}
    if kind is list:
        return [item if type(item) in _PLAIN else _copied(item, registry) for item in value]
    if kind in _PLAIN:
        return value
    return registry.restore(value)
