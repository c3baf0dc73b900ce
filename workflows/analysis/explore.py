"""Explore a diagram before it is deployed: every path the forms' answers and the timers open, bounded.

A gateway condition that cannot evaluate (`outcome == resolved`, unquoted) or a
script that fails passes every static check and breaks only when an officer
completes the task, days later. So deploy runs the diagram in memory on the
engine itself, answering each open user task with each answer set its form can
give (app/ passes them in: this package knows no forms) and, where a timer
waits, also letting the timer fire first. Each run that raises names the element,
the line in the file and the choices that led there.

The exploration is a depth-first walk over copies of one workflow: a choice
forks the workflow (a deep copy that shares the parsed spec) instead of
replaying the path from the start. It is bounded: a user task opens at most
`max_loops + 1` times on one path (a rework loop is followed `max_loops` times),
a timer fires at most as often, a path has at most `max_depth` choices, and the
walk stops after `max_steps` moves in all. A state already explored (the same
open tasks, waiting timers, data and loop counts) is not explored again.

Beside the paths, each UNIQUE decision table is tried on the values its rows
name (workflows/decisions.py, `overlapping_rows`): two rows that match one
input would fail the business rule task when a complaint brings that input.

Time is virtual, as in the simulator: a timer fires when the walk chooses it, by
writing its due moment into the past; the others keep their real due moments,
days ahead of the real clock, so nothing fires by itself.
"""
from __future__ import annotations

import ast
import copy
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from lxml import etree
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.task import TaskState

from ..decisions import overlapping_rows
from ..diagram import BPMN_NS, Diagram, DiagramError
from ..engine import start_process
from ..notes import Note
from ..timers import is_relative, set_timer_due, task_due, timer_of
from .simulate import START_DATA

# A timer chosen to fire is written this far in the past.
_SAFETY = timedelta(minutes=1)


@dataclass(frozen=True)
class Bounds:
    max_loops: int = 1  # times a path may come back to the same user task (or fire the same timer again)
    max_depth: int = 40  # choices on one path
    max_steps: int = 3000  # moves (answers and timer firings) in the whole exploration
    prune_covered: bool = True  # stop a path once its moves only repeat what was already run (see _discovered)
    dull_moves: int = 1  # ... after this many such moves in a row


@dataclass(frozen=True)
class Choice:
    """One choice on a path: a task answered with `answer`, or a timer let fire (`answer` is None)."""

    element_id: str
    name: str
    answer: tuple[tuple[str, object], ...] | None = None  # the decisive part of the answer

    def note(self) -> Note:
        if self.answer is None:
            return Note("explore_timer", {"name": self.name, "id": self.element_id})
        answer = ", ".join(f"{key}={value!r}" for key, value in self.answer)
        return Note("explore_answer", {"name": self.name, "id": self.element_id, "answer": answer})


@dataclass(frozen=True)
class Failure:
    """A run that raised: where (element and line), how it got there, and the engine's words."""

    element_id: str
    line: int | None
    path: tuple[Choice, ...]
    detail: str

    def as_error(self) -> DiagramError:
        facts = {"path": [choice.note() for choice in self.path] or [Note("explore_at_start")], "detail": self.detail}
        return DiagramError(Note("explore_failed", facts), self.element_id, self.line)


@dataclass
class Exploration:
    failures: list[Failure] = field(default_factory=list)
    paths: int = 0  # paths followed to their end (finished, stuck, bounded or failed)
    steps: int = 0  # moves made (answers and timer firings)
    states: int = 0  # distinct states explored
    deepest: int = 0  # most choices on one path
    truncated: bool = False  # max_steps ran out before every path was followed
    seconds: float = 0.0
    # Rows of a UNIQUE decision table that match one input combination (they would fail at run time).
    overlaps: list[DiagramError] = field(default_factory=list)

    @property
    def errors(self) -> list[DiagramError]:
        return [*self.overlaps, *(failure.as_error() for failure in self.failures)]


