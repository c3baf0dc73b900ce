"""The forms a diagram's user tasks can name with their `formKey` property.

A form key is the contract between a diagram and the portal: it says which
fields a person fills in, how they are validated, which task-data keys the
process then reads (`writes`), and what the step changes on the complaint.
A new user task in a diagram can reuse any key listed here without code.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import product

from flask_babel import get_translations, lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from wtforms import Form

from ..models import Complaint, User


class _Catalogues:
    """WTForms' own messages ("Not a valid choice.") through the portal's catalogues, in the language of
    the moment; WTForms formats them itself, so they pass through untouched by flask_babel's formatting."""

    def gettext(self, string):
        return get_translations().gettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ngettext(singular, plural, n)


class PortalForm(Form):
    """The base of every task form: labels and messages are lazy strings, WTForms' own ones translated too."""

    class Meta:
        def get_translations(self, form):
            return _Catalogues()


def _n(singular: str, plural: str) -> tuple[str, str]:
    """Marks a plural message for `make translations` (keyword _n:1,2) without translating it here."""
    return singular, plural


# WTForms' messages these forms can show, listed so that `make translations` extracts them for translators.
WTFORMS_MESSAGES = (
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _n("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters."),
)


@dataclass
class FormContext:
    """What a form may look at while it is prepared, validated and applied."""

    session: Session
    complaint: Complaint
    actor: User | None
    # Rows a choice list read, kept referenced while the form lives: the session holds loaded rows weakly,
    # and applying the form (the chosen officer) would read them again.
    read: list = field(default_factory=list)


@dataclass(frozen=True)
class TaskForm:
    key: str
    title: str  # a lazy string: shown in the reader's language
    form_class: type[Form]
    # Task-data keys the process can read after this form is submitted.
    writes: tuple[str, ...]
    to_data: Callable[[Form], dict]
    # Sets choices that depend on the complaint (officers of its district...).
    prepare: Callable[[Form, FormContext], None] = lambda form, ctx: None
    # Changes the complaint row beyond the process state; returns the timeline event it makes:
    # (kind, note: the person's own words or None, details: the facts its line is made of; see casework/events.py).
    apply: Callable[[dict, FormContext], tuple[str, str | None, dict]] = lambda data, ctx: ("task_completed", None, {})
    # Photos and PDF documents may come with it (an officer's evidence).
    accepts_attachments: bool = False
    # The fields whose answers steer the process (e.g. the outcome): deploy explores a diagram with
    # each combination of their choices (see answer_sets).
    decisive: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


_REGISTRY: dict[str, TaskForm] = {}


def register(task_form: TaskForm) -> TaskForm:
    if task_form.key in _REGISTRY:
        raise ValueError(f"form key {task_form.key!r} registered twice")
    _REGISTRY[task_form.key] = task_form
    return task_form


def get_task_form(key: str) -> TaskForm:
    return _REGISTRY[key]


def form_keys() -> frozenset[str]:
    return frozenset(_REGISTRY)


def all_task_forms() -> list[TaskForm]:
    return sorted(_REGISTRY.values(), key=lambda f: f.key)


def answer_sets(task_form: TaskForm) -> list[dict]:
    """The task data this form submits for each combination of its decisive fields' choices.

    The other fields get a sample (their first choice, "1" for choices that depend on the complaint,
    "x" for text). A choice list filled per complaint (officers of its district) is tried blank and
    with a sample id, since conditions may test whether one was chosen. The answers are not
    validated (that needs a complaint), so a combination the form would refuse may be among them:
    exploring a little more than people can submit is safe; less would not be.
    """
    form = task_form.form_class()
    values = {}
    for form_field in form:
        choices = getattr(form_field, "choices", None)
        if choices:
            fixed = [str(tuple(choice)[0]) for choice in choices]
        elif hasattr(form_field, "choices"):
            fixed = ["", "1"]
        else:
            fixed = ["x"]
        values[form_field.name] = fixed if form_field.name in task_form.decisive else [next((v for v in fixed if v), "x")]
    found: dict[str, dict] = {}
    for combination in product(*values.values()):
        filled = task_form.form_class(formdata=MultiDict(dict(zip(values, combination))))
        data = task_form.to_data(filled)
        found.setdefault(repr(sorted(data.items())), data)
    return list(found.values())


def all_answer_sets() -> dict[str, list[dict]]:
    """formKey -> the answer sets deploy explores a diagram with."""
    return {task_form.key: answer_sets(task_form) for task_form in all_task_forms()}


def text(field) -> str:
    """A text field's value, stripped; empty when the field was not sent at all."""
    return (field.data or "").strip()
