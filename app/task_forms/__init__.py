"""Task forms, registered by form key (see registry.py)."""
from . import casework, feedback, reviews  # noqa: F401  (registers the forms)
from .registry import FormContext, TaskForm, all_answer_sets, all_task_forms, answer_sets, form_keys, get_task_form

__all__ = ["FormContext", "TaskForm", "all_answer_sets", "all_task_forms", "answer_sets", "form_keys", "get_task_form"]
