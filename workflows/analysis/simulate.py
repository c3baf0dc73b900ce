"""Run a draft diagram against a scenario, in memory, on a virtual clock.

An analyst asks "with this diagram, when does an unassigned complaint reach the
Commissioner?" before deploying it. The answer comes from the engine itself,
not from reading the XML: the draft is started, each user task is answered as
the scenario says, and timers fire when the virtual clock passes them.

The clock is virtual because the portal serves requests on several threads:
travelling with time-machine would move every thread's clock. Instead the
engine keeps reading the real clock and we move the timers (workflows/timers.py
reads and re-dates them): to let D days pass we write each due moment D days
earlier, then `refresh_timers()` and `do_engine_steps()`.
Timers fire strictly after their moment, as they do in production.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent, IntermediateThrowEvent
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.task import TaskState

from ..calendar import WorkingCalendar, counts_working_days, working_due
from ..diagram import Diagram
from ..engine import complete_task, start_process
from ..notes import Note, sentence
from .inspect import find_task
from ..timers import COUNTED_KEY, is_relative, set_timer_due, task_due, task_moment, timer_of

DAY = timedelta(days=1)
# Timers that must not fire during a step are written this far beyond the real
# clock, so the few milliseconds an engine step takes never fire them early.
_SAFETY = timedelta(minutes=1)
# A loop in the diagram (or a cycle timer with a tiny period) must not hang a web request.
MAX_EVENTS = 2000
KINDS = ("task_opened", "task_completed", "timer_fired", "ended", "signal")
# Data every complaint process starts with (see app/services/complaints.start_process_for).
START_DATA = {"complaint_id": 0, "district_id": None, "department_id": None, "department_code": None,
              "category_code": None, "officer_id": None}


@dataclass(frozen=True)
class ScenarioAnswer:
    """What to submit the n-th time a user task opens, and how many days it stays open first."""

    data: dict
    after_days: float | None = None  # None: the scenario's default_days


@dataclass
class Scenario:
    # element id of a user task -> answers, one per time that task opens. A task
    # with no (more) answers waits forever, so the timers around it can fire.
    steps: dict[str, list[ScenarioAnswer]]
    default_days: float = 1.0
    horizon_days: float = 60
    start_data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SimStep:
    day: float
    kind: str  # one of KINDS
    element_id: str
    name: str
    lane: str | None
    # What happened, in parts app/ words and joins with "; ": Notes, or data as it is (the answer's task data).
    detail: tuple[Note | str, ...] = ()

    @property
    def text(self) -> str:
        """The detail in English (logs, tests); pages word it in the reader's language."""
        return sentence(self.detail)


@dataclass
class SimulationResult:
    steps: list[SimStep]
    finished: bool
    # The day the process finished, the horizon, or the last event when nothing
    # more can happen (every open task has no answer and no timer waits).
    ended_at_day: float
    # Element ids completed, in order: the path to highlight on the diagram.
    path: list[str] = field(default_factory=list)
    stopped: str = ""  # "finished", "horizon", "stuck" or "error"
    error: Note | None = None


def simulate(
    diagram: Diagram, scenario: Scenario, start: datetime | None = None, calendar: WorkingCalendar | None = None
) -> SimulationResult:
    """Run `diagram` under `scenario` from `start` (default: now). Writes nothing anywhere.

    Date timers (`timeDate`) are absolute moments: the engine compares them with
    the real clock when it reaches them, so simulate from today (the default)
    for a diagram that has them. Working-day timers count their days on
    `calendar` (default: weekends and Pakistan's public holidays, no closures)
    from the virtual moment they are reached, so the days they take depend on `start`.
    """
    start = start or datetime.now(timezone.utc)
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    return _Simulation(diagram, scenario, start, calendar or WorkingCalendar()).run()


