"""A task state's name, looked up instead of worked out at every change of state.

SpiffWorkflow logs every change of a task's state (`Task._set_state`) and names the state for the log
line twice, in its message and in its extras, before the logger decides whether the line is wanted:
the work is done at every change even when INFO is off, as it is in the portal. Its
`TaskState.get_name` builds its table of names (a dict of nine states and five masks) afresh each time
and, for a value that is not in the table, joins the names of its bits. On the timer sweep that was
3-4 % of an escalation's CPU (py-spy, 2026-12-07), and every person's task and every lodging pays it too.

The names are fixed (the states are class constants), so `name_states_once` puts a cached function in
its place: the same answer for every value (tests/workflows/test_state_names.py compares them for every
value up to twice the highest mask), worked out once per value. It changes no state, no saved byte and
no log line, only how long the name takes.
"""
from __future__ import annotations

from functools import cache

from SpiffWorkflow.util.task import TaskState

_LIBRARY_GET_NAME = TaskState.get_name  # bound to TaskState: the library's own answer


def name_states_once() -> None:
    """Put the cached name in the place of `TaskState.get_name` (once; calling it again changes nothing)."""
    TaskState.get_name = classmethod(_cached_name)


def library_name(state: int) -> str:
    """The name as SpiffWorkflow works it out (the test compares both)."""
    return _LIBRARY_GET_NAME(state)


@cache
def _name_of(state: int) -> str:
    return _LIBRARY_GET_NAME(state)


def _cached_name(cls, state: int) -> str:
    return _name_of(state)
