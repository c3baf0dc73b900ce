"""Read a diagram or a running instance for people, not for the engine.

Two things a process analyst needs that deploy-time validation does not give:
warnings about a diagram that runs but is probably wrong (elements nothing can
reach, empty lanes), and a view of one instance (what it has done, what is open,
which timers wait and until when) to draw over the diagram.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.task import TaskState

from .. import notes
from ..decisions import read_decisions, rule_contexts
from ..diagram import BPMN_NS, Diagram, DiagramError
from ..notes import Note
from ..engine import restore_process
from ..timers import task_due, timer_of
from .timer_warnings import timer_warnings

_ACTIVITIES = {
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "transaction",
}
_EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
_GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
FLOW_NODES = _ACTIVITIES | _EVENTS | _GATEWAYS
_CONTAINERS = {"subProcess", "transaction"}

# How a warning names the kind of element (a key of workflows.notes.KINDS); gateways share one word.
_KIND_NAMES = {kind: "gateway" for kind in _GATEWAYS}


def _local(element) -> str | None:
    return etree.QName(element).localname if isinstance(element.tag, str) else None


def describe(element) -> Note:
    """`user task 'dc_triage' (Assign to an officer)`: how messages name an element (words in app/)."""
    local = _local(element)
    return notes.element(_KIND_NAMES.get(local, local), element.get("id"), element.get("name"))


# ---------------------------------------------------------------------------
# Diagram warnings


def diagram_warnings(xml: bytes, diagram: Diagram | None = None, decisions=()) -> list[DiagramError]:
    """Things that deploy but are probably mistakes: unreachable elements, empty lanes, a reminder at or
    after its deadline, a timer whose name contradicts its value.

    `diagram` picks the process when the file holds several; without it (a draft
    that does not validate yet) the executable process is read from the XML, so
    an analyst sees the warnings while still fixing the errors. `decisions` (DecisionFile) are the
    version's tables: timers that read their outputs are checked with each row's.
    """
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    process = _process_element(root, diagram.process_id if diagram else None)
    if process is None:
        return []
    tables, _ = read_decisions(list(decisions))
    contexts = rule_contexts(tables, tables.keys())
    return [*_unreachable(process), *_empty_lanes(process), *timer_warnings(process, contexts)]


def _process_element(root, process_id: str | None):
    processes = root.findall(f"{{{BPMN_NS}}}process")
    if process_id:
        return next((p for p in processes if p.get("id") == process_id), None)
    executable = [p for p in processes if p.get("isExecutable", "true") == "true"] or processes
    return executable[0] if len(executable) == 1 else None


def _flow_nodes(container):
    """Flow nodes directly inside `container` (not those of nested subprocesses)."""
    return [child for child in container if _local(child) in FLOW_NODES]


def _unreachable(process):
    nodes = {}
    # A container (the process, a subprocess) leads to its start events and event
    # subprocesses; a subprocess's node id is also its container id.
    successors: dict[str, list[str]] = {}

    def collect(container):
        entry = successors.setdefault(container.get("id"), [])
        for node in _flow_nodes(container):
            nodes[node.get("id")] = node
            if _local(node) == "startEvent" or node.get("triggeredByEvent") == "true":
                entry.append(node.get("id"))
            if _local(node) in _CONTAINERS:
                collect(node)
        for flow in container.iter(f"{{{BPMN_NS}}}sequenceFlow"):
            successors.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))

    collect(process)
    for node_id, node in nodes.items():
        if _local(node) == "boundaryEvent":
            successors.setdefault(node.get("attachedToRef"), []).append(node_id)
    _link_events(nodes, successors)

    reached, pending = set(), list(successors[process.get("id")])
    while pending:
        node_id = pending.pop()
        if node_id in reached or node_id not in nodes:
            continue
        reached.add(node_id)
        pending.extend(successors.get(node_id, []))

    for node_id, node in nodes.items():
        if node_id not in reached:
            yield DiagramError(Note("unreachable", {"element": describe(node)}), node_id, node.sourceline)


def _link_events(nodes, successors):
    """A link throw event continues at the link catch event of the same name."""
    catches: dict[str, list[str]] = {}
    throws: list[tuple[str, str]] = []
    for node_id, node in nodes.items():
        link = node.find(f"{{{BPMN_NS}}}linkEventDefinition")
        if link is None:
            continue
        name = link.get("name") or node.get("name")
        if _local(node) == "intermediateCatchEvent":
            catches.setdefault(name, []).append(node_id)
        elif _local(node) == "intermediateThrowEvent":
            throws.append((node_id, name))
    for node_id, name in throws:
        successors.setdefault(node_id, []).extend(catches.get(name, []))


def _empty_lanes(process):
    kinds = {el.get("id"): _local(el) for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        refs = [(ref.text or "").strip() for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef")]
        if not any(kinds.get(ref) in _ACTIVITIES for ref in refs):
            yield DiagramError(Note("lane_empty", {"lane": lane.get("name")}), lane.get("id"), lane.sourceline)


def user_task_lanes(xml: bytes, diagram: Diagram | None = None) -> list[tuple[str, str, int | None]]:
    """(user task id, lane name, line) for each user task that sits in a lane."""
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    process = _process_element(root, diagram.process_id if diagram else None)
    if process is None:
        return []
    user_tasks = {el.get("id"): el for el in process.iter(f"{{{BPMN_NS}}}userTask")}
    found = []
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        if lane.find(f"{{{BPMN_NS}}}childLaneSet") is not None:
            continue  # the innermost lane names the role
        for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef"):
            task = user_tasks.get((ref.text or "").strip())
            if task is not None:
                found.append((task.get("id"), lane.get("name"), task.sourceline))
    return found


# ---------------------------------------------------------------------------
# Instance view


@dataclass(frozen=True)
class OpenElement:
    element_id: str
    task_id: str
    name: str
    lane: str | None


@dataclass(frozen=True)
class WaitingTimer:
    element_id: str
    name: str
    due_at: datetime


@dataclass(frozen=True)
class InstanceView:
    completed: list[str]
    open_tasks: list[OpenElement]
    waiting_timers: list[WaitingTimer]
    finished: bool


def instance_view(diagram: Diagram, state: dict) -> InstanceView:
    """What one saved instance has done, what is open and which timers wait."""
    return view_of(restore_process(diagram, state))


def view_of(workflow) -> InstanceView:
    tasks = list(workflow.get_tasks())
    done = [t for t in tasks if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id]
    # Tree order breaks ties between tasks completed within the same clock tick.
    order = {task.id: n for n, task in enumerate(tasks)}
    done.sort(key=lambda t: (t.last_state_change, order[t.id]))
    open_tasks = [
        OpenElement(t.task_spec.bpmn_id, str(t.id), t.task_spec.bpmn_name or t.task_spec.bpmn_id, t.task_spec.lane)
        for t in tasks
        if t.state == TaskState.READY and isinstance(t.task_spec, UserTask)
    ]
    timers = [timer for t in workflow.get_tasks(state=TaskState.WAITING) if (timer := waiting_timer(t))]
    return InstanceView(
        completed=[t.task_spec.bpmn_id for t in done],
        open_tasks=open_tasks,
        waiting_timers=sorted(timers, key=lambda timer: timer.due_at),
        finished=workflow.is_completed(),
    )


def find_task(workflow, task_id):
    """The task with this id, or None (the engine raises for an id it no longer has)."""
    try:
        return workflow.get_task_from_id(task_id)
    except TaskNotFoundException:
        return None


def waiting_timer(task) -> WaitingTimer | None:
    found = timer_of(task.task_spec)
    due = task_due(task) if found else None
    if due is None:
        return None
    element = found[0]
    return WaitingTimer(element.bpmn_id, element.bpmn_name or element.bpmn_id, due)