@dataclass
class _Timer:
    due: timedelta  # virtual moment, since the start
    written: datetime  # the due moment we last wrote, to see what the engine changed
    element: object  # the spec of the timer event
    definition: TimerEventDefinition


@dataclass
class _Pending:
    due: timedelta
    data: dict


class _Simulation:
    def __init__(self, diagram: Diagram, scenario: Scenario, start: datetime, calendar: WorkingCalendar):
        self.diagram = diagram
        self.calendar = calendar
        self.scenario = scenario
        self.start = start
        self.now = timedelta(0)
        self.horizon = timedelta(days=scenario.horizon_days)
        self.steps: list[SimStep] = []
        self.path: list[str] = []
        self.timers: dict = {}  # task id -> _Timer
        self.pending: dict = {}  # task id -> _Pending
        self.openings: dict[str, int] = {}
        self.seen_done: set = set()
        self.seen_open: set = set()
        self.workflow = None

    # -- main loop ---------------------------------------------------------

    def run(self) -> SimulationResult:
        try:
            real = _real_now()
            self.workflow = start_process(self.diagram, {**START_DATA, **self.scenario.start_data})
            self._observe(real, fired=set())
            for _ in range(MAX_EVENTS):
                if self.workflow.is_completed():
                    return self._result("finished")
                event = self._next_event()
                if event is None:
                    return self._result("stuck")
                moment, task_id = event
                if moment > self.horizon:
                    self.now = max(self.now, self.horizon)
                    return self._result("horizon")
                self.now = max(self.now, moment)
                if task_id is not None:
                    self._answer(task_id)
                else:
                    self._fire_timers()
            return self._result("error", Note("loops", {"count": MAX_EVENTS}))
        except Exception as exc:  # a draft may fail anywhere in the engine; report it, do not crash the page
            return self._result("error", _describe_error(exc))

    def _next_event(self):
        """(moment, task id to answer) or (moment, None) for timers; answers win ties.

        A timer fires strictly after its moment, so a task answered at exactly
        that moment is answered first.
        """
        answer = min(((p.due, task_id) for task_id, p in self.pending.items()), default=None, key=lambda e: e[0])
        timer = min((t.due for t in self.timers.values()), default=None)
        if answer is not None and (timer is None or answer[0] <= timer):
            return answer
        return (timer, None) if timer is not None else None

    def _answer(self, task_id) -> None:
        pending = self.pending.pop(task_id)
        task = find_task(self.workflow, task_id)
        spec = task.task_spec
        self._add("task_completed", spec, (_summary(pending.data),) if pending.data else ())
        self.seen_done.add(task_id)
        self.path.append(spec.bpmn_id)
        real = self._write_timers(fire=set())
        complete_task(self.workflow, str(task_id), pending.data)
        self._observe(real, fired=set())

    def _fire_timers(self) -> None:
        due = {task_id for task_id, timer in self.timers.items() if timer.due <= self.now}
        real = self._write_timers(fire=due)
        self.workflow.refresh_timers()
        self.workflow.do_engine_steps()
        self._observe(real, fired=due)

    # -- the virtual clock -------------------------------------------------

    def _write_timers(self, fire: set) -> datetime:
        """Write each timer's due moment relative to the real clock; returns that clock.

        A timer due in d days of virtual time is written d days after the real
        now; one that must fire in this step is written before it.
        """
        real = _real_now()
        for task_id, timer in self.timers.items():
            moment = real - _SAFETY if task_id in fire else real + (timer.due - self.now) + _SAFETY
            set_timer_due(self.workflow, task_id, moment)
            timer.written = moment
        return real

    def _virtual_due(self, task, element, definition, due: datetime, real: datetime) -> timedelta:
        """The virtual moment of a timer the engine has just reached (at self.now).

        Durations (and cycles without a start date) were computed from the real
        clock of this step; the step takes milliseconds, so rounding to whole
        seconds recovers the diagram's duration exactly. Dates are absolute.
        Working days are counted here from the virtual moment: the engine
        counted them from the real one, whose weekends and holidays differ.
        """
        if not is_relative(self.workflow, task, definition):
            return due - self.start
        if counts_working_days(element):
            # Counted here, once: the engine must not count it again from a moment this simulation wrote.
            task.internal_data[COUNTED_KEY] = True
            duration = self.workflow.script_engine.evaluate(task, definition.expression)
            return working_due(self.calendar, self.start + self.now, duration) - self.start
        return self.now + timedelta(seconds=round((due - real).total_seconds()))

    # -- what the engine did -------------------------------------------------

    def _observe(self, real: datetime, fired: set) -> None:
        """Record what the last engine step did, then note new open tasks and timers."""
        workflow = self.workflow
        for task_id in sorted(fired, key=lambda t: self.timers[t].due):
            task = find_task(workflow, task_id)
            timer = self.timers[task_id]
            still_waiting = task is not None and task.state == TaskState.WAITING
            moment = task_moment(task) if still_waiting else None
            if still_waiting and moment == timer.written:
                continue  # never report a firing that did not occur (MAX_EVENTS ends a stuck loop)
            self._add("timer_fired", timer.element, _timer_detail(task, timer), day=timer.due)
            if still_waiting:  # a cycle: the same task waits for its next occurrence
                timer.due += moment - timer.written
                timer.written = moment
            else:
                del self.timers[task_id]

        tasks = list(workflow.get_tasks())
        order = {task.id: n for n, task in enumerate(tasks)}
        done = [t for t in tasks if t.state == TaskState.COMPLETED and t.id not in self.seen_done]
        first_new = len(self.steps)
        for task in sorted(done, key=lambda t: (t.last_state_change, order[t.id])):
            self.seen_done.add(task.id)
            if task.task_spec.bpmn_id:
                self.path.append(task.task_spec.bpmn_id)
                self._report_completed(task, fired)
        if workflow.is_completed():
            ends = [n for n in range(first_new, len(self.steps)) if self.steps[n].kind == "ended"]
            if ends:
                self.steps[ends[-1]] = replace(self.steps[ends[-1]], detail=(Note("process_finishes"),))

        for task in tasks:
            if task.state == TaskState.READY and isinstance(task.task_spec, UserTask) and task.id not in self.seen_open:
                self.seen_open.add(task.id)
                self._opened(task)
        # A task closed by the process (a boundary event) takes its scheduled answer with it.
        for task_id in list(self.pending):
            task = find_task(workflow, task_id)
            if task is None or task.state != TaskState.READY:
                del self.pending[task_id]

        waiting = {}
        for task in workflow.get_tasks(state=TaskState.WAITING):
            found = timer_of(task.task_spec)
            if found is None:
                continue
            known = self.timers.get(task.id)
            if known is not None and task_moment(task) == known.written:
                waiting[task.id] = known
                continue
            due = task_due(task)  # None for a cycle with no occurrence left
            if due is not None:
                virtual = self._virtual_due(task, found[0], found[1], due, real)
                waiting[task.id] = _Timer(virtual, due, found[0], found[1])
        self.timers = waiting

    def _report_completed(self, task, fired: set) -> None:
        spec = task.task_spec
        definition = _event_definition(task)
        if isinstance(definition, TimerEventDefinition):
            # A timer we fired was reported with its moment; one the engine fired
            # by itself was already due when reached (e.g. "PT0S").
            if task.id not in fired and (task.parent is None or task.parent.id not in fired):
                self._add("timer_fired", spec, (Note("fired_at_once"),))
        elif isinstance(definition, SignalEventDefinition):
            self._add("signal", spec, _signal_detail(task, definition))
        elif _notice(spec):
            self._add("signal", spec, (Note("sends_notice", {"notice": _notice(spec)}),))
        elif isinstance(spec, EndEvent):
            self._add("ended", spec, (Note("path_ends"),))

    def _opened(self, task) -> None:
        spec = task.task_spec
        element = spec.bpmn_id
        n = self.openings.get(element, 0)
        self.openings[element] = n + 1
        answers = self.scenario.steps.get(element, [])
        if n < len(answers):
            answer = answers[n]
            days = self.scenario.default_days if answer.after_days is None else answer.after_days
            self.pending[task.id] = _Pending(self.now + timedelta(days=days), dict(answer.data))
            detail = (Note("answered", {"number": n + 1, "count": len(answers), "days": _days(days)}),)
        else:
            detail = (Note("no_answer"),)
        self._add("task_opened", spec, detail)

    # -- results -------------------------------------------------------------

    def _add(self, kind: str, spec, detail: tuple = (), day: timedelta | None = None) -> None:
        self.steps.append(
            SimStep(
                day=_days((self.now if day is None else day) / DAY),
                kind=kind,
                element_id=spec.bpmn_id,
                name=spec.bpmn_name or spec.bpmn_id,
                lane=spec.lane,
                detail=detail,
            )
        )

    def _result(self, stopped: str, error: Note | None = None) -> SimulationResult:
        return SimulationResult(
            steps=self.steps,
            finished=stopped == "finished",
            ended_at_day=_days(self.now / DAY),
            path=self.path,
            stopped=stopped,
            error=error,
        )


