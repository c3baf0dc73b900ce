"""Accounts: citizens register themselves; staff are created by role and scope.

Registration tells nobody whether a CNIC or number is already registered: the
answer is "we sent a code to this number" either way. A new account gets a code
to prove its number (people/mobile_numbers.py); an existing account's owner
gets an SMS saying someone tried to register with their CNIC or number.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from ...models import (
    LANGUAGES,
    IncidentSource,
    Department,
    District,
    Division,
    HumanTask,
    ProcessInstance,
    Role,
    User,
    utcnow,
)
from ..notifications import outbox
from ..casework import events, processes
from ..errors import Invalid, NotAllowed, NotFound, ProcessIncident
from .. import rate_limits
from ..interop import api_tokens
from . import audit, mobile_numbers, passwords, tries, user_sessions
from .identifiers import CNIC_RE, MOBILE_RE, login_key, normalise_cnic, normalise_mobile  # others read them here too

# The signal the diagram catches to take casework away from an officer.
REDIRECT_SIGNAL = "case_redirected"
ATTEMPT_TEMPLATE = "registration_attempt"


@dataclass
class Registration:
    full_name: str
    cnic: str
    mobile: str
    district_id: int | None
    password: str
    password_confirm: str
    language: str = "en"


def register_citizen(session: Session, data: Registration, *, address: str | None, pepper: str,
                     now: datetime | None = None) -> User | None:
    """A citizen registers: a new account whose number waits for its code, sent by SMS; the caller commits.

    None when the CNIC or the number is already registered: no account is made,
    and the owner is told by SMS instead. The caller answers the same either way.
    `address` is the client's, for the rate limits (None: not a web client).
    """
    now = now or utcnow()
    cnic, mobile, district = _check_registration(session, data)
    # Hashed before anything is looked up: the same work whether or not the account exists.
    password_hash = hash_password(data.password)
    mobile_numbers.check_send_limits(session, mobile, user=None, address=address, now=now)
    owners = session.scalars(select(User).where(or_(User.cnic == cnic, User.mobile == mobile)).order_by(User.id)).all()
    if owners:
        for owner in owners:
            mobile_numbers.warn_owner(session, owner, ATTEMPT_TEMPLATE, now=now)
        session.flush()
        return None
    user = _new_citizen(data, cnic, None, district, password_hash, now)
    session.add(user)
    session.flush()
    mobile_numbers.deliver_code(session, user, mobile, pepper=pepper, now=now)
    return user


def create_citizen(session: Session, data: Registration, *, now: datetime | None = None) -> User:
    """A citizen account whose number needs no code (demo data, imports, tests); the caller commits.

    Unlike `register_citizen` it says plainly when the CNIC or number is taken: its callers are not strangers.
    """
    now = now or utcnow()
    cnic, mobile, district = _check_registration(session, data)
    errors: dict[str, list[str]] = {}
    if session.scalar(select(User.id).where(User.cnic == cnic)):
        errors["cnic"] = [_l("This CNIC is already registered.")]
    if session.scalar(select(User.id).where(User.mobile == mobile)):
        errors["mobile"] = [_l("This mobile number is already registered.")]
    if errors:
        raise Invalid(errors)
    user = _new_citizen(data, cnic, mobile, district, hash_password(data.password), now)
    user.mobile_confirmed_at = now
    session.add(user)
    session.flush()
    outbox.notify_user_registered(session, user, now=now)
    return user


def _check_registration(session: Session, data: Registration) -> tuple[str, str, District]:
    """The form's own rules (never whether an account exists); Invalid with every wrong field."""
    cnic, mobile = normalise_cnic(data.cnic), normalise_mobile(data.mobile)
    errors: dict[str, list[str]] = {}
    if not 3 <= len(data.full_name.strip()) <= 120:
        errors["full_name"] = [_l("Write your full name (3 to 120 characters).")]
    if not CNIC_RE.match(cnic):
        errors["cnic"] = [_l("A CNIC has 13 digits, e.g. 17301-1234567-1.")]
    if not MOBILE_RE.match(mobile):
        errors["mobile"] = [mobile_numbers.BAD_NUMBER]
    district = session.get(District, data.district_id) if data.district_id else None
    if district is None:
        errors["district_id"] = [_l("Choose your district.")]
    if data.language not in LANGUAGES:
        errors["language"] = [_l("Choose English, Urdu or Pashto.")]
    errors.update(passwords.new_password_errors(data.password, data.password_confirm, staff=False,
                                                personal=(data.full_name, cnic, mobile)))
    if errors:
        raise Invalid(errors)
    return cnic, mobile, district