def explore_paths(
    diagram: Diagram,
    xml: bytes,
    answer_sets: Mapping[str, Sequence[dict]],
    bounds: Bounds = Bounds(),
) -> Exploration:
    """Walk every path of `diagram`; `answer_sets` maps a formKey to the task data its form can submit.

    A user task whose form has no answer sets is answered with no data. Writes nothing anywhere.
    """
    started = time.perf_counter()
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    walk = _Walk(diagram, _lines(root), _expression_names(root), answer_sets, bounds, _reads(root))
    walk.run()
    walk.result.overlaps = [DiagramError(p.message, p.element_id, p.line, p.filename)
                            for p in overlapping_rows(diagram.decisions)]
    walk.result.seconds = time.perf_counter() - started
    return walk.result


@dataclass
class _Node:
    workflow: object
    now: timedelta  # virtual time since the start
    timers: dict  # task id -> (virtual due, the due moment the engine wrote)
    counts: dict  # element id (or ("timer", id)) -> times opened / fired on this path
    path: tuple[Choice, ...]
    opened: frozenset = frozenset()  # ids of the user tasks open after the last move
    dull: int = 0  # moves in a row that ran nothing new (see _Walk._discovered)


class _Walk:
    def __init__(self, diagram: Diagram, lines: dict, names: frozenset | None, answer_sets: Mapping[str, Sequence[dict]], bounds: Bounds,
                 reads: dict | None = None):
        self.diagram = diagram
        self.lines = lines
        self.names = names
        self.reads = reads or {}  # element id -> the names its own expressions read
        self.answer_sets = {key: [dict(a) for a in answers] for key, answers in answer_sets.items()}
        # What a path says was chosen: the keys that differ between a form's answers, and of those the
        # ones the diagram reads, when it reads some.
        self.decisive = {}
        for key, answers in self.answer_sets.items():
            differing = _decisive_keys(answers)
            read = tuple(k for k in differing if names is not None and k in names)
            self.decisive[key] = read or differing
        self.bounds = bounds
        self.result = Exploration()
        self.seen: set = set()
        self.covered: set = set()  # (task spec, state, data the expressions read) run or opened so far
        self.failed: dict = {}  # (element, detail) -> index in result.failures
        self.memo: dict = {}

    def run(self) -> None:
        try:
            workflow = start_process(self.diagram, dict(START_DATA))
        except Exception as exc:  # noqa: BLE001 - a script right after the start event may fail too
            self._fail(exc, ())
            return
        self.memo = _shared(self.diagram, workflow)
        node = _Node(workflow, timedelta(0), {}, {}, ())
        self._observe(node, _real_now())
        stack = [node]
        while stack:
            if self.result.steps >= self.bounds.max_steps:
                self.result.truncated = True
                return
            self._visit(stack.pop(), stack)

    def _visit(self, node: _Node, stack: list) -> None:
        key = _signature(node, self.names)
        if key in self.seen:
            return
        self.seen.add(key)
        self.result.states += 1
        choices = [] if node.workflow.is_completed() or len(node.path) >= self.bounds.max_depth else self._choices(node)
        if not choices:
            self.result.paths += 1
            return
        # Reversed so that the first choice (the form's first answer) is explored first.
        for n, move in enumerate(reversed(choices)):
            # The last move may take the node itself: nothing needs it afterwards.
            child = self._fork(node) if n < len(choices) - 1 else node
            self.result.steps += 1
            before = _ran(child.workflow)
            try:
                choice = move(child)
            except Exception as exc:  # noqa: BLE001 - what the engine raises is what deploy must report
                self.result.paths += 1
                self._fail(exc, child.path)
                continue
            self.result.deepest = max(self.result.deepest, len(child.path))
            if choice is None:
                continue
            child.dull = 0 if self._discovered(child.workflow, before) else child.dull + 1
            if child.dull <= self.bounds.dull_moves or not self.bounds.prune_covered:
                stack.append(child)
            else:
                self.result.paths += 1

    def _discovered(self, workflow, before: set) -> bool:
        """Whether the last move ran an element (or opened a task) on data no earlier move ran it on.

        A move that only repeats what the exploration has already run is not followed further:
        a condition or script fails on the data it reads, and that data was tried already.
        """
        new = False
        for task_id in _ran(workflow) - before:
            task = workflow.tasks[task_id]
            reads = self.reads.get(task.task_spec.bpmn_id, frozenset()) if self.names is not None else None
            reads = None if reads is not None and "*" in reads else reads
            data = task.data if reads is None else {k: v for k, v in task.data.items() if k in reads}
            pair = (task.task_spec.name, int(task.state), json.dumps(data, sort_keys=True, default=str))
            if pair not in self.covered:
                self.covered.add(pair)
                new = True
        return new

    def _choices(self, node: _Node) -> list:
        moves = []
        for task in _tasks(node.workflow, TaskState.READY):
            if not isinstance(task.task_spec, UserTask):
                continue
            element = task.task_spec.bpmn_id
            form_key = ((task.task_spec.extensions or {}).get("properties") or {}).get("formKey")
            for answer in self.answer_sets.get(form_key) or [{}]:
                moves.append(_Answer(self, task.id, element, task.task_spec.bpmn_name or element, form_key, answer))
        if node.timers:
            moves.append(_Fire(self))
        return moves

    # -- moves ---------------------------------------------------------------

    def answer(self, node: _Node, move: _Answer) -> Choice:
        task = node.workflow.get_task_from_id(move.task_id)
        decisive = tuple((key, move.answer.get(key)) for key in self.decisive.get(move.form_key, ()))
        choice = Choice(move.element, move.name, decisive)
        node.path += (choice,)
        real = _real_now()
        task.set_data(**move.answer)
        task.run()
        node.workflow.do_engine_steps()
        self._observe(node, real)
        return choice

    def fire(self, node: _Node) -> Choice | None:
        due = min(virtual for virtual, _ in node.timers.values())
        fire = [task_id for task_id, (virtual, _) in node.timers.items() if virtual <= due]
        first = node.workflow.get_task_from_id(fire[0])
        spec = timer_of(first.task_spec)[0]
        choice = Choice(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id)
        node.path += (choice,)
        node.now = max(node.now, due)
        for task_id in fire:
            set_timer_due(node.workflow, task_id, _real_now() - _SAFETY)
            timer = timer_of(node.workflow.get_task_from_id(task_id).task_spec)[0].bpmn_id
            node.counts[("timer", timer)] = node.counts.get(("timer", timer), 0) + 1
        real = _real_now()
        node.workflow.refresh_timers()
        node.workflow.do_engine_steps()
        for task_id in fire:  # a timer that is still waiting (a cycle) waits for its next occurrence
            node.timers.pop(task_id, None)
        self._observe(node, real)
        if any(count > self.bounds.max_loops + 1 for count in node.counts.values()):
            self.result.paths += 1
            return None
        return choice

    # -- what the engine did -------------------------------------------------

    def _observe(self, node: _Node, real: datetime) -> None:
        """Note the timers now waiting (virtual due moments) and count the user tasks just opened."""
        timers = {}
        for task in _tasks(node.workflow, TaskState.WAITING):
            found = timer_of(task.task_spec)
            due = task_due(task) if found is not None else None
            if due is None:
                continue
            known = node.timers.get(task.id)
            if known is not None and known[1] == due:
                timers[task.id] = known
            elif is_relative(node.workflow, task, found[1]):
                timers[task.id] = (node.now + timedelta(seconds=round((due - real).total_seconds())), due)
            else:
                timers[task.id] = (max(node.now, due - _real_now()), due)
        node.timers = timers
        ready = {t.id: t.task_spec.bpmn_id for t in _tasks(node.workflow, TaskState.READY)
                 if isinstance(t.task_spec, UserTask)}
        for task_id, element in ready.items():
            if task_id not in node.opened:
                node.counts[element] = node.counts.get(element, 0) + 1
        node.opened = frozenset(ready)

    def _fork(self, node: _Node) -> _Node:
        workflow = copy.deepcopy(node.workflow, dict(self.memo))
        return _Node(workflow, node.now, dict(node.timers), dict(node.counts), node.path, node.opened, node.dull)

    def _fail(self, exc: Exception, path: tuple[Choice, ...]) -> None:
        element_id, detail = _where(exc)
        line = self.lines.get(element_id)
        element_id, line = _condition_flow(self.lines, element_id, detail, element_id, line)
        key = (element_id, detail.split(";")[0])  # the engine's notes ("Did you mean") vary with the path
        failure = Failure(element_id, line, path, detail)
        known = self.failed.get(key)
        if known is None:
            self.failed[key] = len(self.result.failures)
            self.result.failures.append(failure)
        elif len(path) < len(self.result.failures[known].path):
            self.result.failures[known] = failure  # the shortest path there is the easiest to read