def _real_now() -> datetime:
    return datetime.now(timezone.utc)


def _days(value: float) -> float:
    # Virtual moments are exact to the microsecond; drop float noise for display.
    return round(value, 6)


def _event_definition(task):
    """The event definition of a completed event task, also behind an event-based gateway."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, NoneEventDefinition) and task.parent is not None:
        gateway = getattr(task.parent.task_spec, "event_definition", None)
        if isinstance(gateway, MultipleEventDefinition) and task.task_spec in task.parent.task_spec.outputs:
            index = task.parent.task_spec.outputs.index(task.task_spec)
            return gateway.event_definitions[index]
    return definition


def _timer_detail(task, timer: _Timer) -> tuple[Note, ...]:
    repeats = isinstance(timer.definition, CycleTimerEventDefinition)
    detail = (Note("timer_repeats" if repeats else "timer", {"expression": timer.definition.expression}),)
    if isinstance(timer.element, BoundaryEvent):
        name = _attached_name(task)
        detail += (Note("closes_task" if timer.element.cancel_activity else "task_stays_open", {"name": name}),)
    return detail


def _signal_detail(task, definition: SignalEventDefinition) -> tuple[Note, ...]:
    spec = task.task_spec
    if isinstance(spec, (IntermediateThrowEvent, EndEvent)):
        return (Note("throws_signal", {"signal": definition.name}),)
    detail = (Note("catches_signal", {"signal": definition.name}),)
    if isinstance(spec, BoundaryEvent) and spec.cancel_activity:
        detail += (Note("closes_task", {"name": _attached_name(task)}),)
    return detail


def _attached_name(task) -> str | Note:
    """The activity a boundary event is attached to: its sibling under the boundary split."""
    siblings = task.parent.task_spec.outputs if task is not None and task.parent is not None else []
    for spec in siblings:
        if not isinstance(spec, BoundaryEvent):
            return spec.bpmn_name or spec.bpmn_id or spec.name
    return Note("attached_task")


def _notice(spec) -> str | None:
    """The `notify` property of an event: a message the portal sends when the process passes it."""
    return ((getattr(spec, "extensions", None) or {}).get("properties") or {}).get("notify") or None


def _summary(data: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in data.items())


def _describe_error(exc: Exception) -> Note:
    spec = getattr(exc, "task_spec", None)
    element_id = getattr(spec, "bpmn_id", None) if spec is not None else None
    if element_id:
        return Note("engine_error_at", {"id": element_id, "detail": str(exc)})
    return Note("engine_error", {"detail": str(exc)})
