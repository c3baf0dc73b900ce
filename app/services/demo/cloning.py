"""Many process instances from one run of the engine: record a run once, copy its saved state.

The one module outside `workflows/` and the engine door that holds a live
process: it records demo runs for the data generator (`flask --app app demo
generate`, the benchmarks), never in a request or a job. It reaches the engine
only through `workflows`' verbs and timer helpers, and the rest of the demo
package sees plain values (`open_tasks`, `snapshot`, `timers`).

Instances that take the same route through a diagram (the same answers, the
same timers firing in the same order) end in saved states that differ only in
task ids, a few data values (the complaint's own ids) and moments. The data
generator needs hundreds of thousands of such instances; running the engine
for each costs milliseconds, copying a recorded state microseconds.

`RecordedRun` drives a real workflow step by step. Step k happens at a moment
chosen later, per copy (`moments[k]`): every timestamp the step writes (a task's
`last_state_change`, the due moment of a timer it reaches) is recorded relative
to the step's real start. The engine reads the real clock, so timers are moved
the way workflows/analysis/simulate.py moves them: before a step every waiting timer is
written far in the future, except those the step is to fire, written just
before the real now.

`StateTemplate` is a recorded state with holes: task ids, placeholder data
values, timestamps. `instantiate` fills them for one copy and returns the state
as JSON text, the way the database stores it; `restore_process(json.loads(...))`
gives a workflow that goes on like the recorded one, from the copy's moments.
"""
from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from workflows import (
    Diagram,
    OpenTask,
    ProcessSnapshot,
    WorkingCalendar,
    counts_working_days,
    working_calendar,
    working_due,
)
from workflows.engine import (
    complete_task,
    fire_timers,
    is_finished,
    open_tasks,
    restore_process,
    save_state,
    snapshot,
    start_process,
    take_notices,
)
from workflows.timers import (
    TIMER_KEY,
    is_relative,
    set_timer_due,
    task_moment,
    timer_of,
    waiting_timers,
    with_due,
)

# Timers that must not fire in a step are written this far beyond the real clock;
# those that must fire, this far before it (the engine fires strictly after).
_FAR = timedelta(days=36500)
_SAFETY = timedelta(minutes=1)


@dataclass(frozen=True)
class RecordedTimer:
    """A waiting timer of a recorded run: due at `moments[step] + offset`, or at `at` (a date)."""

    task_id: str
    element_id: str
    reminder: bool
    step: int | None
    offset: timedelta = timedelta(0)
    at: datetime | None = None

    def due(self, moments: Sequence[datetime]) -> datetime:
        return self.at if self.step is None else moments[self.step] + self.offset


