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
    next_timer_due,
    open_tasks,
    restore_process,
    save_state,
    send_signal,
    start_process,
)

__all__ = [
    "Diagram",
    "DiagramError",
    "DiagramRejected",
    "OpenTask",
    "TaskNotOpen",
    "UserTaskInfo",
    "closing_event",
    "complete_task",
    "final_data",
    "fire_timers",
    "is_finished",
    "next_timer_due",
    "open_tasks",
    "parse_diagram",
    "restore_process",
    "save_state",
    "send_signal",
    "start_process",
]
