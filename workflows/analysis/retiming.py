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
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.task import TaskState

from ..timers import TIMER_KEY, is_relative, redated, stored_moment, task_moment, timer_of
from .mapping import spec_name_in_target


@dataclass(frozen=True)
class TimerChange:
    """One waiting timer's due moment before and after the move."""

    task_id: str
    element_id: str  # the timer event in the target version
    name: str | None
    old_due: datetime
    new_due: datetime
    event_value: object = field(repr=False, compare=False)  # what the task keeps, due at new_due

    @property
    def changed(self) -> bool:
        return self.old_due != self.new_due


class TimerNotRecounted(Exception):
    """The target's value of a waiting timer does not evaluate for this instance."""

    def __init__(self, element, detail: str):
        self.element = element  # the timer event's spec in the source version
        self.detail = detail
        super().__init__(f"{element.bpmn_id}: {detail}")


def timer_changes(workflow, target, mapping: dict[str, str] | None = None) -> list[TimerChange]:
    """Each waiting timer of `workflow` (restored on its own version) with its due moment under `target`.

    Timers the target has no timer for are left out: the move itself refuses those.
    """
    mapping = mapping or {}
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
            new_value = _recounted(workflow, task, found[1], mapped[1], value, old_due)
        except Exception as exc:  # an expression over data this instance lacks, a value that is no duration
            raise TimerNotRecounted(found[0], f"{type(exc).__name__}: {exc}") from None
        new_due = stored_moment(new_value) if new_value is not None else old_due
        changes.append(TimerChange(str(task.id), mapped[0].bpmn_id, mapped[0].bpmn_name, old_due, new_due,
                                   new_value if new_value is not None else value))
    return changes


def target_specs(task, target) -> dict:
    """The task specs of the target process (or subprocess) that `task` belongs to."""
    if task.workflow is task.workflow.top_workflow:
        return target.spec.task_specs
    spec = target.subprocess_specs.get(task.workflow.spec.name)
    return spec.task_specs if spec is not None else {}


def _recounted(workflow, task, old: TimerEventDefinition, new: TimerEventDefinition, value, old_due: datetime):
    """The timer's stored value recounted under `new`, or None when it keeps its moment."""
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
    old_duration = TimerEventDefinition.parse_iso_duration(evaluate(task, old.expression))
    started = old_due - TimerEventDefinition.get_timedelta_from_end(old_duration, old_due)
    new_duration = TimerEventDefinition.parse_iso_duration(evaluate(task, new.expression))
    return redated(value, started + TimerEventDefinition.get_timedelta_from_start(new_duration, started))
