"""Open311 GeoReport v2, read side: the complaint categories as services and the
complaints as public service requests.

What the public may see is decided here, not in the blueprint. A request shows
its category, office, status, dates, its district as the address and the
location rounded to 3 decimals (about 100 m). It never shows the citizen's
name, CNIC, phone or e-mail, the street address, or photos. The description is
published with phone numbers, CNICs, e-mail addresses, the citizen's name and
the street address cut out. Status notes are fixed phrases chosen by the kind of
the latest timeline event: the notes staff write are free text and name people.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, undefer

from ...models import Category, Complaint, ComplaintEvent, ComplaintStatus, Department, District, utcnow
from ...organisation_data import PROVINCE
from ..casework import events
from ..errors import Invalid, NotFound
from ...place_names import name_in

MAX_SPAN = timedelta(days=90)  # the specification's default and largest window
MAX_REQUESTS = 1000  # the specification's default limit; also our largest page
OPEN, CLOSED = "open", "closed"
COORDINATE_DECIMALS = 3  # ~110 m of latitude: the street, not the house

PUBLIC_NOTES = {
    "lodged": _l("Received; waiting for the Deputy Commissioner to assign it."),
    "assigned": _l("Assigned to a District Officer."),
    "transferred": _l("Transferred to the district it belongs to."),
    "resolved": _l("Resolved by the District Officer; waiting for the citizen's rating."),
    "action_recorded": _l("Needs long-term action (systemic); the officer reports progress."),
    "returned_to_dc": _l("Returned to the Deputy Commissioner to be reassigned."),
    "rated": _l("The citizen rated the resolution."),
    "reopened": _l("Reopened: the citizen was not satisfied with the resolution."),
    "reviewed": _l("Reviewed by a senior officer, who gave instructions."),
    "directive_answered": _l("The Deputy Commissioner acted on the senior officer's instructions."),
    "systemic_reviewed": _l("The Deputy Commissioner reviewed the long-term action."),
}
# The portal writes these lines itself, from role labels and the diagram's end
# event names, so they name nobody and can be published as they are.
SYSTEM_NOTES = {"escalated": _l("Escalated for review."), "closed": _l("Closed.")}
PUBLIC_KINDS = set(PUBLIC_NOTES) | set(SYSTEM_NOTES)

NEWEST_FIRST = (Complaint.created_at.desc(), Complaint.id.desc())

REMOVED = "[removed]"
# Runs of 7 or more digits (phone numbers, CNICs, account numbers), with the
# separators people type between them; and e-mail addresses.
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s\-./]?\d){6,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass
class RequestQuery:
    """GET requests: with `service_request_ids` the other filters are ignored (as the specification says)."""

    service_request_ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    statuses: list[str] = field(default_factory=list)
    page: int = 1
    page_size: int = MAX_REQUESTS


def list_services(session: Session, language: str = "en") -> list[dict]:
    """Every category as a service. `service_name` and `group` are the English names, the key clients
    match on (docs/decisions.md); the `description` is for people, in `language`."""
    categories = session.scalars(
        select(Category).join(Department).where(Category.active, Department.active)
        .options(joinedload(Category.department)).order_by(Department.name, Category.name)
    )
    return [_service(category, language) for category in categories]


def _service(category: Category, language: str) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{name_in(category, language)} ({name_in(category.department, language)})",
        # No category asks for extra attributes, so no client needs a service definition first.
        "metadata": False,
        "type": "realtime",
        "keywords": ", ".join(word.lower() for word in category.code.split("-")),
        "group": category.department.name,
    }


def service_definition(session: Session, service_code: str) -> dict:
    if session.scalar(select(Category.id).where(Category.code == service_code)) is None:
        raise NotFound(f"service_code {service_code}")
    return {"service_code": service_code, "attributes": []}


def list_districts(session: Session) -> list[dict]:
    """The extension list a client picks `district_code` from when posting."""
    districts = session.scalars(select(District).options(joinedload(District.division)).order_by(District.name))
    return [{"district_code": d.code, "name": d.name, "division": d.division.name} for d in districts]


def find_requests(session: Session, query: RequestQuery, *, now: datetime | None = None) -> list[dict]:
    """Public service requests, newest first, at most `page_size` of them."""
    statement = _requests_select()
    ids_parameter = "service_request_id"
    if query.service_request_ids:
        if len(query.service_request_ids) > MAX_REQUESTS:
            too_many = _l("Ask for at most %(count)s requests at a time.", count=MAX_REQUESTS)
            raise Invalid({ids_parameter: [too_many]})
        statement = statement.where(Complaint.tracking_number.in_(query.service_request_ids)).order_by(*NEWEST_FIRST)
    else:
        statement = _filtered(session, statement, query, now or utcnow())
    complaints = session.scalars(statement).unique().all()
    return _public_requests(session, complaints)


def get_request(session: Session, service_request_id: str) -> dict:
    complaint = session.scalars(_requests_select().where(Complaint.tracking_number == service_request_id)).first()
    if complaint is None:
        raise NotFound(f"service_request_id {service_request_id}")
    return _public_requests(session, [complaint])[0]


def request_for_token(session: Session, token: str) -> dict:
    """Requests are created at once, so a token is the tracking number it stands for."""
    found = session.scalar(select(Complaint.tracking_number).where(Complaint.tracking_number == token))
    if found is None:
        raise NotFound(f"token {token}")
    return {"service_request_id": found, "token": token}


def _requests_select():
    return select(Complaint).options(
        joinedload(Complaint.category),
        joinedload(Complaint.department),
        joinedload(Complaint.district),
        joinedload(Complaint.citizen),  # only to cut the citizen's details out of the description
        undefer(Complaint.description),
    )


def _filtered(session: Session, statement, query: RequestQuery, now: datetime):
    errors: dict[str, list[str]] = {}
    start, end = query.start, query.end
    if start and end:
        if end < start:
            errors["end_date"] = [_l("end_date is before start_date.")]
        elif end - start > MAX_SPAN:
            errors["end_date"] = [_l("start_date and end_date may be at most %(days)s days apart.", days=MAX_SPAN.days)]
    elif start:
        end = start + MAX_SPAN
    elif end:
        start = end - MAX_SPAN
    else:
        start, end = now - MAX_SPAN, now
    unknown_statuses = set(query.statuses) - {OPEN, CLOSED}
    if unknown_statuses:
        errors["status"] = [_l("status is open or closed, not %(given)s.", given=", ".join(sorted(unknown_statuses)))]
    category_ids = []
    if query.service_codes:
        codes = dict(session.execute(select(Category.code, Category.id).where(Category.code.in_(query.service_codes))).all())
        unknown_codes = [code for code in query.service_codes if code not in codes]
        if unknown_codes:
            errors["service_code"] = [_l("Unknown service_code %(code)s.", code=", ".join(unknown_codes))]
        category_ids = list(codes.values())
    if query.page < 1:
        errors["page"] = [_l("page counts from 1.")]
    if not 1 <= query.page_size <= MAX_REQUESTS:
        errors["page_size"] = [_l("page_size is 1 to %(count)s.", count=MAX_REQUESTS)]
    if errors:
        raise Invalid(errors)

    statement = statement.where(Complaint.created_at >= start, Complaint.created_at <= end)
    if set(query.statuses) == {OPEN}:
        statement = statement.where(Complaint.status != ComplaintStatus.CLOSED)
    elif set(query.statuses) == {CLOSED}:
        statement = statement.where(Complaint.status == ComplaintStatus.CLOSED)
    if category_ids:
        statement = statement.where(Complaint.category_id.in_(category_ids))
    return (
        statement.order_by(*NEWEST_FIRST)
        .offset((query.page - 1) * query.page_size)
        .limit(query.page_size)
    )


def _public_requests(session: Session, complaints) -> list[dict]:
    notes = _status_notes(session, [c.id for c in complaints])
    return [public_request(c, notes.get(c.id)) for c in complaints]


def _status_notes(session: Session, complaint_ids: list[int]) -> dict[int, str]:
    """The public note of each complaint's latest publishable timeline event, in one query."""
    if not complaint_ids:
        return {}
    latest = (
        select(func.max(ComplaintEvent.id))
        .where(ComplaintEvent.complaint_id.in_(complaint_ids), ComplaintEvent.kind.in_(PUBLIC_KINDS))
        .group_by(ComplaintEvent.complaint_id)
    )
    rows = session.execute(
        select(ComplaintEvent.complaint_id, ComplaintEvent.kind, ComplaintEvent.note, ComplaintEvent.details)
        .where(ComplaintEvent.id.in_(latest))
    )
    return {complaint_id: public_note(kind, note, details) for complaint_id, kind, note, details in rows}


