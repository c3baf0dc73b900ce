"""Engine adapter around SpiffWorkflow. Imports nothing from Flask or `app`."""
from .diagram import Diagram, DiagramError, DiagramRejected, UserTaskInfo, parse_diagram
from .engine import (
    OpenTask,
    TaskNotOpen,
    closing_event,
    complete_task,
    final_data,
    fire_timers,
    is_finished,
    next_notice_due,
    next_timer_due,
    open_tasks,
    restore_process,
    save_state,
    send_signal,
    start_process,
    take_notices,
)
from .timers import PendingTimer, set_timer_due, waiting_timers

__all__ = [
    "Diagram",
    "DiagramError",
    "DiagramRejected",
    "OpenTask",
    "PendingTimer",
    "TaskNotOpen",
    "UserTaskInfo",
    "closing_event",
    "complete_task",
    "final_data",
    "fire_timers",
    "is_finished",
    "next_notice_due",
    "next_timer_due",
    "open_tasks",
    "parse_diagram",
    "restore_process",
    "save_state",
    "send_signal",
    "set_timer_due",
    "start_process",
    "take_notices",
    "waiting_timers",
]

# The analyst's tools: warnings and instance views, simulation, migration; copying recorded runs.
from .analysis.inspect import InstanceView, OpenElement, WaitingTimer, diagram_warnings, instance_view
from .analysis.migration import MigrationCheck, MigrationRefused, check_migration, migrate_state
from .cloning import RecordedRun, RecordedTimer, StateTemplate  # noqa: E402
from .analysis.simulate import Scenario, ScenarioAnswer, SimStep, SimulationResult, simulate

__all__ += [
    "InstanceView",
    "MigrationCheck",
    "MigrationRefused",
    "OpenElement",
    "RecordedRun",
    "RecordedTimer",
    "Scenario",
    "ScenarioAnswer",
    "SimStep",
    "SimulationResult",
    "StateTemplate",
    "WaitingTimer",
    "check_migration",
    "diagram_warnings",
    "instance_view",
    "migrate_state",
    "simulate",
]
