"""The timers a process waits on: when each is due, and moving one to another moment.

SpiffWorkflow keeps a waiting timer's due moment in its task's
`internal_data['event_value']`: an ISO string for duration and date timers, a
dict whose `next` is the coming occurrence for a cycle. A timer behind an
event-based gateway waits on the gateway's task. The engine, the simulator, the
instance view and the data generator all read timers through this module, so
that knowledge lives in one place.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway

from .calendar import WorkingCalendar, calendar_duration, counts_working_days, working_due
from .task_walk import reached_tasks

# Where a task keeps its timer's due moment, in its internal data (also once saved).
TIMER_KEY = "event_value"
# Marks a working-day timer whose due moment is already counted in working days (counted once, when reached).
COUNTED_KEY = "working_days_counted"


@dataclass(frozen=True)
class PendingTimer:
    """A timer the process waits on."""

    task_id: str
    element_id: str  # the timer event (behind a gateway: the catch event, not the gateway)
    due: datetime  # UTC; the engine fires it once the clock is strictly past it
    reminder: bool  # leads straight to notices: not a deadline (see engine.next_notice_due)


def waiting_timers(workflow) -> list[PendingTimer]:
    """Every timer the process waits on, in task order."""
    return timers_among(reached_tasks(workflow).waiting)


def timers_among(waiting_tasks) -> list[PendingTimer]:
    """The timers among a process's waiting tasks (workflows.task_walk), in their order."""
    found = []
    for task in waiting_tasks:
        due = task_due(task)
        timer = timer_of(task.task_spec)
        if due is None or timer is None:
            continue
        found.append(PendingTimer(str(task.id), timer[0].bpmn_id, due, _is_reminder(task.task_spec)))
    return found


def set_timer_due(workflow, task_id, moment: datetime) -> None:
    """Make a waiting timer due at `moment` (for a cycle: its coming occurrence)."""
    task = workflow.get_task_from_id(task_id if isinstance(task_id, UUID) else UUID(task_id))
    task.internal_data[TIMER_KEY] = redated(task.internal_data[TIMER_KEY], moment)


def redated(value, moment: datetime):
    """An `event_value` like `value`, due at `moment`."""
    return with_due(value, moment.isoformat())


def with_due(value, iso: str):
    """An `event_value` like `value` whose due moment is the ISO string `iso`."""
    return {**value, "next": iso} if isinstance(value, dict) else iso


def stored_moment(value) -> datetime | None:
    """The moment an `event_value` holds, also for a cycle with no occurrence left."""
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    moment = TimerEventDefinition.get_datetime(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def task_moment(task) -> datetime | None:
    """The moment a task's timer holds (also a cycle's with no occurrence left), or None."""
    return stored_moment(task.internal_data.get(TIMER_KEY))


def task_due(task) -> datetime | None:
    """When a task's timer is next due, or None."""
    return timer_due(task.internal_data.get(TIMER_KEY))


def timer_due(value) -> datetime | None:
    """The next due moment stored in a timer's `event_value` (None: a cycle with no occurrence left)."""
    if isinstance(value, dict) and value.get("cycles") == 0:
        return None
    return stored_moment(value)


def timer_of(task_spec) -> tuple[object, TimerEventDefinition] | None:
    """(element spec, timer definition) of the timer a waiting task stands for, or None.

    A timer behind an event-based gateway waits on the gateway's task:
    SpiffWorkflow moves the definitions of the events that follow the gateway
    into the gateway, in the order of its outputs. The element to show is the
    timer catch event itself.
    """
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        return task_spec, definition
    if isinstance(definition, MultipleEventDefinition):
        for output, inner in zip(task_spec.outputs, definition.event_definitions):
            if isinstance(inner, TimerEventDefinition):
                return output, inner
    return None


def is_relative(workflow, task, definition) -> bool:
    """Whether a timer's due moment was counted from when the process reached it (a duration,
    or a cycle with only a period), rather than taken from a date in the diagram."""
    if isinstance(definition, TimeDateEventDefinition):
        return False
    if isinstance(definition, CycleTimerEventDefinition):
        # A cycle that names a start or end date is absolute; one with only a period is not.
        expression = workflow.script_engine.evaluate(task, definition.expression)
        parts = expression.upper().replace("--", "/").strip("R").split("/")[1:]
        return all(part.startswith("P") for part in parts)
    return True


def notice_of(task_spec) -> str | None:
    """The `notify` property of an event: a message the portal sends when the process passes it."""
    return ((getattr(task_spec, "extensions", None) or {}).get("properties") or {}).get("notify") or None


def _is_reminder(task_spec) -> bool:
    """Whether the timer a waiting task stands for leads straight to notices (a reminder, not a deadline)."""
    if isinstance(task_spec, EventBasedGateway):
        # The gateway takes over its events' definitions, in the order of its outputs.
        pairs = zip(task_spec.outputs, task_spec.event_definition.event_definitions)
        timers = [spec for spec, definition in pairs if isinstance(definition, TimerEventDefinition)]
    else:
        timers = [task_spec]
    return bool(timers) and all(spec.outputs and all(notice_of(out) for out in spec.outputs) for spec in timers)


def count_working_days(workflow, calendar: WorkingCalendar | None) -> None:
    """Re-date the working-day timers the process has just reached, counting their days on `calendar`.

    SpiffWorkflow writes a duration timer's due moment (reached moment + the
    duration in calendar days) when the process reaches it. For a timer whose
    event says `calendar="working-days"` this counts the same duration in
    working days from the same reached moment, once: the due moment stays put
    afterwards (a closure announced later does not move a deadline already
    given). Working days are never fewer than calendar days, so the engine has
    not fired such a timer before this runs. Without a calendar: weekends and
    Pakistan's public holidays, no closures.
    """
    if not _counts_working_days(workflow):
        return  # most diagrams: no timer of theirs counts working days, no walk of the tree needed
    calendar = calendar or WorkingCalendar()
    for task in reached_tasks(workflow).waiting:
        found = timer_of(task.task_spec)
        if found is None or task.internal_data.get(COUNTED_KEY):
            continue
        element, definition = found
        value = task.internal_data.get(TIMER_KEY)
        if value is None or not isinstance(definition, DurationTimerEventDefinition) or not counts_working_days(element):
            continue
        duration = workflow.script_engine.evaluate(task, definition.expression)
        calendar_due = stored_moment(value)
        reached = reached_moment(calendar_due, duration)
        task.internal_data[TIMER_KEY] = redated(value, working_due(calendar, reached, duration))
        task.internal_data[COUNTED_KEY] = True


# Whether any timer of a parsed diagram counts working days, by its process spec (parsed once per version
# and shared by every instance restored from it; forgotten with it).
_WORKING_DAY_SPECS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _counts_working_days(workflow) -> bool:
    spec = workflow.spec
    found = _WORKING_DAY_SPECS.get(spec)
    if found is None:
        specs = (spec, *workflow.subprocess_specs.values())
        found = _WORKING_DAY_SPECS[spec] = any(
            counts_working_days(task_spec) for each in specs for task_spec in each.task_specs.values())
    return found


def reached_moment(calendar_due: datetime, duration: str) -> datetime:
    """When the process reached a duration timer SpiffWorkflow dated `calendar_due` (its duration before)."""
    # Days, weeks and times last the same from any start; only months vary, and a working-day timer of
    # months is rare enough that the month before the due moment is close enough.
    estimate = calendar_due - calendar_duration(calendar_due, duration)
    return calendar_due - calendar_duration(estimate, duration)