def _new_citizen(data: Registration, cnic: str, mobile: str | None, district: District, password_hash: str,
                 now: datetime) -> User:
    return User(
        role=Role.CITIZEN,
        full_name=data.full_name.strip(),
        cnic=cnic,
        mobile=mobile,
        language=data.language,
        district_id=district.id,
        division_id=district.division_id,
        password_hash=password_hash,
        created_at=now,
    )


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def set_language(session: Session, user: User, language: str) -> None:
    """The language the user reads pages, SMS and email in."""
    if language not in LANGUAGES:
        raise Invalid({"language": [_l("Choose English, Urdu or Pashto.")]})
    user.language = language
    session.flush()


def find_by_login(session: Session, login: str) -> User | None:
    """The account whose username, CNIC or mobile number this is, however it is written."""
    login = (login or "").strip()
    candidates = {login, normalise_cnic(login), normalise_mobile(login)}
    return session.scalar(
        select(User).where(or_(User.username.in_(candidates), User.cnic.in_(candidates), User.mobile.in_(candidates)))
    )


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The account for a username, CNIC or mobile number and password; None if they do not match (not throttled:
    people sign in through `start_sign_in`)."""
    user = find_by_login(session, login)
    if user is None or not check_password_hash(user.password_hash, password or ""):
        return None
    return user


@dataclass(frozen=True)
class SignInTry:
    """A try of a password, counted (people/tries.py) and not yet checked."""

    user: User | None
    account: str  # its bucket: the account's id, or the login's hash when it names no account
    address: str | None


def start_sign_in(session: Session, login: str, *, address: str | None, now: datetime | None = None) -> SignInTry:
    """Count a sign-in try for this login and address; TooManyTries when it must wait.

    The caller commits at once, before `finish_sign_in` compares the password: the try counts even if
    the request then fails.
    """
    user = find_by_login(session, login)
    account = str(user.id) if user else "login-" + rate_limits.bucket_part(login_key(login or ""))
    tries.claim(session, tries.SIGN_IN, account=account, address=address, field="password", now=now)
    return SignInTry(user, account, address)


def finish_sign_in(session: Session, attempt: SignInTry, password: str) -> User | None:
    """The account if the password is right (its streak of tries ends; a password today's rules
    refuse marks it to be changed); None if not. The caller commits, also after None."""
    user = attempt.user
    if not check_password_hash(user.password_hash if user else _nobody(), password or "") or user is None:
        return None
    tries.succeeded(session, tries.SIGN_IN, account=attempt.account, address=attempt.address)
    passwords.flag_if_weak(user, password)
    session.flush()
    return user


@lru_cache(maxsize=1)
def _nobody() -> str:
    """A hash no password matches, checked when a login names no account: a wrong login costs as long as
    a wrong password, so the time of the answer does not tell whether an account exists."""
    return generate_password_hash(secrets.token_hex(16))


@dataclass
class StaffInput:
    role: Role
    full_name: str
    username: str
    password: str
    district_id: int | None = None
    division_id: int | None = None
    department_id: int | None = None
    email: str | None = None
    mobile: str | None = None


def create_staff(session: Session, data: StaffInput) -> User:
    """Create a staff account with the scope its role needs (used by admins and seeding)."""
    errors: dict[str, list[str]] = {}
    username = data.username.strip().lower()
    if not re.match(r"^[a-z0-9._-]{2,60}$", username):
        errors["username"] = [_l("2 to 60 letters, digits, dots, dashes or underscores.")]
    elif session.scalar(select(User.id).where(User.username == username)):
        errors["username"] = [_l("This username is taken.")]
    if not 3 <= len(data.full_name.strip()) <= 120:
        errors["full_name"] = [_l("Write the full name (3 to 120 characters).")]
    errors.update(passwords.new_password_errors(data.password, data.password, staff=True,
                                                personal=(data.full_name, username, data.email or "", data.mobile or "")))
    district = session.get(District, data.district_id) if data.district_id else None
    division_id = district.division_id if district else data.division_id
    if data.role in (Role.DISTRICT_OFFICER, Role.DEPUTY_COMMISSIONER) and district is None:
        errors["district_id"] = [_l("Choose the district.")]
    if data.role is Role.DISTRICT_OFFICER and not (data.department_id and session.get(Department, data.department_id)):
        errors["department_id"] = [_l("Choose the department.")]
    if data.role is Role.COMMISSIONER and not (division_id and session.get(Division, division_id)):
        errors["division_id"] = [_l("Choose the division.")]
    mobile = normalise_mobile(data.mobile) if data.mobile else None
    if mobile and session.scalar(select(User.id).where(User.mobile == mobile)):
        errors["mobile"] = [_l("This mobile number is already registered.")]
    if errors:
        raise Invalid(errors)
    user = User(
        role=data.role,
        full_name=data.full_name.strip(),
        username=username,
        email=data.email,
        mobile=mobile,
        district_id=district.id if district else None,
        division_id=division_id,
        department_id=data.department_id if data.role is Role.DISTRICT_OFFICER else None,
        password_hash=generate_password_hash(data.password),
    )
    session.add(user)
    session.flush()
    return user


def create_officer(session: Session, dc: User, data: StaffInput) -> User:
    """A DC adds a District Officer to their own district."""
    if dc.role is not Role.DEPUTY_COMMISSIONER:
        raise NotAllowed(_l("only a Deputy Commissioner adds District Officers"))
    data.role, data.district_id = Role.DISTRICT_OFFICER, dc.district_id
    officer = create_staff(session, data)
    audit.record(session, dc, "staff.created", target=officer, role=officer.role.value)
    return officer


def officers_of(session: Session, dc: User) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.role == Role.DISTRICT_OFFICER, User.district_id == dc.district_id)
            .order_by(User.active.desc(), User.full_name)
        )
    )


@dataclass
class Deactivation:
    returned: list[int]  # complaints now back with the DC
    stuck: list[int]  # complaints whose diagram has no catcher for the redirect signal


def deactivate_officer(session: Session, dc: User, officer_id: int, *, now: datetime | None = None) -> Deactivation:
    """Deactivate an officer of the DC's district; their open tasks go back to the DC."""
    now = now or utcnow()
    officer = session.get(User, officer_id)
    if dc.role is not Role.DEPUTY_COMMISSIONER or officer is None or officer.role is not Role.DISTRICT_OFFICER:
        raise NotFound(f"officer {officer_id}")
    if officer.district_id != dc.district_id:
        raise NotFound(f"officer {officer_id}")
    officer.active = False
    officer.deactivated_at = now
    signed_out = sign_out_everywhere(session, officer, now=now)
    returned = return_open_work(session, officer, dc, why="deactivated", now=now)
    audit.record(session, dc, "staff.deactivated", target=officer, returned=returned.returned, stuck=returned.stuck,
                 **signed_out)
    return returned


