"""Before a citizen lodges: open complaints that may be the same one, and adding one's voice to it.

Candidates are open complaints of the same category in the citizen's own
district (the district whose complaints they may support), lodged by someone
else: within RADIUS_M of the citizen's pin, or, without a pin, at the same
address or locality (one address holding the other, word for word, once the
district's own name is left out). The citizen sees only their subject, date
and status.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import Complaint, ComplaintStatus, ComplaintSupporter, Role, User, utcnow
from ..errors import Conflict, NotAllowed, NotFound

RADIUS_M = 200
EARTH_RADIUS_M = 6_371_008.8  # the mean radius
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180
MAX_CANDIDATES = 5
ADDRESS_ROWS = 500  # newest open complaints of a category and district compared by address
MIN_ADDRESS = 4  # characters of a normalised address; shorter ones ("A", "12") match too much


@dataclass(frozen=True)
class Candidate:
    id: int
    subject: str
    created_at: datetime
    status: ComplaintStatus
    supported: bool  # the citizen has already added their voice to it
    distance_m: float | None = None  # from the pin; None when found by address


def similar_complaints(
    session: Session,
    citizen: User,
    category_id: int | None,
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    district_id: int | None = None,
    address: str = "",
) -> list[Candidate]:
    """Up to MAX_CANDIDATES open complaints the citizen might mean: nearest first, or newest first by address."""
    if citizen.role is not Role.CITIZEN or not category_id or citizen.district_id is None:
        return []
    conditions = open_of_category(citizen, category_id)
    town = _place(citizen.district.name)
    place = _place(address, town)
    if latitude is not None and longitude is not None:
        found = _near(session, conditions, latitude, longitude)
    elif district_id in (None, citizen.district_id) and len(place) >= MIN_ADDRESS:
        found = _at_address(session, conditions, place, town)
    else:
        return []
    if not found:
        return []
    supported = set(session.scalars(select(ComplaintSupporter.complaint_id).where(
        ComplaintSupporter.citizen_id == citizen.id, ComplaintSupporter.complaint_id.in_([c[0] for c in found]))))
    return [Candidate(id_, subject, created_at, status, id_ in supported, distance)
            for id_, subject, created_at, status, distance in found]


def open_of_category(citizen: User, category_id: int) -> tuple:
    """Conditions: open complaints of the category in the citizen's district, lodged by someone else."""
    return (Complaint.category_id == category_id, Complaint.district_id == citizen.district_id,
            Complaint.status != ComplaintStatus.CLOSED, Complaint.citizen_id != citizen.id)


def near_query(conditions, latitude: float, longitude: float) -> Select:
    """The complaints matching `conditions` in a box around the pin, along ix_complaints_category_location."""
    half_lat = RADIUS_M / METRES_PER_DEGREE
    # A degree of longitude shrinks towards the poles; the box stays the circle's width.
    half_lon = half_lat / max(math.cos(math.radians(min(abs(latitude) + half_lat, 89.9))), 1e-6)
    return (select(Complaint.id, Complaint.subject, Complaint.created_at, Complaint.status,
                   Complaint.latitude, Complaint.longitude)
            .where(*conditions, Complaint.latitude.between(latitude - half_lat, latitude + half_lat),
                   Complaint.longitude.between(longitude - half_lon, longitude + half_lon)))


def _near(session: Session, conditions, latitude: float, longitude: float) -> list[tuple]:
    """Within RADIUS_M of the pin: a box on the indexed columns, then the exact distance here."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return []
    rows = session.execute(near_query(conditions, latitude, longitude))
    near = [(id_, subject, created_at, status, distance_m(latitude, longitude, lat, lon))
            for id_, subject, created_at, status, lat, lon in rows]
    near = [row for row in near if row[4] <= RADIUS_M]
    return sorted(near, key=lambda row: (row[4], -row[0]))[:MAX_CANDIDATES]


def address_query(conditions) -> Select:
    """The newest ADDRESS_ROWS complaints matching `conditions` that give an address (compared here, in Python:
    Urdu and English addresses, punctuation and case need the same folding on both sides)."""
    return (select(Complaint.id, Complaint.subject, Complaint.created_at, Complaint.status, Complaint.address)
            .where(*conditions, Complaint.address.is_not(None))
            .order_by(Complaint.created_at.desc(), Complaint.id.desc())
            .limit(ADDRESS_ROWS))


def _at_address(session: Session, conditions, place: str, town: str) -> list[tuple]:
    found = []
    for id_, subject, created_at, status, address in session.execute(address_query(conditions)):
        other = _place(address, town)
        if len(other) >= MIN_ADDRESS and (f" {place} " in f" {other} " or f" {other} " in f" {place} "):
            found.append((id_, subject, created_at, status, None))
            if len(found) == MAX_CANDIDATES:
                break
    return found


def _place(address: str | None, town: str = "") -> str:
    """An address as words only, case folded, without the district's name (every address in the district
    may end with it): "Main Bazaar, Peshawar" → "main bazaar"."""
    kept = "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in (address or "").casefold())
    place = f" {' '.join(kept.split())} "
    if town:
        place = place.replace(f" {town} ", " ")
    return place.strip()


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def support_complaint(
    session: Session, citizen: User, complaint_id: int, *, now: datetime | None = None
) -> tuple[Complaint, bool]:
    """Add the citizen's voice to another citizen's open complaint in their district; the caller commits.

    Returns (the complaint, whether this added a supporter): supporting twice counts once.
    """
    if citizen.role is not Role.CITIZEN or not citizen.is_active:
        raise NotAllowed(_l("Only a citizen can add their voice to a complaint."))
    complaint = session.get(Complaint, complaint_id)
    if complaint is None or complaint.district_id != citizen.district_id:
        raise NotFound(f"complaint {complaint_id}")
    if complaint.citizen_id == citizen.id:
        raise NotAllowed(_l("This is your own complaint: you cannot add your voice to it."))
    if complaint.status is ComplaintStatus.CLOSED:
        raise Conflict(_l("This complaint is closed: please lodge a new one."))
    if _supports(session, citizen, complaint):
        return complaint, False
    try:
        with session.begin_nested():  # a second click arriving at the same moment counts once too
            session.add(ComplaintSupporter(complaint_id=complaint.id, citizen_id=citizen.id,
                                           created_at=now or utcnow()))
    except IntegrityError:
        return complaint, False
    return complaint, True


def _supports(session: Session, citizen: User, complaint: Complaint) -> bool:
    return session.get(ComplaintSupporter, (complaint.id, citizen.id)) is not None


def supporter_counts(session: Session, complaint_ids: list[int]) -> dict[int, int]:
    """{complaint id: supporters} for the complaints that have any (along the table's key)."""
    if not complaint_ids:
        return {}
    return dict(session.execute(
        select(ComplaintSupporter.complaint_id, func.count())
        .where(ComplaintSupporter.complaint_id.in_(complaint_ids))
        .group_by(ComplaintSupporter.complaint_id)
    ).all())

