"""What an administrator does with staff accounts after creating them (accounts.create_staff): edit their
details, move a Deputy Commissioner or District Officer to another post, deactivate or reactivate an
account, force a password change, and (from the command line) make the first administrator and reset a
password.

Every change is written to the audit log (people/audit.py) in the caller's transaction, so an act and
its record land or fail together. The actor is the administrator, or None for the command line.
A change of post or of access (a move, deactivation or reactivation, a password forced or reset) signs
the person out of every browser and revokes their phones' bearer tokens in the same transaction
(`accounts.sign_out_everywhere`), and the entry says how many.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Department, District, Role, User, utcnow
from ..errors import Invalid, NotAllowed, NotFound
from . import accounts, audit, mobile_numbers, passwords
from .identifiers import MOBILE_RE, normalise_mobile
from .profile import EMAIL_RE

USERNAME_RE = re.compile(r"^[a-z0-9._-]{2,60}$")
# Posts tied to a district: their holders can be moved to another district (and an officer to another department).
MOVABLE = (Role.DEPUTY_COMMISSIONER, Role.DISTRICT_OFFICER)


@dataclass
class StaffDetails:
    full_name: str
    username: str
    email: str | None = None
    mobile: str | None = None


def staff_member(session: Session, staff_id: int) -> User:
    """A staff account by id; NotFound for a citizen or nobody (citizens are their DC's to manage)."""
    user = session.get(User, staff_id)
    if user is None or user.role is Role.CITIZEN:
        raise NotFound(f"staff {staff_id}")
    return user


def edit_staff(session: Session, admin: User, staff_id: int, details: StaffDetails) -> User:
    """Change a staff member's name, username, e-mail and mobile number; Invalid names every wrong field."""
    user = staff_member(session, staff_id)
    username = details.username.strip().lower()
    full_name = details.full_name.strip()
    email = (details.email or "").strip() or None
    mobile = normalise_mobile(details.mobile) if details.mobile and details.mobile.strip() else None
    errors: dict[str, list] = {}
    if not USERNAME_RE.match(username):
        errors["username"] = [_l("2 to 60 letters, digits, dots, dashes or underscores.")]
    elif session.scalar(select(User.id).where(User.username == username, User.id != user.id)):
        errors["username"] = [_l("This username is taken.")]
    if not 3 <= len(full_name) <= 120:
        errors["full_name"] = [_l("Write the full name (3 to 120 characters).")]
    if email and (len(email) > 200 or not EMAIL_RE.match(email)):
        errors["email"] = [_l("This is not an e-mail address.")]
    if mobile and not MOBILE_RE.match(mobile):
        errors["mobile"] = [mobile_numbers.BAD_NUMBER]
    elif mobile and session.scalar(select(User.id).where(User.mobile == mobile, User.id != user.id)):
        errors["mobile"] = [_l("This mobile number is already registered.")]
    if errors:
        raise Invalid(errors)
    new = {"full_name": full_name, "username": username, "email": email, "mobile": mobile}
    # Only which fields changed: the log is read by every administrator, a number or address need not be in it.
    changed = sorted(field for field, value in new.items() if getattr(user, field) != value)
    for field in changed:
        setattr(user, field, new[field])
    if changed:
        audit.record(session, admin, "staff.edited", target=user, changed=changed)
    session.flush()
    return user


def move_staff(session: Session, admin: User, staff_id: int, *, district_id: int | None,
               department_id: int | None, now: datetime | None = None) -> accounts.Deactivation:
    """Move a Deputy Commissioner to another district, or a District Officer to another district or
    department. An officer's open tasks go back to the DC first, as when an officer is deactivated:
    the complaints stay where they were, the officer does not."""
    now = now or utcnow()
    user = staff_member(session, staff_id)
    errors: dict[str, list] = {}
    if user.role not in MOVABLE:
        errors["district_id"] = [_l("Only Deputy Commissioners and District Officers are posted to a district.")]
        raise Invalid(errors)
    district = session.get(District, district_id) if district_id else None
    if district is None:
        errors["district_id"] = [_l("Choose the district.")]
    officer = user.role is Role.DISTRICT_OFFICER
    if officer and not (department_id and session.get(Department, department_id)):
        errors["department_id"] = [_l("Choose the department.")]
    if errors:
        raise Invalid(errors)
    department_id = department_id if officer else None
    before = {"district_id": user.district_id, "department_id": user.department_id}
    if before == {"district_id": district.id, "department_id": department_id}:
        return accounts.Deactivation([], [])
    returned = accounts.return_open_work(session, user, admin, why="moved", now=now) if officer else \
        accounts.Deactivation([], [])
    user.district_id, user.division_id, user.department_id = district.id, district.division_id, department_id
    # A new post is a new sign-in: a phone or browser still holding the old district's complaints lets go.
    signed_out = accounts.sign_out_everywhere(session, user, now=now)
    audit.record(session, admin, "staff.moved", target=user, before=before,
                 after={"district_id": district.id, "department_id": department_id},
                 returned=returned.returned, stuck=returned.stuck, **signed_out)
    session.flush()
    return returned


def deactivate_staff(session: Session, admin: User, staff_id: int, *,
                     now: datetime | None = None) -> accounts.Deactivation:
    """Deactivate any staff account: it can no longer sign in, its browsers and phones are signed out, and
    an officer's open tasks go back to the DC. An administrator cannot deactivate their own account
    (the province must never be left without one who can undo it)."""
    now = now or utcnow()
    user = staff_member(session, staff_id)
    if user.id == admin.id:
        raise NotAllowed(_l("You cannot deactivate your own account."))
    if not user.active:
        return accounts.Deactivation([], [])
    user.active, user.deactivated_at = False, now
    signed_out = accounts.sign_out_everywhere(session, user, now=now)
    returned = accounts.Deactivation([], [])
    if user.role is Role.DISTRICT_OFFICER:
        returned = accounts.return_open_work(session, user, admin, why="deactivated", now=now)
    audit.record(session, admin, "staff.deactivated", target=user, returned=returned.returned, stuck=returned.stuck,
                 **signed_out)
    session.flush()
    return returned


def reactivate_staff(session: Session, admin: User, staff_id: int, *, now: datetime | None = None) -> User:
    """The account may sign in again, afresh: whatever was signed in before it was deactivated stays
    signed out (a DC's deactivation of an officer before this rule revoked nothing)."""
    user = staff_member(session, staff_id)
    if not user.active:
        user.active, user.deactivated_at = True, None
        signed_out = accounts.sign_out_everywhere(session, user, now=now or utcnow())
        audit.record(session, admin, "staff.reactivated", target=user, **signed_out)
        session.flush()
    return user


def force_password_change(session: Session, admin: User | None, staff_id: int, *,
                          now: datetime | None = None) -> User:
    """The staff member must choose a new password at their next sign-in; they are signed out everywhere
    now, so the next sign-in comes soon."""
    user = staff_member(session, staff_id)
    user.must_change_password = True
    signed_out = accounts.sign_out_everywhere(session, user, now=now or utcnow())
    audit.record(session, admin, "password.change_forced", target=user, **signed_out)
    session.flush()
    return user


def add_staff(session: Session, admin: User, data: accounts.StaffInput) -> User:
    """An administrator creates a staff account (accounts.create_staff), recorded in the audit log."""
    user = accounts.create_staff(session, data)
    audit.record(session, admin, "staff.created", target=user, role=user.role.value)
    return user


def create_admin(session: Session, *, full_name: str, username: str, password: str,
                 email: str | None = None) -> User:
    """An administrator made from the command line (the first one, or one more); the caller commits.
    The password meets the staff rules (accounts.create_staff checks them)."""
    user = accounts.create_staff(session, accounts.StaffInput(
        role=Role.ADMIN, full_name=full_name, username=username, password=password, email=email or None))
    audit.record(session, None, "staff.created", target=user, role=Role.ADMIN.value, via="cli")
    session.flush()
    return user


def reset_password(session: Session, username: str, password: str, *, must_change: bool,
                   now: datetime | None = None) -> User:
    """An operator sets a staff member's password from the command line (a forgotten administrator's
    password, say). Every browser and phone of theirs is signed out; with `must_change` they choose
    their own at the next sign-in."""
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None or user.role is Role.CITIZEN:
        raise NotFound(f"staff username {username!r}")
    _check_password(password, user)
    passwords.set_password(user, password)
    user.must_change_password = must_change
    signed_out = accounts.sign_out_everywhere(session, user, now=now or utcnow())
    audit.record(session, None, "password.reset", target=user, must_change=must_change, via="cli", **signed_out)
    session.flush()
    return user


def _check_password(password: str, user: User) -> None:
    """The rules every new staff password meets (people/passwords.py)."""
    errors = passwords.new_password_errors(password or "", password or "", staff=True,
                                           personal=passwords.personal_words(user))
    if errors:
        raise Invalid(errors)