@dataclass(frozen=True)
class _Answer:
    walk: _Walk
    task_id: object
    element: str
    name: str
    form_key: str | None
    answer: dict

    def __call__(self, node: _Node) -> Choice | None:
        choice = self.walk.answer(node, self)
        if any(count > self.walk.bounds.max_loops + 1 for count in node.counts.values()):
            self.walk.result.paths += 1
            return None
        return choice


@dataclass(frozen=True)
class _Fire:
    walk: _Walk

    def __call__(self, node: _Node) -> Choice | None:
        return self.walk.fire(node)


def _signature(node: _Node, names: frozenset | None) -> tuple:
    """What decides the rest of a path: the open and waiting tasks, the data the diagram's expressions
    read (`names`; None: all of it), the order the timers will fire in, and the loop counts.

    Two states that differ only in data no expression reads, or in how far off the timers are, run the
    same conditions and scripts on the same values: exploring one of them is enough.
    """
    tasks = []
    for task in _tasks(node.workflow, TaskState.READY | TaskState.WAITING):
        data = task.data if names is None else {k: v for k, v in task.data.items() if k in names}
        tasks.append((task.task_spec.name, int(task.state), json.dumps(data, sort_keys=True, default=str)))
    order = sorted(node.timers.items(), key=lambda item: item[1][0])
    timers = tuple(node.workflow.get_task_from_id(task_id).task_spec.name for task_id, _ in order)
    counts = sorted((str(k), v) for k, v in node.counts.items())
    return (tuple(sorted(tasks)), timers, tuple(counts), node.workflow.is_completed())


