"""Timeline lines: what each kind of event says, in the reader's language.

An event stores its kind, the words a person typed (`note`) and the facts the
portal knows (`details`: names, numbers, which choice), never a finished
sentence: the sentence is made when the timeline is shown, from EVENT_TEXTS,
so an Urdu reader and an English reader see the same event in their language.

Events written before `details` existed hold their whole English sentence in
`note` and no details (None); they are shown as they were written. Every event
written now has a details dict, even an empty one.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime

from flask_babel import LazyString, format_date, get_locale, lazy_gettext as _l, lazy_ngettext as _ln
from sqlalchemy.orm import Session

from ...models import ROLE_LABELS, Complaint, ComplaintEvent, Role, User
from ...task_forms.data_forms import EVENT_KIND as FORM_ANSWERED, YES, NO
from ...task_forms.reviews import REVIEW_ACTIONS

# The heading of each kind of line; an unknown kind shows its name.
EVENT_TITLES = {
    "lodged": _l("Lodged"),
    "assigned": _l("Assigned"),
    "transferred": _l("Transferred"),
    "resolved": _l("Resolved"),
    "action_recorded": _l("Action recorded"),
    "returned_to_dc": _l("Returned to dc"),
    "rated": _l("Rated"),
    "reopened": _l("Reopened"),
    "reviewed": _l("Reviewed"),
    "directive_answered": _l("Directive answered"),
    "systemic_reviewed": _l("Systemic reviewed"),
    "escalated": _l("Escalated"),
    "closed": _l("Closed"),
    "migrated": _l("Migrated"),
    "task_completed": _l("Task completed"),
    FORM_ANSWERED: _l("Form completed"),
}


# session.info key: while set (by `collecting`), `record` appends each event it adds to this list.
COLLECTED = "events.collected"


@contextmanager
def collecting(session: Session) -> Iterator[list[ComplaintEvent]]:
    """The events recorded in `session` inside the block, for a caller that answers with them (no read back)."""
    collected = session.info[COLLECTED] = []
    try:
        yield collected
    finally:
        session.info.pop(COLLECTED, None)


def record(
    session: Session,
    complaint: Complaint,
    kind: str,
    *,
    note: str | None = None,
    details: dict | None = None,
    actor: User | None = None,
    now: datetime | None = None,
) -> ComplaintEvent:
    """Add a timeline line: `note` is a person's own words (or the diagram's), `details` the facts."""
    event = ComplaintEvent(
        complaint_id=complaint.id, actor_id=actor.id if actor is not None else None, kind=kind, note=note,
        details=dict(details or {}),
    )
    if now is not None:
        event.created_at = now
    session.add(event)
    collected = session.info.get(COLLECTED)
    if collected is not None:
        collected.append(event)
    return event


def title(kind: str):
    return EVENT_TITLES.get(kind) or kind.replace("_", " ").capitalize()


def text(event: ComplaintEvent):
    """The line's sentence (a lazy string, rendered when shown), or None when it has none."""
    return describe(event.kind, event.note, event.details, actor=event.actor)


def describe(kind: str, note: str | None, details: dict | None, *, actor: User | None = None):
    if details is None:  # written before events had details: its note is its whole text
        return note
    sentence = EVENT_TEXTS.get(kind)
    described = sentence(note, details, actor) if sentence else note
    if details.get("photo"):
        return _l("%(text)s (photo attached)", text=described) if described else _l("(photo attached)")
    if details.get("files"):
        attached = _ln("(%(num)d file attached)", "(%(num)d files attached)", details["files"])
        return _l("%(text)s %(attached)s", text=described, attached=attached) if described else attached
    return described


def _assigned(note, details, actor):
    if note:
        return _l("Assigned to %(officer)s. Instruction: %(instruction)s", officer=details.get("officer", ""),
                  instruction=note)
    return _l("Assigned to %(officer)s", officer=details.get("officer", ""))


def _transferred(note, details, actor):
    return _l("Transferred from %(source)s to %(target)s: %(reason)s", source=details.get("source", ""),
              target=details.get("target", ""), reason=note or "")


def _returned_to_dc(note, details, actor):
    if "deactivated" in details:
        return _l("%(officer)s was deactivated; the complaint is back with the Deputy Commissioner.",
                  officer=details["deactivated"])
    if "moved" in details:
        return _l("%(officer)s moved to another post; the complaint is back with the Deputy Commissioner.",
                  officer=details["moved"])
    return _l("%(action)s — returned to the DC: %(reason)s", action=note or "", reason=details.get("reason", ""))


def _rated(note, details, actor):
    if note:
        return _l("Rated %(rating)s/5: %(comment)s", rating=details.get("rating", ""), comment=note)
    return _l("Rated %(rating)s/5", rating=details.get("rating", ""))


def _reviewed(note, details, actor):
    action = dict(REVIEW_ACTIONS).get(details.get("action"), details.get("action", ""))
    line = _l("%(decision)s: %(instruction)s", decision=action, instruction=note or "")
    if details.get("officer"):
        return _l("%(review)s (officer: %(officer)s)", review=line, officer=details["officer"])
    return line


def _escalated(note, details, actor):
    role = details.get("role")
    label = ROLE_LABELS[Role(role)] if role in {r.value for r in Role} else role
    return _l("Escalated to the %(role)s for review (level %(level)s)", role=label, level=details.get("level", ""))


def _migrated(note, details, actor):
    if details.get("retimed"):
        return _l("Moved from version %(source)s to version %(target)s by %(name)s; its deadlines were recounted "
                  "under version %(target)s", source=details.get("source", ""), target=details.get("target", ""),
                  name=actor.full_name if actor is not None else "")
    return _l("Moved from version %(source)s to version %(target)s by %(name)s", source=details.get("source", ""),
              target=details.get("target", ""), name=actor.full_name if actor is not None else "")


def _form_answered(note, details, actor):
    """An analyst's form: its title and each answer, labels in the reader's language (kept in every language)."""
    return LazyString(_answers_line, details)


def _answers_line(details: dict) -> str:
    locale = get_locale()
    language = locale.language if locale else "en"

    def pick(texts) -> str:
        return (texts or {}).get(language) or (texts or {}).get("en") or ""

    parts = []
    for answer in details.get("answers", []):
        value = answer.get("value")
        if "choice" in answer:
            shown = pick(answer["choice"]) or str(value)
        elif answer.get("kind") == "boolean":
            shown = str(YES if value else NO)
        elif answer.get("kind") == "date":
            shown = format_date(date.fromisoformat(value), "dd MMM y")  # as pk_date shows a day
        else:
            shown = str(value)
        parts.append(str(_l("%(label)s: %(answer)s", label=pick(answer.get("label")) or answer.get("field"), answer=shown)))
    title = pick(details.get("title")) or details.get("form", "")
    return str(_l("%(form)s — %(answers)s", form=title, answers="; ".join(parts))) if parts else title


EVENT_TEXTS: dict[str, Callable] = {
    "assigned": _assigned,
    "transferred": _transferred,
    "action_recorded": lambda note, details, actor: _l("Needs long-term action: %(action)s", action=note or ""),
    "returned_to_dc": _returned_to_dc,
    "rated": _rated,
    "reopened": _rated,
    "reviewed": _reviewed,
    "escalated": _escalated,
    "migrated": _migrated,
    FORM_ANSWERED: _form_answered,
}
