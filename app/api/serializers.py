"""JSON shapes of the API's resources (the OpenAPI document describes the same shapes).

Citizens see staff by their role, never by name, as on the pages.
"""
from __future__ import annotations

from datetime import datetime

from flask import url_for
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from ..models import STATUS_LABELS, Attachment, Complaint, ComplaintEvent, HumanTask, Role, User
from ..services.casework import events

FIELD_TYPES = {
    "RadioField": "choice",
    "SelectField": "choice",
    "TextAreaField": "text",
    "StringField": "string",
    "IntegerField": "integer",
    "DecimalField": "number",
    "FloatField": "number",
    "BooleanField": "boolean",
}


def when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def ref(row) -> dict | None:
    """A division, district, department or category: its id and names (see `names`)."""
    return {"id": row.id, **names(row)} if row is not None else None


def names(row) -> dict:
    """English `name` (stable, whatever the request's language) and the Urdu and Pashto names (null: use `name`).

    All three rather than one chosen by Accept-Language: the app switches language
    without fetching again, caches stay valid for every reader, and `name` keeps
    one meaning for every client.
    """
    return {"name": row.name, "name_ur": row.name_ur, "name_ps": row.name_ps}


def user(u: User) -> dict:
    return {
        "id": u.id,
        "role": u.role.value,
        "role_label": u.role.label,
        "full_name": u.full_name,
        "username": u.username,
        "cnic": u.cnic,
        "mobile": u.mobile,
        "mobile_confirmed": u.mobile_confirmed_at is not None,
        "email": u.email,
        "language": u.language,
        "district": ref(u.district),
        "division": ref(u.division),
        "department": ref(u.department),
        "created_at": when(u.created_at),
    }


def account(u: User, *, pending_mobile: str | None, sms_notices: dict[str, bool]) -> dict:
    """The caller's own account: the profile, the number waiting for its code, the SMS choices."""
    return {**user(u), "pending_mobile": pending_mobile, "sms_notices": sms_notices,
            "must_change_password": u.must_change_password}


def person(u: User | None, viewer: User) -> dict | None:
    if u is None:
        return None
    shown = viewer.is_staff or u.role is Role.CITIZEN
    return {"role": u.role.value, "role_label": u.role.label, "name": u.full_name if shown else None}


def complaint_summary(c: Complaint) -> dict:
    return {
        "id": c.id,
        "tracking_number": c.tracking_number,
        "subject": c.subject,
        "status": c.status.value,
        "status_label": c.status.label,
        "category": ref(c.category),
        "department": ref(c.department),
        "district": ref(c.district),
        "escalation_level": c.escalation_level,
        "rating": c.rating,
        "satisfied": c.satisfied,
        "closure": c.closure,
        "created_at": when(c.created_at),
        "updated_at": when(c.updated_at),
        "url": url_for("api.complaint", complaint_id=c.id),
    }


def candidate(c) -> dict:
    """An open complaint that may be the one a citizen is about to lodge: never who lodged it or its text."""
    return {
        "id": c.id,
        "subject": c.subject,
        "created_at": when(c.created_at),
        "status": c.status.value,
        "status_label": str(STATUS_LABELS[c.status]),
        "supported": c.supported,
        "support_url": url_for("api.support", complaint_id=c.id),
    }


def complaint_detail(
    c: Complaint,
    viewer: User,
    *,
    events: list[ComplaintEvent],
    open_tasks: list[HumanTask],
    attachments: list[Attachment],
    my_task: HumanTask | None,
    citizen: dict | None = None,
) -> dict:
    return {
        **complaint_summary(c),
        # For staff: who lodged it, CNIC and number masked (api/personal_data.py); null for the citizen.
        "citizen": citizen,
        "description": c.description,
        "address": c.address,
        "latitude": c.latitude,
        "longitude": c.longitude,
        "next_deadline_at": when(c.next_deadline_at),
        "reopen_count": c.reopen_count,
        "resolved_at": when(c.resolved_at),
        "closed_at": when(c.closed_at),
        "current_step": [step(t, viewer) for t in open_tasks],
        "my_task": task_ref(my_task) if my_task else None,
        "timeline": [event(e, viewer) for e in events],
        "attachments": [attachment(a, viewer) for a in attachments],
    }


def step(t: HumanTask, viewer: User) -> dict:
    """An open task as "where the complaint is now": its name and who holds it."""
    return {
        "name": t.name,
        "role": t.role.value,
        "role_label": t.role.label,
        "assignee": person(t.assignee, viewer),
        "since": when(t.created_at),
        "due_at": when(t.due_at),
    }


def event(e: ComplaintEvent, viewer: User) -> dict:
    """`note` is the line as the pages show it, in the reader's language (made from the event's kind and facts)."""
    text = events.text(e)
    return {"id": e.id, "kind": e.kind, "note": None if text is None else str(text), "at": when(e.created_at),
            "actor": person(e.actor, viewer)}


def attachment(a: Attachment, viewer: User) -> dict:
    photo = a.kind == "photo"
    return {
        "id": a.id,
        "purpose": a.purpose,
        "kind": a.kind,
        "content_type": a.content_type,
        "size": a.size,
        "filename": a.original_filename,
        "added_by": person(a.uploaded_by, viewer),
        "added_at": when(a.created_at),
        "url": url_for("api.attachment", attachment_id=a.id),
        "thumbnail_url": url_for("api.attachment_thumbnail", attachment_id=a.id) if photo else None,
    }


def task_ref(t: HumanTask) -> dict:
    return {"id": t.id, "name": t.name, "form_key": t.form_key, "url": url_for("api.task", task_id=t.id)}


def task(t: HumanTask) -> dict:
    c = t.complaint
    return {
        **task_ref(t),
        "role": t.role.value,
        "escalation_level": t.escalation_level,
        "created_at": when(t.created_at),
        "due_at": when(t.due_at),
        "completed_at": when(t.completed_at),
        "complaint": {
            "id": c.id,
            "tracking_number": c.tracking_number,
            "subject": c.subject,
            "status": c.status.value,
            "district": ref(c.district),
            "next_deadline_at": when(c.next_deadline_at),
            "url": url_for("api.complaint", complaint_id=c.id),
        },
    }


def form_fields(form) -> list[dict]:
    """Describe a registered WTForms form: what a client must send to complete the task."""
    return [form_field(f) for f in form]


def form_field(f) -> dict:
    described = {
        "name": f.name,
        "type": FIELD_TYPES.get(f.type, f.type.removesuffix("Field").lower()),
        "label": str(f.label.text),
        "required": any(isinstance(v, (InputRequired, DataRequired)) for v in f.validators),
        "max_length": next((v.max for v in f.validators if isinstance(v, Length) and v.max >= 0), None),
        "choices": None,
    }
    if getattr(f, "choices", None) is not None:
        choices = [SelectChoice.from_input(c) for c in f.choices]
        described["choices"] = [{"value": "" if c.value is None else str(c.value), "label": str(c.label)} for c in choices]
    return described