def sign_out_everywhere(session: Session, user: User, *, now: datetime) -> dict[str, int]:
    """End every browser session of `user` and revoke every bearer token of their phones, in the caller's
    transaction: after a change of post or of access (moved, deactivated, reactivated, a password forced
    or reset) nothing signed in before it goes on working. Returns the counts for the audit entry.

    A revoked token stays revoked: reactivating the account does not bring an old phone back (an inactive
    account's tokens are only refused while it is inactive, see api_tokens.authenticate_token)."""
    return {"sessions_ended": user_sessions.end_sessions(session, user),
            "tokens_revoked": api_tokens.revoke_tokens(session, user, now=now)}


# Process data for the diagram, in the portal's language of record; people read the timeline line.
_RETURN_NOTES = {
    "deactivated": "{name} was deactivated; the complaint is back with the Deputy Commissioner.",
    "moved": "{name} moved to another post; the complaint is back with the Deputy Commissioner.",
}


def return_open_work(session: Session, officer: User, actor: User, *, why: str, now: datetime) -> Deactivation:
    """Send every complaint whose open task is assigned to `officer` back to its DC, through the diagram's
    redirect signal: when an officer is deactivated or moved to another district or department.
    `why` ("deactivated" or "moved") is what the timeline tells the citizen and the tiers above."""
    returned, stuck = [], []
    instance_ids = session.scalars(
        select(HumanTask.instance_id)
        .where(HumanTask.assignee_id == officer.id, HumanTask.completed_at.is_(None))
        .distinct()
    ).all()
    for instance_id in instance_ids:
        instance = session.scalar(select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update())
        complaint = instance.complaint
        move = processes.begin(session, instance)
        note = _RETURN_NOTES[why].format(name=officer.full_name)
        try:
            caught = move.send_signal(REDIRECT_SIGNAL, {"action": "direct", "officer_id": None, "instruction": note})
        except processes.ProcessFailed as failed:
            # The whole change rolls back; the page records the incident and tells its reference.
            raise ProcessIncident(complaint.id, failed.failure, IncidentSource.SIGNAL) from failed
        if not caught:
            stuck.append(complaint.id)
            continue
        returned.append(complaint.id)
        if complaint.officer_id == officer.id:
            complaint.officer_id = None
        events.record(session, complaint, "returned_to_dc", details={why: officer.full_name}, actor=actor, now=now)
        move.save(complaint, actor=actor, now=now)
    session.flush()
    return Deactivation(returned, stuck)


