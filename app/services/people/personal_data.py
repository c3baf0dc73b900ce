"""Citizens' CNIC and mobile number in staff hands: shown masked, revealed one at a time, each reveal recorded.

Staff pages, lists and API answers show `17301-*****-1` and `0300-*****67`:
enough to tell two people apart and to recognise a number read out on the
phone, not enough to call or to impersonate. A staff member who needs the whole
value (to call the citizen, to check an identity card at a counter) asks for it
with a reason; `reveal` gives it only to staff whose scope includes the citizen
and writes who, whose, which field, when and why into the audit log
(app/models/audit.py) in the same transaction. Administrators read that log
(`access_log`) and export it.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, joinedload

from ...models import AuditEntry, Complaint, Role, User
from ..casework.scope import can_read, complaint_filter
from ..errors import Invalid, NotAllowed, NotFound
from . import audit

REVEALED = "personal_data.revealed"
FIELDS = {"cnic": _l("CNIC"), "mobile": _l("Mobile number")}
# Why a member of staff needs the whole value; "other" must be written out.
REASONS = {
    "contact": _l("To call the citizen about their complaint"),
    "identity": _l("To check the citizen's identity"),
    "official_request": _l("An official or legal request"),
    "other": _l("Another reason (write it below)"),
}
MAX_NOTE = 300
# Who may ask at all: staff who work complaints and administrators (who answer for
# SMS that did not arrive). Analysts study processes, never people; citizens have their own page.
REVEALERS = (Role.DISTRICT_OFFICER, Role.DEPUTY_COMMISSIONER, Role.COMMISSIONER, Role.CHIEF_SECRETARY, Role.ADMIN)
MASK = "*****"


def mask_cnic(cnic: str | None) -> str:
    """17301-*****-1: the district code and the check digit, never the serial."""
    if not cnic:
        return ""
    return f"{cnic[:5]}-{MASK}-{cnic[-1]}" if len(cnic) == 13 else MASK


def mask_mobile(mobile: str | None) -> str:
    """0300-*****67: the network and the last two digits."""
    if not mobile:
        return ""
    return f"{mobile[:4]}-{MASK}{mobile[-2:]}" if len(mobile) == 11 else MASK


def masked(person: User) -> dict[str, str]:
    return {"cnic": mask_cnic(person.cnic), "mobile": mask_mobile(person.mobile)}


def may_ask(viewer: User) -> bool:
    return viewer.role in REVEALERS


def citizen_in_scope(session: Session, viewer: User, person_id: int) -> User:
    """The citizen `person_id` if `viewer` may reveal their data: NotAllowed for roles that never may,
    NotFound for anyone outside the viewer's scope (as if there were no such person)."""
    if not may_ask(viewer):
        raise NotAllowed(_l("Only staff who work complaints can see a citizen's personal data."))
    person = session.get(User, person_id)
    if person is None or person.role is not Role.CITIZEN or not _in_scope(session, viewer, person):
        raise NotFound(f"citizen {person_id}")
    return person


def _in_scope(session: Session, viewer: User, person: User) -> bool:
    # An administrator answers for every account (a code that never arrived); a Deputy Commissioner for the
    # district's citizens (their citizens page lists them all); everyone else reaches a citizen through a
    # complaint of theirs the viewer may read.
    if viewer.role is Role.ADMIN:
        return True
    if viewer.role is Role.DEPUTY_COMMISSIONER and person.district_id == viewer.district_id:
        return True
    return bool(session.scalar(select(exists().where(Complaint.citizen_id == person.id, complaint_filter(viewer)))))


@dataclass(frozen=True)
class RevealRequest:
    field: str
    reason: str
    note: str = ""
    complaint_id: int | None = None  # the complaint the viewer was reading, kept with the record


def reveal(session: Session, viewer: User, person_id: int, request: RevealRequest) -> str:
    """The whole CNIC or mobile number of the citizen, recorded in the audit log (the caller commits)."""
    person = citizen_in_scope(session, viewer, person_id)
    complaint = _context(session, viewer, person, request.complaint_id)
    errors: dict[str, list] = {}
    if request.field not in FIELDS:
        errors["field"] = [_l("Choose the CNIC or the mobile number.")]
    if request.reason not in REASONS:
        errors["reason"] = [_l("Choose why you need it.")]
    note = (request.note or "").strip()
    if request.reason == "other" and len(note) < 5:
        errors["note"] = [_l("Write why you need it (at least 5 characters).")]
    elif len(note) > MAX_NOTE:
        errors["note"] = [_l("At most %(count)s characters.", count=MAX_NOTE)]
    if errors:
        raise Invalid(errors)
    value = getattr(person, request.field)
    if not value:
        raise Invalid({"field": [_l("This citizen has not given one.")]})
    audit.record(session, viewer, REVEALED, target=person,
                 subject=f"complaint:{complaint.id}" if complaint else None,
                 field=request.field, reason=request.reason, note=note or None,
                 tracking_number=complaint.tracking_number if complaint else None)
    session.flush()
    return value


def _context(session: Session, viewer: User, person: User, complaint_id: int | None) -> Complaint | None:
    if complaint_id is None:
        return None
    complaint = session.get(Complaint, complaint_id)
    if complaint is None or complaint.citizen_id != person.id or not can_read(viewer, complaint):
        raise NotFound(f"complaint {complaint_id}")
    return complaint


@dataclass(frozen=True)
class Access:
    """One line of the access log, as pages and the CSV show it."""

    at: datetime
    staff_id: int | None
    staff_name: str
    staff_role: Role | None
    person_id: int | None
    person_name: str
    field: str
    reason: str
    note: str
    tracking_number: str | None

    @property
    def field_label(self):
        return FIELDS.get(self.field, self.field)

    @property
    def reason_label(self):
        return REASONS.get(self.reason, self.reason)


def access_log(session: Session, *, page: int = 1, per_page: int = 50, person_id: int | None = None) -> list[Access]:
    """Newest first, a page at a time; only one person's when `person_id` is given."""
    query = _log_query(person_id).limit(per_page).offset((page - 1) * per_page)
    return [_access(entry) for entry in session.scalars(query)]


def all_accesses(session: Session, *, person_id: int | None = None, batch: int = 1000) -> Iterator[Access]:
    """Every line, newest first, read in batches (the export of a year's log does not sit in memory)."""
    last: tuple[datetime, int] | None = None
    while True:
        query = _log_query(person_id).limit(batch)
        if last is not None:
            query = query.where((AuditEntry.created_at < last[0])
                                | ((AuditEntry.created_at == last[0]) & (AuditEntry.id < last[1])))
        entries = session.scalars(query).all()
        for entry in entries:
            yield _access(entry)
        if len(entries) < batch:
            return
        last = (entries[-1].created_at, entries[-1].id)


def _log_query(person_id: int | None):
    query = (select(AuditEntry).where(AuditEntry.action == REVEALED)
             .options(joinedload(AuditEntry.actor), joinedload(AuditEntry.target_user))
             .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()))
    if person_id is not None:
        query = query.where(AuditEntry.target_user_id == person_id)
    return query


def _access(entry: AuditEntry) -> Access:
    details = entry.details or {}
    return Access(
        at=entry.created_at,
        staff_id=entry.actor_id,
        staff_name=entry.actor.full_name if entry.actor else "",
        staff_role=entry.actor.role if entry.actor else None,
        person_id=entry.target_user_id,
        person_name=entry.target_user.full_name if entry.target_user else "",
        field=details.get("field", ""),
        reason=details.get("reason", ""),
        note=details.get("note") or "",
        tracking_number=details.get("tracking_number"),
    )