def public_note(kind: str, note: str | None, details: dict | None = None) -> str:
    """The published line, rendered now (in the language of the request that reads it)."""
    if kind in SYSTEM_NOTES:
        return str(events.describe(kind, note, details) or SYSTEM_NOTES[kind])
    return str(PUBLIC_NOTES[kind])


def public_request(complaint: Complaint, status_notes: str | None) -> dict:
    """A complaint as the specification's service request, with nothing that identifies the citizen."""
    is_open = complaint.status is not ComplaintStatus.CLOSED
    return {
        "service_request_id": complaint.tracking_number,
        "status": OPEN if is_open else CLOSED,
        "status_notes": status_notes,
        "service_name": complaint.category.name,
        "service_code": complaint.category.code,
        "description": redact(complaint.description, complaint),
        "agency_responsible": f"{complaint.department.name}, {complaint.district.name}",
        "service_notice": None,
        "requested_datetime": complaint.created_at,
        "updated_datetime": complaint.updated_at,
        "expected_datetime": complaint.next_deadline_at if is_open else None,
        "address": f"{complaint.district.name} District, {PROVINCE['name']}",
        "lat": _rounded(complaint.latitude),
        "long": _rounded(complaint.longitude),
    }


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, COORDINATE_DECIMALS)


def redact(text: str, complaint: Complaint) -> str:
    """`text` without what could identify the citizen who lodged `complaint`."""
    citizen = complaint.citizen
    text = _EMAIL.sub(REMOVED, text or "")
    text = _DIGIT_RUN.sub(REMOVED, text)
    phrases = [complaint.address, citizen.email]
    # A citizen with a username is the service account of an Open311 client, whose name is no person's.
    if citizen.username is None:
        # Each part of the name too: "Mr. Khan" names the citizen as well as "Bilal Khan" does.
        phrases += [citizen.full_name, *(part for part in re.split(r"\W+", citizen.full_name) if len(part) >= 3)]
    # A phrase matches however it is spaced, punctuated or cased ("house #12,street-4" is "House 12, Street 4"):
    # its words in order, anything that is not a letter or digit between them.
    wordings = {tuple(words) for words in (_words(p.lower()) for p in phrases if p) if words}
    # Most descriptions hold none of them: test cheaply (words run together) before building a pattern.
    run_together = "".join(_words(text.lower()))
    found = sorted((w for w in wordings if "".join(w) in run_together), key=lambda w: len("".join(w)), reverse=True)
    if found:
        pattern = "|".join(r"\W*".join(re.escape(word) for word in words) for words in found)
        text = re.sub(rf"(?<!\w)(?:{pattern})(?!\w)", REMOVED, text, flags=re.IGNORECASE)
    return text
