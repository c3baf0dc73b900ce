"""Routes through the diagram for the data generator, each run on the real engine once.

A route is a path from the start: tasks completed with given answers, and
timers firing in a given order. Complaints on the same route differ only in
ids, their own values and moments, so the engine runs each step of a route
once (`cloning.RecordedRun`) and every complaint that reaches the same point
copies the recorded state (`cloning.StateTemplate`). A step's moment is
symbolic (step k happens at the complaint's `moments[k]`), so one route serves
complaints lodged on any day.

Alongside the engine state each route keeps what `projection.sync_instance`
and the task forms would have written at each step (the inbox rows, the
timeline, the complaint's status), with step numbers instead of times.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from ...models import ComplaintStatus, Role
from .cloning import RecordedRun, RecordedTimer, StateTemplate

if TYPE_CHECKING:
    from workflows import Diagram

# Stand-ins for each complaint's own values while a route runs on the engine:
# negative ids no database hands out, found again in the saved state and
# filled in per complaint (see StateTemplate).
PLACEHOLDERS = {"complaint_id": -900_000_001, "district_id": -900_000_002, "department_id": -900_000_003,
                "officer_id": -900_000_004}
# A loop in a diagram (or a short cycle timer) must not hang the generator.
MAX_FIRINGS = 500


@dataclass(frozen=True)
class TaskRow:
    """An inbox row opened at `step`; due at the earliest of `due` then (the instance's next deadline)."""

    task_id: str
    element_id: str
    name: str
    form_key: str
    role: Role
    assignee: object  # a placeholder name ("officer_id"), a user id or None
    escalation_level: int | None
    step: int
    due: tuple[RecordedTimer, ...]


@dataclass(frozen=True)
class Event:
    """A timeline line at `step`, as casework/events.py records it: `note` and the string values of
    `details` are format strings over the complaint's values."""

    step: int
    kind: str
    note: str | None
    by_citizen: bool
    details: tuple = ()  # (name, value) pairs: a frozen dataclass keeps no dict


@dataclass
class Projection:
    """The rows a route has written so far, at symbolic moments (step numbers)."""

    rows: list[TaskRow] = field(default_factory=list)
    completed: dict[str, int] = field(default_factory=dict)  # task id -> step it closed at
    events: list[Event] = field(default_factory=list)
    status: ComplaintStatus = ComplaintStatus.SUBMITTED
    escalation_level: int = 0
    officer: object = None  # like TaskRow.assignee
    resolved_step: int | None = None
    closed_step: int | None = None
    closure: str | None = None
    rating: int | None = None
    satisfied: bool | None = None
    reopen_count: int = 0

    def copy(self) -> Projection:
        return replace(self, rows=list(self.rows), completed=dict(self.completed), events=list(self.events))

    def event(self, step: int, kind: str, note: str | None, *, by_citizen: bool = False, **details) -> None:
        self.events.append(Event(step, kind, note, by_citizen, tuple(details.items())))

    def apply(self, step: int, form_key: str, data: dict) -> None:
        """What the task form's `apply` does to the complaint, and the timeline line it writes."""
        if form_key == "dc_triage":
            self.officer = _assignee(data.get("officer_id"))
            self.event(step, "assigned", _literal(data["instruction"]) if data.get("instruction") else None,
                       officer="{officer_name}")
        elif form_key == "officer_action":
            if data["outcome"] == "resolved":
                self.event(step, "resolved", _literal(data["action_taken"]))
            else:
                self.event(step, "action_recorded", _literal(data["action_taken"]))
        elif form_key == "citizen_rating":
            self.rating, self.satisfied = data["rating"], data["satisfied"]
            note = _literal(data["comment"]) if data.get("comment") else None
            if data["satisfied"]:
                self.event(step, "rated", note, by_citizen=True, rating=data["rating"])
            else:
                self.reopen_count += 1
                self.resolved_step = None
                self.event(step, "reopened", note, by_citizen=True, rating=data["rating"])

    def project(self, step: int, run: RecordedRun) -> None:
        """What sync_instance writes after the engine moved at `step`."""
        snapshot = run.snapshot()
        open_tasks = snapshot.open_tasks
        open_ids = {t.id for t in open_tasks}
        for row in self.rows:
            if row.task_id not in open_ids and row.task_id not in self.completed:
                self.completed[row.task_id] = step
        known = {row.task_id for row in self.rows}
        due = tuple(t for t in run.timers() if not t.reminder)
        for task in open_tasks:
            if task.id in known:
                continue
            role = Role(task.lane)
            self.rows.append(TaskRow(task.id, task.element_id, task.name, task.form_key, role,
                                     _assignee(task.assignee), task.escalation_level, step, due))
            if task.escalation_level:
                self.escalation_level = max(self.escalation_level, task.escalation_level)
                self.event(step, "escalated", None, role=role.value, level=task.escalation_level)
        if snapshot.finished:
            if self.status is not ComplaintStatus.CLOSED:
                self.status, self.closed_step = ComplaintStatus.CLOSED, step
                self.closure = snapshot.closure
                self.event(step, "closed", _literal(self.closure) if self.closure else None)
            return
        statuses = [t.status for t in open_tasks if t.status]
        if statuses:
            self.status = ComplaintStatus(statuses[-1])
        if self.status is ComplaintStatus.RESOLVED and self.resolved_step is None:
            self.resolved_step, self.rating, self.satisfied = step, None, None
        officer_tasks = [t for t in open_tasks if t.lane == Role.DISTRICT_OFFICER.value and t.assignee]
        if officer_tasks:
            self.officer = _assignee(officer_tasks[-1].assignee)


class Node:
    """A point on a route: the recorded run up to here, its rows, and the routes on from it."""

    def __init__(self, run: RecordedRun, projection: Projection):
        self.run = run
        self.projection = projection
        self.children: dict[tuple, Node] = {}
        self.timers = run.timers()
        self.deadlines = tuple(t for t in self.timers if not t.reminder)
        self.reminders = tuple(t for t in self.timers if t.reminder)
        open_tasks = run.open_tasks()
        self.finished = run.finished
        self.open_by_form = {}
        for task in open_tasks:
            self.open_by_form.setdefault(task.form_key, task.id)
        self._template = None

    @property
    def template(self) -> StateTemplate:
        if self._template is None:
            self._template = self.run.template(PLACEHOLDERS)
        return self._template

    def moved(self, key: tuple, move, *, share: bool) -> Node:
        """The node after `move(run, projection, step)`: run once per route when `share`d, else in place."""
        child = self.children.get(key) if share else None
        if child is None:
            run = self.run.branch() if share else self.run
            projection = self.projection.copy() if share else self.projection
            move(run, projection, run.steps)
            run.take_notices()
            child = Node(run, projection)
            if share:
                self.children[key] = child
        return child


class Routes:
    """The routes met so far on one diagram version. With `share=False` every complaint runs on its own."""

    def __init__(self, diagram: Diagram, *, share: bool = True, closed: frozenset = frozenset()):
        self.diagram = diagram
        self.share = share
        self.closed = closed  # the province's closures, for timers that count working days
        self._root: Node | None = None

    def walk(self, created: datetime, actions, now: datetime) -> tuple[Node, list[datetime]]:
        """The node a complaint lodged at `created` reaches, and its moments (one per step).

        `actions` are (form key, answer, moment), in time order; a timer due
        before an answer fires first. An action whose task is not open (a
        timer took the process elsewhere) ends the plan. Timers due by `now`
        fire at the end, so nothing is left due.
        """
        node, moments = self._start(), [created]
        for form_key, answer, at in actions:
            node = self._fire_due(node, moments, at, strictly_before=True)
            task_id = node.open_by_form.get(form_key)
            if task_id is None:
                break
            node = node.moved(("complete", form_key, answer), _completing(task_id, form_key, dict(answer)),
                              share=self.share)
            moments.append(at)
        return self._fire_due(node, moments, now, strictly_before=False), moments

    def _start(self) -> Node:
        if self._root is not None and self.share:
            return self._root
        data = {"complaint_id": PLACEHOLDERS["complaint_id"], "district_id": PLACEHOLDERS["district_id"],
                "department_id": PLACEHOLDERS["department_id"], "officer_id": None}
        run = RecordedRun.start(self.diagram, data, self.closed)
        projection = Projection()
        projection.event(0, "lodged", "{subject}", by_citizen=True)
        projection.project(0, run)
        run.take_notices()
        self._root = Node(run, projection)
        return self._root

    def _fire_due(self, node: Node, moments: list[datetime], limit: datetime, *, strictly_before: bool) -> Node:
        """Fire, in time order, each timer due before `limit`; timers due at the same moment fire together."""
        for _ in range(MAX_FIRINGS):
            if not node.timers:
                return node
            dues = [(timer.due(moments), timer.task_id) for timer in node.timers]
            first = min(due for due, _ in dues)
            if first > limit or (strictly_before and first == limit):
                return node
            fired = frozenset(task_id for due, task_id in dues if due == first)
            node = node.moved(("fire", fired), _firing(fired), share=self.share)
            moments.append(first)
        raise RuntimeError(f"more than {MAX_FIRINGS} timer firings: does the diagram loop on a timer?")


def _completing(task_id: str, form_key: str, data: dict):
    def move(run, projection, step):
        run.complete(task_id, data)
        projection.apply(step, form_key, data)
        projection.project(step, run)
    return move


def _firing(task_ids: frozenset):
    def move(run, projection, step):
        run.fire(task_ids)
        projection.project(step, run)
    return move


def _assignee(value):
    """A user id as the rows store it: the placeholder's name when it stands for the complaint's officer."""
    if value == PLACEHOLDERS["officer_id"]:
        return "officer_id"
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _literal(text: str) -> str:
    """`text` as a format string that gives it back unchanged."""
    return text.replace("{", "{{").replace("}", "}}")
