"""Writing to the audit log (app/models/audit.py), one call in the caller's transaction; and reading it, a page at a time."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from app.models import AuditEntry, User

# What each action code means, for the administrator's audit page; a code without a label is shown as it is.
ACTION_LABELS = {
    "staff.created": _l("Staff account created"),
    "staff.edited": _l("Staff details changed"),
    "staff.moved": _l("Moved to another post"),
    "staff.deactivated": _l("Staff account deactivated"),
    "staff.reactivated": _l("Staff account reactivated"),
    "password.change_forced": _l("Password change required"),
    "password.reset": _l("Password set from the command line"),
    "department.added": _l("Department added"),
    "department.renamed": _l("Department renamed"),
    "department.deactivated": _l("Department deactivated"),
    "department.reactivated": _l("Department reactivated"),
    "category.added": _l("Category added"),
    "category.renamed": _l("Category renamed"),
    "category.deactivated": _l("Category deactivated"),
    "category.reactivated": _l("Category reactivated"),
    "closure.added": _l("Office closure added"),
    "closure.removed": _l("Office closure removed"),
    "personal_data.revealed": _l("CNIC or mobile number shown in full"),
    "personal_data.exported": _l("Citizen downloaded their own data"),
}


def record(session: Session, actor: User | None, action: str, *, target: User | None = None,
           subject: str | None = None, **details) -> AuditEntry:
    """Add an entry for `action` done by `actor` (None: the command line). The caller commits, so the act and
    its record are one transaction. `details` must hold no password, code or secret."""
    entry = AuditEntry(actor=actor, action=action, target_user=target, subject=subject, details=details)
    session.add(entry)
    return entry


PAGE_SIZE = 50


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    page: int
    has_next: bool


def entries(session: Session, *, action: str = "", person: str = "", page: int = 1,
            page_size: int = PAGE_SIZE) -> AuditPage:
    """Newest first, `page_size` a page. `action`: one action code; `person`: a username or part of a
    name, matching whoever did the act or whom it was about."""
    query = select(AuditEntry).options(joinedload(AuditEntry.actor), joinedload(AuditEntry.target_user))
    if action:
        query = query.where(AuditEntry.action == action)
    person = person.strip()
    if person:
        people = select(User.id).where(or_(User.username == person.lower(), User.full_name.ilike(f"%{person}%")))
        query = query.where(or_(AuditEntry.actor_id.in_(people), AuditEntry.target_user_id.in_(people)))
    page = max(page, 1)
    found = list(session.scalars(query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                                 .offset((page - 1) * page_size).limit(page_size + 1)))
    return AuditPage(found[:page_size], page, len(found) > page_size)


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
