"""Waiting timers recounted under the target version when an instance moves.

A move keeps each waiting timer's due moment unless the analyst asks for it to
be recomputed: then a timer counts its target version's value from the moment
it started (its due moment minus its source value). A complaint 10 days old
whose "15 days" escalation moves to a version that says "10 days" is then due
now, and the next timer sweep escalates it; kept, it would still wait 5 days
although the process view reads "10 days unresolved".

What counts as the start: a duration timer's due moment minus its duration; a
repeating timer with only a period (R/P30D): its coming occurrence minus the
period. A date in the target is simply that date. A timer whose start cannot
be told (a date in the source, a cycle with a start date) keeps its moment.

Working-day timers (`calendar="working-days"`, workflows/calendar.py): one
counted in working days started on the earliest day from which its working
days end at its due moment (a start on a Saturday cannot be told from one on
the Friday before: the Friday is taken); a target that counts working days
counts them from the start on the calendar handed in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.task import TaskState

from ..calendar import PAKISTAN_TIME, WorkingCalendar, counts_working_days, working_due
from ..timers import COUNTED_KEY, TIMER_KEY, is_relative, redated, stored_moment, task_moment, timer_of
from .mapping import spec_name_in_target


@dataclass(frozen=True)
class TimerChange:
    """One waiting timer's due moment before and after the move."""

    task_id: str
    element_id: str  # the timer event in the target version
    name: str | None
    old_due: datetime
    new_due: datetime
    internal_data: dict = field(repr=False, compare=False)  # what the task keeps of its timer, due at new_due

    @property
    def changed(self) -> bool:
        return self.old_due != self.new_due


class TimerNotRecounted(Exception):
    """The target's value of a waiting timer does not evaluate for this instance."""

    def __init__(self, element, detail: str):
        self.element = element  # the timer event's spec in the source version
        self.detail = detail
        super().__init__(f"{element.bpmn_id}: {detail}")


def timer_changes(
    workflow, target, mapping: dict[str, str] | None = None, calendar: WorkingCalendar | None = None
) -> list[TimerChange]:
    """Each waiting timer of `workflow` (restored on its own version) with its due moment under `target`.

    Timers the target has no timer for are left out: the move itself refuses those. `calendar`: the
    province's working days (without it: weekends and public holidays, no closures).
    """
    mapping = mapping or {}
    calendar = calendar or WorkingCalendar()
    changes = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        found = timer_of(task.task_spec)
        old_due = task_moment(task)
        if found is None or old_due is None:
            continue
        counterpart = target_specs(task, target).get(spec_name_in_target(task.task_spec.name, mapping))
        mapped = timer_of(counterpart) if counterpart is not None else None
        if mapped is None:
            continue
        value = task.internal_data[TIMER_KEY]
        try:
            new_value = _recounted(workflow, task, found, mapped, value, old_due, calendar)
        except Exception as exc:  # an expression over data this instance lacks, a value that is no duration
            raise TimerNotRecounted(found[0], f"{type(exc).__name__}: {exc}") from None
        if new_value is None:
            # Counted already, or to be left as it is where the target counts working days.
            counted = bool(task.internal_data.get(COUNTED_KEY)) or counts_working_days(mapped[0])
            kept = {TIMER_KEY: value, COUNTED_KEY: counted}
            changes.append(TimerChange(str(task.id), mapped[0].bpmn_id, mapped[0].bpmn_name, old_due, old_due, kept))
            continue
        counted = isinstance(mapped[1], DurationTimerEventDefinition) and counts_working_days(mapped[0])
        changes.append(TimerChange(str(task.id), mapped[0].bpmn_id, mapped[0].bpmn_name, old_due,
                                   stored_moment(new_value), {TIMER_KEY: new_value, COUNTED_KEY: counted}))
    return changes


def target_specs(task, target) -> dict:
    """The task specs of the target process (or subprocess) that `task` belongs to."""
    if task.workflow is task.workflow.top_workflow:
        return target.spec.task_specs
    spec = target.subprocess_specs.get(task.workflow.spec.name)
    return spec.task_specs if spec is not None else {}


def _recounted(workflow, task, found, mapped, value, old_due: datetime, calendar: WorkingCalendar):
    """The timer's stored value recounted under the target's timer, or None when it keeps its moment."""
    (old_element, old), (new_element, new) = found, mapped
    evaluate = workflow.script_engine.evaluate
    if isinstance(new, TimeDateEventDefinition):
        return redated(value, TimerEventDefinition.get_datetime(evaluate(task, new.expression)))
    if not (is_relative(workflow, task, old) and is_relative(workflow, task, new)):
        return None
    if isinstance(new, CycleTimerEventDefinition) and isinstance(value, dict):
        started = old_due - timedelta(seconds=value["duration"])
        _, _, period = TimerEventDefinition.parse_iso_recurring_interval(evaluate(task, new.expression))
        return {**redated(value, started + period), "duration": period.total_seconds()}
    if isinstance(new, CycleTimerEventDefinition) or isinstance(old, CycleTimerEventDefinition):
        return None  # a cycle and a duration: the move refuses it anyway
    old_duration, new_duration = evaluate(task, old.expression), evaluate(task, new.expression)
    if task.internal_data.get(COUNTED_KEY) and counts_working_days(old_element):
        started = _working_start(calendar, old_due, old_duration)
    else:
        parsed = TimerEventDefinition.parse_iso_duration(old_duration)
        started = old_due - TimerEventDefinition.get_timedelta_from_end(parsed, old_due)
    if counts_working_days(new_element):
        return redated(value, working_due(calendar, started, new_duration))
    parsed = TimerEventDefinition.parse_iso_duration(new_duration)
    return redated(value, started + TimerEventDefinition.get_timedelta_from_start(parsed, started))


def _working_start(calendar: WorkingCalendar, due: datetime, duration: str) -> datetime:
    """The earliest moment from which `duration` counted in working days ends at `due` (working_due backwards)."""
    parsed = TimerEventDefinition.parse_iso_duration(duration)
    weeks, days = parsed.pop("weeks", 0), parsed.pop("days", 0)
    if parsed:  # a time part, months or years were added after the working days
        due -= TimerEventDefinition.get_timedelta_from_end(parsed, due)
    local = due.astimezone(PAKISTAN_TIME)
    day, left = local.date(), int(days + weeks * (7 - len(calendar.weekend)))
    while left > 0:
        if not calendar.is_closed(day):
            left -= 1
        day -= timedelta(days=1)
    while calendar.is_closed(day):  # counting starts after the day it was reached: closed days before add none
        day -= timedelta(days=1)
    return datetime.combine(day, local.timetz()).astimezone(due.tzinfo)