class RecordedRun:
    """A workflow run step by step, each step's moment left open (see the module docstring)."""

    def __init__(self, diagram: Diagram, workflow, starts: list[datetime], stamps: dict, timers: dict,
                 calendar: WorkingCalendar | None = None):
        self.diagram = diagram
        self.calendar = calendar or WorkingCalendar()
        self.workflow = workflow
        self._starts = starts  # real start of each step
        self._stamps = stamps  # task id -> (step, seconds after its start): last_state_change
        self._timers = timers  # task id -> (step or None, offset or absolute moment): timer due

    @classmethod
    def start(cls, diagram: Diagram, data: dict, closed: frozenset = frozenset()) -> RecordedRun:
        """`closed`: the province's closures (services/closures.closed_dates), for working-day timers."""
        run = cls(diagram, None, [], {}, {}, working_calendar(closed))
        run._step(lambda: start_process(diagram, data, run.calendar), fire=())
        return run

    @property
    def steps(self) -> int:
        return len(self._starts)

    def branch(self) -> RecordedRun:
        """An independent copy to take another route from here."""
        workflow = restore_process(self.diagram, json.loads(json.dumps(save_state(self.workflow))))
        return RecordedRun(self.diagram, workflow, list(self._starts), dict(self._stamps), dict(self._timers),
                           self.calendar)

    def complete(self, task_id: str, data: dict) -> None:
        self._step(lambda: complete_task(self.workflow, task_id, data, self.calendar), fire=())

    def fire(self, task_ids) -> None:
        """Fire exactly these waiting timers (and what the engine runs on from them)."""
        self._step(lambda: fire_timers(self.workflow, self.calendar), fire=set(task_ids))

    def open_tasks(self) -> list[OpenTask]:
        return open_tasks(self.workflow)

    @property
    def finished(self) -> bool:
        return is_finished(self.workflow)

    def snapshot(self) -> ProcessSnapshot:
        """What a real move would hand the projection; marks the notices passed so far as taken."""
        return snapshot(self.workflow)

    def take_notices(self) -> None:
        """Mark the notices passed so far as taken, as a real move would: none of them is sent later."""
        take_notices(self.workflow)

    def timers(self) -> list[RecordedTimer]:
        """The waiting timers, each due relative to a step's moment."""
        found = []
        for timer in waiting_timers(self.workflow):
            step, when = self._timers[timer.task_id]
            if step is None:
                found.append(RecordedTimer(timer.task_id, timer.element_id, timer.reminder, None, at=when))
            else:
                found.append(RecordedTimer(timer.task_id, timer.element_id, timer.reminder, step, offset=when))
        return found

    def template(self, placeholders: Mapping[str, object] | None = None) -> StateTemplate:
        """The saved state with holes; `placeholders` names data values (as started) to fill per copy."""
        # The compact state, as the portal saves it at every move (a copy reads and runs on as a lodged one does).
        return StateTemplate(save_state(self.workflow), self._stamps, self._timers, placeholders or {})

    def _step(self, action: Callable[[], object], fire: set) -> None:
        real = datetime.now(UTC)
        before_stamps, before_moments = {}, {}
        if self.workflow is not None:
            for timer in waiting_timers(self.workflow):
                moment = real - _SAFETY if timer.task_id in fire else real + _FAR
                set_timer_due(self.workflow, timer.task_id, moment)
            for task in self.workflow.get_tasks():
                before_stamps[task.id] = (task.state, task.last_state_change)
                before_moments[task.id] = task_moment(task)
        made = action()
        if self.workflow is None:
            self.workflow = made
        step = len(self._starts)
        self._starts.append(real)
        for task in self.workflow.get_tasks():
            key = str(task.id)
            # The state too: under a frozen clock (tests) a change keeps the same timestamp.
            if before_stamps.get(task.id) != (task.state, task.last_state_change):
                self._stamps[key] = (step, task.last_state_change - real.timestamp())
            moment = task_moment(task)
            if moment is None:
                continue
            if key not in self._timers:
                self._timers[key] = self._new_timer(task, step, moment, real)
            elif moment != before_moments.get(task.id):
                # A cycle moved on to its next occurrence: by its period, from where it was.
                at_step, when = self._timers[key]
                self._timers[key] = (at_step, when + (moment - before_moments[task.id]))

    def _new_timer(self, task, step: int, moment: datetime, real: datetime):
        found = timer_of(task.task_spec)
        if found is not None and not is_relative(self.workflow, task, found[1]):
            return None, moment
        if found is not None and counts_working_days(found[0]):
            duration = self.workflow.script_engine.evaluate(task, found[1].expression)
            return step, WorkingDaysAfter(duration, self.calendar)
        return step, moment - real


@dataclass(frozen=True)
class WorkingDaysAfter:
    """The offset of a working-day timer: how long it lasts depends on the step's moment, so it is
    counted per copy (`moments[step] + offset`, as a timedelta offset is added)."""

    duration: str
    calendar: WorkingCalendar

    def __radd__(self, moment: datetime) -> datetime:
        return working_due(self.calendar, moment, self.duration)