def _expression_names(root) -> frozenset | None:
    """Every name the diagram's conditions, scripts and expressions read; None if one does not parse."""
    names = set()
    texts = [el.text for el in root.iter() if isinstance(el.tag, str) and el.text and etree.QName(el).localname in _EXPRESSIONS]
    for text in texts:
        try:
            tree = ast.parse(text.strip())
        except SyntaxError:
            return None
        names.update(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))
    return frozenset(names)


def _reads(root) -> dict:
    """Element id -> the names its own expressions read: a gateway's outgoing conditions, a script,
    a throw event's payload (through its signal or message), a timer's expression."""
    by_ref = {}
    for el in root.iter():
        if isinstance(el.tag, str) and etree.QName(el).localname in ("signal", "message"):
            by_ref[el.get("id")] = _names_in(el)
    reads = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.get("id"):
            continue
        names = set(_names_in(el, skip_flows=True))
        for definition in el:
            ref = definition.get("signalRef") or definition.get("messageRef") if isinstance(definition.tag, str) else None
            if ref in by_ref:
                names |= by_ref[ref]
        reads[el.get("id")] = names
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        reads.setdefault(flow.get("sourceRef"), set()).update(_names_in(flow))
    return {element: frozenset(names) for element, names in reads.items()}


def _names_in(el, skip_flows: bool = False) -> set:
    names = set()
    for child in el.iter():
        if skip_flows and child is not el and isinstance(child.tag, str) and etree.QName(child).localname in ("sequenceFlow",):
            continue
        if isinstance(child.tag, str) and child.text and etree.QName(child).localname in _EXPRESSIONS:
            try:
                names.update(n.id for n in ast.walk(ast.parse(child.text.strip())) if isinstance(n, ast.Name))
            except SyntaxError:
                names.add("*")
    return names