def citizens_of(session: Session, dc: User, *, search: str = "", limit: int = 100) -> list[User]:
    query = select(User).where(User.role == Role.CITIZEN, User.district_id == dc.district_id)
    if search:
        like = f"%{search.strip()}%"
        query = query.where(or_(User.full_name.ilike(like), User.cnic.like(like), User.mobile.like(like)))
    return list(session.scalars(query.order_by(User.created_at.desc()).limit(limit)))


def block_citizen(session: Session, dc: User, citizen_id: int, reason: str, *, now: datetime | None = None) -> User:
    citizen = session.get(User, citizen_id)
    if dc.role is not Role.DEPUTY_COMMISSIONER or citizen is None or citizen.role is not Role.CITIZEN:
        raise NotFound(f"citizen {citizen_id}")
    if citizen.district_id != dc.district_id:
        raise NotFound(f"citizen {citizen_id}")
    if not reason or len(reason.strip()) < 5:
        raise Invalid({"reason": [_l("Give the reason for blocking (it is recorded).")]})
    citizen.blocked_at = now or utcnow()
    citizen.blocked_reason = reason.strip()
    citizen.blocked_by_id = dc.id
    session.flush()
    return citizen


def unblock_citizen(session: Session, dc: User, citizen_id: int) -> User:
    citizen = session.get(User, citizen_id)
    if citizen is None or citizen.role is not Role.CITIZEN or citizen.district_id != dc.district_id:
        raise NotFound(f"citizen {citizen_id}")
    if dc.role is not Role.DEPUTY_COMMISSIONER:
        raise NotFound(f"citizen {citizen_id}")
    citizen.blocked_at = citizen.blocked_reason = citizen.blocked_by_id = None
    session.flush()
    return citizen


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)
