"""What went wrong when a process failed at run time, as plain facts an analyst can act on.

SpiffWorkflow raises `WorkflowTaskException` when a condition or script of the
diagram fails; it names the task (hence the element) and the underlying error
(`error_type`, and the original exception as its context). Anything else (a
state that cannot be restored, a bug) is described by its type and message,
with no element.

Messages can quote task data (a script's ValueError shows the value it choked
on), so long runs of digits (CNIC, mobile numbers) and e-mail addresses are
masked before the facts leave here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

MESSAGE_LIMIT = 1000
_DIGITS = re.compile(r"\d{5,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@dataclass(frozen=True)
class RunFailure:
    element_id: str | None
    element_name: str | None
    error_type: str
    message: str


def describe_failure(error: BaseException) -> RunFailure:
    """The element that failed (if the engine says), the error's type and its message, masked."""
    element_id = element_name = None
    error_type, message = type(error).__name__, str(error)
    if isinstance(error, WorkflowTaskException):
        # Its str() appends the engine's notes ("Did you mean one of [task data keys]?"): the first argument is the message.
        message = str(error.args[0]) if error.args else message
        spec = getattr(error, "task_spec", None) or getattr(getattr(error, "task", None), "task_spec", None)
        if spec is not None:
            element_id = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
            element_name = getattr(spec, "bpmn_name", None)
        cause = error.__cause__ or error.__context__
        error_type = getattr(error, "error_type", None) or (type(cause).__name__ if cause else error_type)
        if cause is not None and str(cause) not in message:
            message = f"{message}: {cause}"
    return RunFailure(element_id, element_name, error_type[:120], _masked(message)[:MESSAGE_LIMIT])


def _masked(message: str) -> str:
    return _EMAIL.sub("…@…", _DIGITS.sub("…", message))