# Elements whose text the engine evaluates with the task data.
_EXPRESSIONS = {"conditionExpression", "script", "payloadExpression", "timeDuration", "timeDate", "timeCycle",
                "preScript", "postScript", "calledDecisionId", "loopCardinality", "completionCondition"}


def _shared(diagram: Diagram, workflow) -> dict:
    """A deepcopy memo that keeps the parsed spec and the script engine shared between forks."""
    memo = {}
    for spec in (diagram.spec, *diagram.subprocess_specs.values()):
        memo[id(spec)] = spec
        for task_spec in spec.task_specs.values():
            memo[id(task_spec)] = task_spec
    memo[id(workflow.script_engine)] = workflow.script_engine
    return memo


def _decisive_keys(answers: Sequence[dict]) -> tuple[str, ...]:
    """The data keys whose values differ between a form's answer sets: what a path says it chose."""
    keys = sorted({key for answer in answers for key in answer})
    return tuple(key for key in keys if len({repr(answer.get(key)) for answer in answers}) > 1)


def _where(exc: Exception) -> tuple[str, str]:
    """The element a run failed at, and the engine's words (without the traceback)."""
    task = getattr(exc, "task", None)
    spec = getattr(exc, "task_spec", None) or getattr(task, "task_spec", None)
    element_id = getattr(spec, "bpmn_id", None) or ""
    kind = getattr(exc, "error_type", "") or type(exc).__name__
    message = str(exc.args[0]) if getattr(exc, "args", None) else str(exc)
    detail = message if message.startswith(kind) else f"{kind}: {message}"
    # SpiffWorkflow adds what it knows as notes ("Did you mean ...?") and the script line that failed.
    extra = [*(getattr(exc, "notes", None) or ()), getattr(exc, "error_line", "") or ""]
    return element_id, "; ".join([detail, *(str(part) for part in extra if part)])


def _lines(root) -> dict:
    lines = {el.get("id"): el.sourceline for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    # Conditions by gateway: a failed condition is reported on its sequence flow, at the condition's line.
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        condition = flow.find(f"{{{BPMN_NS}}}conditionExpression")
        if condition is not None and (condition.text or "").strip():
            lines.setdefault(("conditions", flow.get("sourceRef")), []).append(
                (flow.get("id"), condition.text.strip(), condition.sourceline)
            )
    return lines


def _condition_flow(lines: dict, element_id: str, detail: str, default_id: str, default_line):
    """The sequence flow whose condition the engine names in `detail`, or the gateway itself."""
    for flow_id, expression, line in lines.get(("conditions", element_id), []):
        if expression in detail:
            return flow_id, line
    return default_id, default_line


def _ran(workflow) -> set:
    """Ids of the tasks that have run or are open for a person (completed, ready or waiting)."""
    return {task_id for task_id, task in workflow.tasks.items()
            if task.state & (TaskState.COMPLETED | TaskState.READY | TaskState.WAITING)}


def _tasks(workflow, state: int) -> list:
    """The workflow's tasks in `state`, straight from its task map (the tree iterator is slow on big trees)."""
    return [task for task in workflow.tasks.values() if task.state & state]


def _real_now() -> datetime:
    return datetime.now(timezone.utc)
