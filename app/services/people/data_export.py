"""A citizen's own data, as one JSON document they can download (pages and the API give the same).

What the portal holds about them: the account, their complaints with their
timelines and files, the messages sent to them, the complaints they supported,
and where they are signed in. Staff appear by role only ("Deputy
Commissioner"), never by name, id or contact, as on the citizen's own pages:
the export is the citizen's data, not the staff's. Timeline lines carry the
words people typed (`note`), not sentences built from facts that name officers.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, undefer

from ...models import (
    ApiToken, Attachment, Complaint, ComplaintEvent, ComplaintSupporter, Notification, Role, User, UserSession, utcnow,
)
from ..casework import events
from . import audit

EXPORTED = "personal_data.exported"
FORMAT_VERSION = 1


def export_for(session: Session, citizen: User, *, now: datetime | None = None) -> dict:
    """The document for `citizen` (their own, only). The export is recorded in the audit log; the caller commits."""
    now = now or utcnow()
    complaints = list(session.scalars(
        select(Complaint).where(Complaint.citizen_id == citizen.id)
        .options(undefer(Complaint.description), joinedload(Complaint.category), joinedload(Complaint.department),
                 joinedload(Complaint.district))
        .order_by(Complaint.created_at, Complaint.id)
    ).unique())
    ids = [c.id for c in complaints]
    timeline = _by_complaint(session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id.in_(ids)).options(joinedload(ComplaintEvent.actor))
        .order_by(ComplaintEvent.created_at, ComplaintEvent.id)
    )) if ids else {}
    files = _by_complaint(session.scalars(
        select(Attachment).where(Attachment.complaint_id.in_(ids)).options(joinedload(Attachment.uploaded_by))
        .order_by(Attachment.id)
    )) if ids else {}
    document = {
        "format": FORMAT_VERSION,
        "exported_at": _when(now),
        "account": _account(citizen),
        "complaints": [_complaint(c, citizen, timeline.get(c.id, []), files.get(c.id, [])) for c in complaints],
        "supported_complaints": _supported(session, citizen),
        "notifications": _notifications(session, citizen),
        "sessions": _sessions(session, citizen),
        "phones": _phones(session, citizen),
    }
    audit.record(session, citizen, EXPORTED, target=citizen)
    return document


def _by_complaint(rows) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row.complaint_id, []).append(row)
    return grouped


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _name(row) -> str | None:
    return row.name if row is not None else None


def _account(user: User) -> dict:
    return {
        "id": user.id,
        "full_name": user.full_name,
        "cnic": user.cnic,
        "mobile": user.mobile,
        "mobile_confirmed_at": _when(user.mobile_confirmed_at),
        "email": user.email,
        "language": user.language,
        "district": _name(user.district),
        "sms_muted": list(user.sms_muted or []),
        "created_at": _when(user.created_at),
        "blocked_at": _when(user.blocked_at),
        "blocked_reason": user.blocked_reason,
    }


def _role(actor: User | None, citizen: User) -> dict:
    """Who did something, as the citizen may know it: themselves, a role, or the portal."""
    if actor is None:
        return {"role": None, "role_label": None, "you": False}
    return {"role": actor.role.value, "role_label": actor.role.label, "you": actor.id == citizen.id}


def _complaint(c: Complaint, citizen: User, timeline: list[ComplaintEvent], files: list[Attachment]) -> dict:
    return {
        "tracking_number": c.tracking_number,
        "subject": c.subject,
        "description": c.description,
        "category": _name(c.category),
        "department": _name(c.department),
        "district": _name(c.district),
        "address": c.address,
        "latitude": c.latitude,
        "longitude": c.longitude,
        "status": c.status.value,
        "status_label": c.status.label,
        "rating": c.rating,
        "satisfied": c.satisfied,
        "created_at": _when(c.created_at),
        "updated_at": _when(c.updated_at),
        "resolved_at": _when(c.resolved_at),
        "closed_at": _when(c.closed_at),
        "events": [{"kind": e.kind, "title": str(events.title(e.kind)), "note": e.note, "at": _when(e.created_at),
                    "by": _role(e.actor, citizen)} for e in timeline],
        "attachments": [{
            "kind": a.kind,
            "purpose": a.purpose,
            "content_type": a.content_type,
            "size": a.size,
            # A file name an officer gave may name them: only the citizen's own are listed by name.
            "filename": a.original_filename if a.uploaded_by_id == citizen.id else None,
            "added_at": _when(a.created_at),
            "added_by": _role(a.uploaded_by, citizen),
        } for a in files],
    }


def _supported(session: Session, citizen: User) -> list[dict]:
    rows = session.execute(
        select(Complaint.tracking_number, Complaint.subject, ComplaintSupporter.created_at)
        .join(ComplaintSupporter, ComplaintSupporter.complaint_id == Complaint.id)
        .where(ComplaintSupporter.citizen_id == citizen.id).order_by(ComplaintSupporter.created_at)
    )
    return [{"tracking_number": number, "subject": subject, "supported_at": _when(at)} for number, subject, at in rows]


def _notifications(session: Session, citizen: User) -> list[dict]:
    rows = session.scalars(select(Notification).where(Notification.user_id == citizen.id)
                           .order_by(Notification.created_at, Notification.id))
    return [{
        "channel": n.channel.value,
        "template": n.template,
        "language": n.language,
        "sent_to": n.address if n.channel.value != "in_app" else None,
        "subject": n.subject,
        "body": n.body,
        "status": n.status.value,
        "created_at": _when(n.created_at),
        "sent_at": _when(n.sent_at),
        "read_at": _when(n.read_at),
    } for n in rows]


def _sessions(session: Session, citizen: User) -> list[dict]:
    rows = session.scalars(select(UserSession).where(UserSession.user_id == citizen.id).order_by(UserSession.created_at))
    return [{"signed_in_at": _when(r.created_at), "last_seen_at": _when(r.last_seen_at), "browser": r.user_agent,
             "address": r.address} for r in rows]


def _phones(session: Session, citizen: User) -> list[dict]:
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == citizen.id).order_by(ApiToken.created_at))
    return [{"signed_in_at": _when(t.created_at), "last_used_at": _when(t.last_used_at), "expires_at": _when(t.expires_at),
             "signed_out_at": _when(t.revoked_at)} for t in rows]


def is_exportable(user: User) -> bool:
    """Only citizens download their data here; staff records are the administration's."""
    return user.role is Role.CITIZEN
