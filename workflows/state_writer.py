"""Write a workflow's compact saved state directly, without SpiffWorkflow's generic converter walk.

`engine.save_state` used to ask the library's serializer for the whole workflow and then compact it
(`engine._compacted`). The serializer converts the parsed spec too (the state never keeps it: a third of
the time), walks every task through its registry and writes every default, which the compaction then
removes again. The timer sweep writes a state at every escalation, so this module writes the compact
form in one pass, field by field as `TaskConverter.to_dict` (SpiffWorkflow 3.2, serializer 1.5) writes
them.

It knows only what the portal's diagrams produce: a `BpmnWorkflow` without subprocesses, plain `Task`s
with the library's `TaskConverter`, data of JSON values, dicts and lists. Anything else (a call activity,
another class, a value the registry converts, such as a datetime) is handed to the library's registry
(a value) or makes `compact_state` return None (the caller then writes the state through the library).
tests/workflows/test_state_writer.py checks that both give the same state on every path of the shipped
diagram: after a SpiffWorkflow upgrade that changes what the library writes, it fails before a state does.
"""
from __future__ import annotations

from types import ModuleType

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.task import Task

from .task_walk import PortalWorkflow

_PLAIN = frozenset({str, int, float, bool, type(None)})


def recognised(registry) -> bool:
    """Whether the registry writes workflows and tasks with the library's own converters, the ones this
    module copies (checked once, by the caller)."""
    return _writer_of(registry, Task, "Task") is TaskConverter and \
        _writer_of(registry, BpmnWorkflow, "BpmnWorkflow") is BpmnWorkflowConverter


def _writer_of(registry, cls, typename: str):
    """The converter class whose `to_dict` the registry calls for `cls`, if under `typename`."""
    if registry.typenames.get(cls) != typename:
        return None
    registered = registry.convert_to_dict.get(typename)  # partial(_obj_to_dict, typename, converter.to_dict)
    method = registered.args[-1] if registered is not None and registered.args else None
    converter = getattr(method, "__self__", None)
    if converter is None or getattr(method, "__func__", None) is not type(converter).to_dict:
        return None
    return type(converter)


def compact_state(workflow, registry) -> dict | None:
    """The state `engine.save_state` writes, without its version keys; None for a workflow this writer does
    not know (the caller uses the library)."""
    if type(workflow) not in (BpmnWorkflow, PortalWorkflow) or workflow.subprocesses:
        return None
    tasks = workflow.tasks
    position = {task_id: n for n, task_id in enumerate(tasks)}
    written = {}
    for task_id, task in tasks.items():
        if type(task) is not Task:
            return None
        written[str(task_id)] = _task(task, position, registry)
    last = workflow.last_task
    return {
        "data": _value(workflow.data, registry),
        "correlations": workflow.correlations,
        "last_task": str(last.id) if last is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": written,
        "root": str(workflow.task_tree.id),
        "subprocesses": {},
        "bpmn_events": registry.convert(workflow.bpmn_events),
        "typename": "BpmnWorkflow",
    }


def _task(task, position: dict, registry) -> dict:
    # The keys in TaskConverter.to_dict's order, less what engine._compacted leaves out (the id, and each
    # field equal to engine._TASK_DEFAULTS).
    parent = task.parent  # None also when `_parent` names a task no longer in the map, as the library reads it
    out = {
        "parent": position[task._parent] if parent is not None else None,
        "children": [position[child] for child in task._children],
        "last_state_change": task.last_state_change,
        "state": task.state,
        "task_spec": task.task_spec.name,
    }
    if task.triggered != False:  # noqa: E712 - the compaction leaves out a value == False
        out["triggered"] = task.triggered
    internal = _value(task.internal_data, registry)
    if internal != {}:
        out["internal_data"] = internal
    if parent is None:
        # The root keeps its whole data (the same object, as the library writes it) and an empty delta.
        if task.data != {}:
            out["data"] = task.data
        out["delta"] = {}
        return out
    # Every other task: only what differs from its parent (DeepMerge.get_updated_keys / get_deleted_keys).
    before, data = parent.data, task.data
    updates = {key: data[key] for key in data if key not in before or data[key] != before[key]}
    deletions = [key for key in before if key not in data]
    if updates or deletions:
        # No data at all: `{}` (engine.py's compaction), which the library reads as the deletions.
        out["delta"] = {"updates": updates, "deletions": deletions} if data else {}
    return out


def _dropped(value) -> bool:
    """What the registry's `clean` leaves out of a dict."""
    return type(value) not in _PLAIN and (callable(value) or isinstance(value, ModuleType))


def _value(value, registry):
    """`registry.convert(value)` for JSON values, dicts and lists; anything else goes to the registry."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k: _value(v, registry) for k, v in value.items() if not _dropped(v)}
    if kind is list:
        return [_value(item, registry) for item in value]
    return registry.convert(value)
