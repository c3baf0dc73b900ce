"""Engine adapter around SpiffWorkflow. Imports nothing from Flask or `app`.

The runtime core, what the portal needs to run complaints: `diagram` (parse and
validate a BPMN file, with the DMN decision tables of `decisions` deployed beside
it), `engine` (start, restore, complete, fire, signal, and `snapshot`, which reads a process once into plain data) and `timers` (reading
and re-dating the timers of a process). The analyst's tools, which read
diagrams and saved states but never run a complaint, live in
`workflows.analysis` (warnings and instance views, simulation, migration).
"""
from .calendar import WorkingCalendar, counts_working_days, working_calendar, working_due
from .diagram import Diagram, DiagramError, DiagramRejected, UserTaskInfo, parse_diagram, process_id_of, rename_process
from .decisions import DecisionFile
from .engine import (
    OpenTask,
    ProcessSnapshot,
    TaskNotOpen,
    closing_event,
    complete_task,
    final_data,
    fire_timers,
    is_finished,
    next_due_times,
    next_notice_due,
    next_timer_due,
    open_tasks,
    restore_process,
    save_state,
    send_signal,
    snapshot,
    start_process,
    take_notices,
)
from .failures import RunFailure, describe_failure
from .forms import check_form_documents
from .timers import PendingTimer, set_timer_due, waiting_timers

__all__ = [
    "DecisionFile",
    "Diagram",
    "DiagramError",
    "DiagramRejected",
    "OpenTask",
    "PendingTimer",
    "ProcessSnapshot",
    "RunFailure",
    "TaskNotOpen",
    "UserTaskInfo",
    "WorkingCalendar",
    "check_form_documents",
    "closing_event",
    "counts_working_days",
    "complete_task",
    "describe_failure",
    "final_data",
    "fire_timers",
    "is_finished",
    "next_due_times",
    "next_notice_due",
    "next_timer_due",
    "open_tasks",
    "parse_diagram",
    "process_id_of",
    "rename_process",
    "restore_process",
    "save_state",
    "send_signal",
    "set_timer_due",
    "snapshot",
    "start_process",
    "take_notices",
    "waiting_timers",
    "working_calendar",
    "working_due",
]