class StateTemplate:
    """A saved state whose task ids, placeholder values and moments are filled per copy."""

    def __init__(self, state: dict, stamps: dict, timers: dict, placeholders: Mapping[str, object]):
        self.task_ids: list[str] = _task_ids(state)
        index = {task_id: n for n, task_id in enumerate(self.task_ids)}
        by_value = {(type(v), v): name for name, v in placeholders.items()}
        token = uuid.uuid4().hex
        holes: list[tuple] = []

        def hole(spec: tuple) -> str:
            holes.append(spec)
            return f"{token}:{len(holes) - 1}"

        def fill(value):
            if isinstance(value, dict):
                return {(hole(("id", index[k])) if k in index else k): fill(v) for k, v in value.items()}
            if isinstance(value, list):
                return [fill(v) for v in value]
            if isinstance(value, str) and value in index:
                return hole(("id", index[value]))
            if isinstance(value, int | str) and (type(value), value) in by_value:
                return hole(("value", by_value[(type(value), value)]))
            return value

        def fill_tasks(tasks: dict) -> dict:
            copied = {}
            for task_id, task in tasks.items():
                task = fill(task)
                step, seconds = stamps[task_id]
                task["last_state_change"] = hole(("stamp", step, seconds))
                internal = task.get("internal_data", {})  # a compact task without internal data leaves it out
                if internal.get(TIMER_KEY) is not None and task_id in timers:
                    internal[TIMER_KEY] = with_due(internal[TIMER_KEY], hole(("timer", *timers[task_id])))
                copied[hole(("id", index[task_id]))] = task
            return copied

        filled = fill({k: v for k, v in state.items() if k not in ("tasks", "subprocesses")})
        filled["tasks"] = fill_tasks(state["tasks"])
        filled["subprocesses"] = {
            hole(("id", index[key])): {**fill({k: v for k, v in sub.items() if k != "tasks"}),
                                       "tasks": fill_tasks(sub["tasks"])}
            for key, sub in state.get("subprocesses", {}).items()
        }
        parts = re.split(f'"{token}:(\\d+)"', json.dumps(filled))
        self._literals = parts[0::2]
        self._holes = [holes[int(n)] for n in parts[1::2]]

    def instantiate(self, moments: Sequence[datetime], values: Mapping[str, object]) -> tuple[str, dict[str, str]]:
        """(state as JSON text, template task id -> the copy's task id) for a copy at `moments`."""
        ids = fresh_ids(len(self.task_ids))
        quoted = [f'"{i}"' for i in ids]
        stamps = [m.timestamp() for m in moments]
        given = {name: json.dumps(value) for name, value in values.items()}
        out = [self._literals[0]]
        for spec, literal in zip(self._holes, self._literals[1:]):
            kind = spec[0]
            if kind == "id":
                out.append(quoted[spec[1]])
            elif kind == "stamp":
                out.append(repr(stamps[spec[1]] + spec[2]))
            elif kind == "value":
                out.append(given[spec[1]])
            else:
                step, when = spec[1], spec[2]
                out.append(f'"{(when if step is None else moments[step] + when).isoformat()}"')
            out.append(literal)
        return "".join(out), dict(zip(self.task_ids, ids))


def fresh_ids(n: int) -> list[str]:
    """`n` random (version 4) UUIDs as strings, made in one go."""
    raw = bytearray(os.urandom(16 * n))
    for start in range(0, 16 * n, 16):
        raw[start + 6] = raw[start + 6] & 0x0F | 0x40
        raw[start + 8] = raw[start + 8] & 0x3F | 0x80
    h = raw.hex()
    return [f"{h[j:j + 8]}-{h[j + 8:j + 12]}-{h[j + 12:j + 16]}-{h[j + 16:j + 20]}-{h[j + 20:j + 32]}"
            for j in range(0, 32 * n, 32)]


def _task_ids(state: dict) -> list[str]:
    ids = list(state["tasks"])
    for sub in state.get("subprocesses", {}).values():
        ids.extend(sub["tasks"])
    return ids

