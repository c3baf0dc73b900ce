"""Lodging complaints and reading them within the reader's scope."""
from __future__ import annotations

import secrets

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, bindparam, func, null, select, text, true, union_all
from sqlalchemy.orm import Session, joinedload

from ...models import (
    Attachment,
    Category,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    District,
    HumanTask,
    IncidentSource,
    ProcessDefinition,
    Role,
    User,
    direct_writes,
    utcnow,
)
from ..notifications import outbox
from . import attachments, deployments, events, places, processes, search
from .. import files
from ..errors import Invalid, MobileUnconfirmed, NotAllowed, NotFound, ProcessIncident
from .scope import can_read, complaint_filter
from ..statistics.dashboards import age_condition, on_pk_day, overdue_condition, resolved_condition


@dataclass
class ComplaintInput:
    category_id: int | None
    district_id: int | None
    subject: str
    description: str
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class Lodged:
    """A complaint just lodged and what its lodging wrote: the answer to the citizen is made from these
    without reading them back (a new complaint has no other events, tasks or attachments)."""

    complaint: Complaint
    events: list[ComplaintEvent]  # its timeline, oldest first
    open_tasks: list[HumanTask]
    attachments: list[Attachment]


class LodgingFailed(ProcessIncident):
    """The complaint's process failed before its first wait (a script, a decision table, a condition).

    The caller rolls the whole lodging back (no complaint, no photo rows: the stored photo files are
    swept as orphans) and records the incident, which names the version and the category instead of
    a complaint; the citizen gets its reference with the form as they filled it in."""

    def __init__(self, failure, definition_id: int | None, category_id: int):
        super().__init__(None, failure, IncidentSource.LODGING, definition_id=definition_id, category_id=category_id)


def submit_complaint(session: Session, citizen: User, data: ComplaintInput, **options) -> Complaint:
    """Lodge a complaint and return it (`lodge_complaint`, same options); the caller commits."""
    return lodge_complaint(session, citizen, data, **options).complaint


def lodge_complaint(
    session: Session,
    citizen: User,
    data: ComplaintInput,
    *,
    photos: Sequence[files.Upload] = (),
    store: files.FileStore | None = None,
    number_vouched: bool = False,
    now: datetime | None = None,
) -> Lodged:
    """Lodge a complaint (with up to 5 photos) and start its process; the caller commits.

    The fields and every photo are checked before anything is written, and all
    that is wrong is told at once. The citizen must have confirmed their mobile
    number with a code, unless `number_vouched`: an Open311 client filed it and
    vouches for the reporter's number. LodgingFailed when the process fails at its start.
    """
    if citizen.role is not Role.CITIZEN or not citizen.is_active:
        raise NotAllowed(_l("only an active citizen account can lodge a complaint"))
    if citizen.mobile_confirmed_at is None and not number_vouched:
        raise MobileUnconfirmed(_l("Confirm your mobile number before you lodge a complaint: enter the code we sent "
                                   "to it by SMS, or ask for a new one."))
    if photos and store is None:
        raise ValueError("photos need a FileStore to be kept in")
    errors: dict = {}
    try:
        category, district, first_reads = _check_complaint(session, data)
    except Invalid as refused:
        errors.update(refused.errors)
    try:
        prepared = attachments.check_uploads(photos, documents=False, field="photos")
    except Invalid as refused:
        errors.update(refused.errors)
    if errors:
        raise Invalid(errors)
    now = now or utcnow()
    reserved_id = first_reads.complaint_id
    complaint = Complaint(
        id=reserved_id,
        # The number is made from the id, known after the insert (unless reserved). The stand-in must differ per
        # lodging: with one shared stand-in ("pending") every lodging in the province waited on the unique index
        # for the one before it to commit, so lodgings ran one at a time.
        tracking_number=tracking_number(reserved_id, now) if reserved_id else f"new-{secrets.token_hex(8)}",
        # The objects, not only their ids: the answer to the citizen reads them without loading them again. The
        # ids too: the process and its inbox rows read them before the insert (which alone copies them over).
        citizen_id=citizen.id,
        citizen=citizen,
        category_id=category.id,
        category=category,
        department_id=category.department_id,
        department=category.department,
        district_id=district.id,
        district=district,
        division_id=district.division_id,
        subject=data.subject.strip(),
        description=data.description.strip(),
        address=data.address.strip() or None,
        latitude=data.latitude,
        longitude=data.longitude,
        status=ComplaintStatus.SUBMITTED,
        escalation_level=0,  # read by the projection before the insert would set the defaults
        reopen_count=0,
        created_at=now,
        updated_at=now,
    )
    session.add(complaint)
    if reserved_id is None:
        session.flush()
        complaint.tracking_number = tracking_number(complaint.id, now)
    added = attachments.attach(session, complaint, citizen, prepared, store, purpose="complaint", now=now)
    with events.collecting(session) as recorded, outbox.district_dcs_known(session, district.id, first_reads.dcs):
        events.record(session, complaint, "lodged", note=complaint.subject, actor=citizen, now=now)
        outbox.notify_complaint_event(session, complaint, "lodged", now=now)
        try:
            new_tasks = processes.start(session, complaint, now=now, definition=first_reads.definition)
        except processes.ProcessFailed as failed:
            raise LodgingFailed(failed.failure, failed.definition_id, category.id) from failed
    # PostgreSQL: the new rows go in as Core INSERTs (the flush's unit of work cost a third of a lodging's CPU);
    # the photos, if any, with the commit's flush.
    direct_writes.write_step_rows(session)
    return Lodged(complaint, recorded, [t for t in new_tasks if t.completed_at is None], added)


