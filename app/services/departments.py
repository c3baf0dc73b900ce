"""Departments and their complaint categories as the administrator keeps them: names in English, Urdu and
Pashto, new ones added, old ones deactivated rather than deleted.

A deactivated department or category is no longer offered (lodge forms, the API, Open311 services, new
officers); complaints and officers that already have it keep it, so timelines and statistics stay whole.
Every change is written to the audit log in the caller's transaction.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Category, Department, District, Office, Role, User
from ..models.organisation import LOCAL_NAME_LENGTH
from .errors import Invalid, NotAllowed, NotFound
from .people import audit

KINDS = {"department": Department, "category": Category}
# Codes are what other systems hold (Open311 service codes): capitals, digits and dashes, never changed.
CODE_RE = {"department": re.compile(r"^[A-Z0-9]{2,16}$"), "category": re.compile(r"^[A-Z0-9][A-Z0-9-]{1,39}$")}
NAME_LENGTH = 120


@dataclass
class Names:
    name: str
    name_ur: str | None = None
    name_ps: str | None = None


def all_departments(session: Session) -> list[Department]:
    """Every department, active first, each with all its categories (active or not)."""
    return list(session.scalars(select(Department).order_by(Department.active.desc(), Department.name)))


def rename(session: Session, admin: User, kind: str, row_id: int, names: Names) -> Department | Category:
    row = _row(session, admin, kind, row_id)
    cleaned = _checked_names(names)
    before = row.name
    row.name, row.name_ur, row.name_ps = cleaned.name, cleaned.name_ur, cleaned.name_ps
    audit.record(session, admin, f"{kind}.renamed", subject=f"{kind}:{row.id}", code=row.code, before=before,
                 after=row.name)
    session.flush()
    return row


def set_active(session: Session, admin: User, kind: str, row_id: int, active: bool) -> Department | Category:
    row = _row(session, admin, kind, row_id)
    if row.active != active:
        row.active = active
        audit.record(session, admin, f"{kind}.{'reactivated' if active else 'deactivated'}",
                     subject=f"{kind}:{row.id}", code=row.code, name=row.name)
        session.flush()
    return row


def add_department(session: Session, admin: User, code: str, names: Names) -> Department:
    """A new department, with an office in every district as the seeded ones have."""
    _admins_only(admin)
    code = _checked_code(session, "department", code)
    department = Department(code=code, **vars(_checked_names(names)))
    session.add(department)
    session.flush()
    for district in session.scalars(select(District)):
        session.add(Office(district_id=district.id, department_id=department.id,
                           name=f"{department.name}, {district.name}"))
    audit.record(session, admin, "department.added", subject=f"department:{department.id}", code=code,
                 name=department.name)
    session.flush()
    return department


def add_category(session: Session, admin: User, department_id: int | None, code: str, names: Names) -> Category:
    _admins_only(admin)
    department = session.get(Department, department_id) if department_id else None
    errors: dict[str, list] = {}
    if department is None:
        errors["department_id"] = [_l("Choose the department.")]
    try:
        code = _checked_code(session, "category", code)
    except Invalid as invalid:
        errors.update(invalid.errors)
    try:
        names = _checked_names(names)
    except Invalid as invalid:
        errors.update(invalid.errors)
    if errors:
        raise Invalid(errors)
    category = Category(code=code, department=department, **vars(names))
    session.add(category)
    session.flush()
    audit.record(session, admin, "category.added", subject=f"category:{category.id}", code=code, name=category.name,
                 department=department.code)
    session.flush()
    return category


def _row(session: Session, admin: User, kind: str, row_id: int):
    _admins_only(admin)
    model = KINDS.get(kind)
    row = session.get(model, row_id) if model is not None else None
    if row is None:
        raise NotFound(f"{kind} {row_id}")
    return row


def _admins_only(admin: User) -> None:
    if admin.role is not Role.ADMIN:
        raise NotAllowed(_l("Only an administrator can change departments and categories."))


def _checked_code(session: Session, kind: str, code: str) -> str:
    errors: dict[str, list] = {}
    code = (code or "").strip().upper()
    model = KINDS[kind]
    if not CODE_RE[kind].match(code):
        errors["code"] = [_l("Capital letters, digits and dashes, as in the codes above.")]
    elif session.scalar(select(model.id).where(model.code == code)):
        errors["code"] = [_l("This code is taken.")]
    if errors:
        raise Invalid(errors)
    return code


def _checked_names(names: Names) -> Names:
    cleaned = Names(*(" ".join((value or "").split()) or None for value in (names.name, names.name_ur, names.name_ps)))
    errors: dict[str, list] = {}
    if not cleaned.name or len(cleaned.name) < 3 or len(cleaned.name) > NAME_LENGTH:
        errors["name"] = [_l("Write the English name (3 to %(count)s characters).", count=NAME_LENGTH)]
    for field in ("name_ur", "name_ps"):
        if len(getattr(cleaned, field) or "") > LOCAL_NAME_LENGTH:
            errors[field] = [_l("At most %(count)s characters.", count=LOCAL_NAME_LENGTH)]
    if errors:
        raise Invalid(errors)
    return cleaned