def tracking_number(complaint_id: int, when: datetime) -> str:
    return f"KP-{when:%y%m}-{complaint_id:07d}"


@dataclass
class _ReadWithThem:
    """What a lodging will need, read in the query of its category and district (None: read when needed)."""

    definition: ProcessDefinition | None = None  # the version its process starts on
    dcs: list[User] | None = None  # the district's active DCs, by id: whom a first DC task's messages go to
    complaint_id: int | None = None  # PostgreSQL: the new complaint's id, taken from its sequence


def _check_complaint(session: Session, data: ComplaintInput):
    errors: dict[str, list[str]] = {}
    category, district, first_reads = _category_and_district(session, data.category_id, data.district_id)
    if category is None or not category.offered:
        errors["category_id"] = [_l("Choose a category.")]
    if district is None:
        errors["district_id"] = [_l("Choose the district.")]
    if not 5 <= len(data.subject.strip()) <= 150:
        errors["subject"] = [_l("Write a subject of 5 to 150 characters.")]
    if not 20 <= len(data.description.strip()) <= 5000:
        errors["description"] = [_l("Describe the problem in 20 to 5,000 characters.")]
    if len(data.address) > 300:
        errors["address"] = [_l("The address is longer than 300 characters.")]
    if (data.latitude is None) != (data.longitude is None):
        errors["latitude"] = [_l("Give both latitude and longitude, or neither.")]
    elif data.latitude is not None and not places.valid_coordinates(data.latitude, data.longitude):
        errors["latitude"] = [_l("The location is not a valid latitude/longitude.")]
    elif data.latitude is not None and (refusal := places.location_refusal(data.latitude, data.longitude)):
        errors["latitude"] = [refusal]
    if errors:
        raise Invalid(errors)
    return category, district, first_reads


def _category_and_district(session: Session, category_id: int | None, district_id: int | None):
    """Both in one query when both exist (a lodging's usual case), each on its own otherwise (to tell which is not).

    The one query also reads the process's default version and the district's DCs (`_ReadWithThem`): each
    was a round trip of its own at every lodging."""
    # The category with its department: whether it is offered depends on both.
    with_department = [joinedload(Category.department)]
    if category_id and district_id:
        found = session.execute(_lodging_reads(session.get_bind().dialect.name),
                                {"category_id": category_id, "district_id": district_id}).all()
        if found:
            category, district, definition, _, complaint_id = found[0]
            dcs = [row[3] for row in found if row[3] is not None]
            return category, district, _ReadWithThem(definition, dcs, complaint_id)
    category = session.get(Category, category_id, options=with_department) if category_id else None
    district = session.get(District, district_id) if district_id else None
    return category, district, _ReadWithThem()


@cache
def _lodging_reads(dialect_name: str) -> Select:
    """The query of `_category_and_district`, made once per dialect with its ids bound at execution (building it
    at every lodging cost a fifth of its time)."""
    # PostgreSQL: the complaint's id too (once per query, not per row): its row is then inserted whole, with
    # its number and first deadline, in the flush of its process and inbox (an INSERT, not INSERT + UPDATE).
    reserved = (select(func.nextval(func.pg_get_serial_sequence("complaints", "id"))).scalar_subquery()
                if dialect_name == "postgresql" else null())
    return (
        select(Category, District, ProcessDefinition, User, reserved).join_from(Category, District, true())
        .outerjoin(ProcessDefinition, deployments.default_version())
        .outerjoin(User, and_(*outbox.district_dcs(District.id)))
        .options(joinedload(Category.department))
        .where(Category.id == bindparam("category_id"), District.id == bindparam("district_id"))
        .order_by(User.id)
    )


def get_complaint_for(session: Session, user: User, complaint_id: int) -> Complaint:
    """The complaint, if `user` may read it; NotFound otherwise (not telling which)."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None or not can_read(user, complaint):
        raise NotFound(f"complaint {complaint_id}")
    return complaint


@dataclass
class ComplaintFilters:
    status: str | None = None
    department_id: int | None = None
    district_id: int | None = None
    overdue: bool = False
    escalated: bool = False
    age: str | None = None  # an ageing bucket of open complaints: "0-7", "8-15", "16-22", "23+"
    officer_id: int | None = None
    division_id: int | None = None
    resolved: bool = False  # a resolution stands, or it closed without the citizen rejecting it
    reopened: bool = False  # the citizen rejected a resolution at least once
    lodged_on: date | None = None  # a Pakistan calendar day (the dashboards' trends link here)
    resolved_on: date | None = None
    category_id: int | None = None
    q: str = ""  # the search box: a tracking number or words (search.normalized_query)

    def as_args(self) -> dict[str, str | int]:
        """The filters in force as URL arguments, for links that must keep them (paging)."""
        args = {name: value for name, value in vars(self).items() if value not in (None, False, "")}
        return {name: 1 if value is True else value.isoformat() if isinstance(value, date) else value
                for name, value in args.items()}


def complaints_query(
    user: User, filters: ComplaintFilters | None = None, *, now: datetime | None = None, newest: int | None = None
) -> Select:
    """Newest first, within `user`'s scope, narrowed by `filters`.

    `newest`: the caller reads at most this many from the top (a page's end, or a
    count's limit). It lets "overdue" be found as the newest of each of its two
    kinds, each along its own index, instead of walking all complaints by date.
    """
    conditions = complaint_conditions(user, filters, now=now, newest=newest)
    # The list shows each complaint's district and department: load them in the same query.
    return select(Complaint).where(*conditions).options(
        joinedload(Complaint.district), joinedload(Complaint.department)
    ).order_by(Complaint.created_at.desc(), Complaint.id.desc())


def complaint_conditions(user: User, filters: ComplaintFilters | None = None, *, now: datetime | None = None,
                         newest: int | None = None, also: tuple = ()) -> list:
    """The WHERE conditions of `complaints_query` (`also`: more of them, which "overdue" must see too)."""
    filters = filters or ComplaintFilters()
    now = now or utcnow()
    conditions = [complaint_filter(user), *also]
    if filters.status == "open":
        conditions.append(Complaint.status != ComplaintStatus.CLOSED)
    elif filters.status:
        conditions.append(Complaint.status == ComplaintStatus(filters.status))
    if filters.department_id:
        conditions.append(Complaint.department_id == filters.department_id)
    if filters.category_id:
        conditions.append(Complaint.category_id == filters.category_id)
    if filters.q and (searched := search.search_condition(filters.q)) is not None:
        conditions.append(searched)
    if filters.district_id:
        conditions.append(Complaint.district_id == filters.district_id)
    if filters.division_id:
        conditions.append(Complaint.division_id == filters.division_id)
    if filters.escalated:
        conditions.append(Complaint.escalation_level > 0)
    if filters.age:
        conditions.append(age_condition(filters.age, now))
    if filters.officer_id:
        conditions.append(Complaint.officer_id == filters.officer_id)
    if filters.resolved:
        conditions.append(resolved_condition())
    if filters.reopened:
        conditions.append(Complaint.reopen_count > 0)
    if filters.lodged_on:
        conditions.append(on_pk_day(Complaint.created_at, filters.lodged_on))
    if filters.resolved_on:
        conditions.append(on_pk_day(Complaint.resolved_at, filters.resolved_on))
    if filters.overdue:
        # Overdue: open and past a deadline (escalated at least once, or its next deadline passed).
        if newest is None:
            conditions.append(overdue_condition(now))
        else:
            conditions.append(Complaint.id.in_(_newest_overdue_ids(conditions, now, newest)))
    return conditions


# Written out, not bound as parameters: PostgreSQL uses a partial index only for
# a predicate it can see (migration 0013's ix_complaints_open_escalated).
OPEN_ESCALATED = text("complaints.status <> 'closed' AND complaints.escalation_level > 0")


def _newest_overdue_ids(conditions: list, now: datetime, newest: int):
    """Ids of the `newest` newest overdue complaints matching `conditions`, from each kind of overdue.

    The two kinds do not overlap, so the newest `newest` of both together are among
    the newest `newest` of each.
    """
    kinds = (OPEN_ESCALATED,
             and_(Complaint.status != ComplaintStatus.CLOSED, Complaint.escalation_level == 0,
                  Complaint.next_deadline_at < now))
    parts = [select(Complaint.id).where(*conditions, kind).order_by(Complaint.created_at.desc(), Complaint.id.desc())
             .limit(newest).subquery() for kind in kinds]
    return union_all(*(select(part.c.id) for part in parts))


def timeline(session: Session, complaint: Complaint) -> list[ComplaintEvent]:
    return list(
        session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.created_at, ComplaintEvent.id)
        )
    )


def open_tasks_of(session: Session, complaint: Complaint) -> list[HumanTask]:
    """Who holds the complaint now: its open tasks (for staff readers)."""
    return list(
        session.scalars(
            select(HumanTask)
            .where(HumanTask.complaint_id == complaint.id, HumanTask.completed_at.is_(None))
            .order_by(HumanTask.created_at, HumanTask.id)
        )
    )


def attachments_of(session: Session, complaint: Complaint) -> list[Attachment]:
    """Oldest first, each with who added it (pages and the API list them with that)."""
    return list(session.scalars(
        select(Attachment).where(Attachment.complaint_id == complaint.id)
        .options(joinedload(Attachment.uploaded_by)).order_by(Attachment.id)
    ))


def get_attachment_for(session: Session, user: User, attachment_id: int) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(f"attachment {attachment_id}")
    get_complaint_for(session, user, attachment.complaint_id)
    return attachment
