"""Complaint lists per tier and the complaint page every reader shares."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import i18n
from ..request_guard import whole_number
from ..models import Complaint, ComplaintStatus, Role
from ..services.casework import complaint_filters, complaint_map, complaints, milestones, search, similar, tasks
from ..services.statistics.dashboards import AGE_BUCKETS
from ..web import db, roles_required
from ..offline import offline_copy

bp = Blueprint("complaints", __name__, url_prefix="/complaints")

READERS = (
    Role.DISTRICT_OFFICER,
    Role.DEPUTY_COMMISSIONER,
    Role.COMMISSIONER,
    Role.CHIEF_SECRETARY,
    Role.ANALYST,
    Role.ADMIN,
)
PAGE_SIZE = 50
COUNT_LIMIT = 10_000  # beyond this the list says "more than 10,000" and pages no further: narrow the filters
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns; a larger number would fail in the driver, not match
AGE_VALUES = {bucket[0] for bucket in AGE_BUCKETS}


@bp.get("")
@roles_required(*READERS)
def index():
    session = db()
    args = request.args
    q = search.normalized_query(args.get("q"))
    number = search.tracking_number_in(q)
    # A tracking number opens its complaint; one the reader may not read lists nothing, as a
    # number that does not exist does (the list's query below is held to the same scope).
    if number and (found := search.find_by_tracking_number(session, current_user, number)) is not None:
        return redirect(url_for("complaints.show", complaint_id=found.id))
    filters = _filters()
    # Counted up to COUNT_LIMIT: a province-wide filter can match hundreds of thousands,
    # and counting them all would cost more than showing the page (README, Performance).
    counted = complaints.complaints_query(current_user, filters)  # in no order: any 10,001 matches will do
    total = session.scalar(select(func.count()).select_from(counted.order_by(None).limit(COUNT_LIMIT + 1).subquery()))
    more = total > COUNT_LIMIT
    total = min(total, COUNT_LIMIT)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    # Past the last page shows the last one: a huge number would otherwise overflow the driver's OFFSET.
    page = min(max(args.get("page", 1, type=whole_number), 1), pages)
    query = complaints.complaints_query(current_user, filters, newest=page * PAGE_SIZE)
    rows = session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "complaints/index.html",
        complaints=rows,
        supporters=similar.supporter_counts(session, [c.id for c in rows]),
        total=total,
        more=more,
        page=page,
        pages=pages,
        filters=filters,
        options=complaint_filters.filter_options(session, current_user, filters),
        age_buckets=[(value, label) for value, label, *_ in AGE_BUCKETS],
    )


@bp.get("/map")
@roles_required(*READERS)
def map_page():
    """The list's complaints on a map (those with a location); the markers come from map_json."""
    return render_template("complaints/map.html", filters=_filters(),
                           status_labels={s.value: str(s.label) for s in ComplaintStatus})


@bp.get("/map.json")
@roles_required(*READERS)
def map_json():
    found = complaint_map.map_points(db(), current_user, _filters(), limit=current_app.config["COMPLAINT_MAP_LIMIT"])
    body = {"complaints": found.points, "capped": found.capped, "limit": found.limit}
    if found.capped:
        body["note"] = _("Only the newest %(limit)s complaints are shown: narrow the filters to see the others.",
                         limit=i18n.format_number(found.limit))
    response = jsonify(body)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _filters() -> complaints.ComplaintFilters:
    """The list's filters from the URL; a value that is not one of the choices is no filter at all."""
    args = request.args
    status = args.get("status", "")
    return complaints.ComplaintFilters(
        status=status if status in {"open", *(s.value for s in ComplaintStatus)} else None,
        department_id=_id_arg("department_id"),
        district_id=_id_arg("district_id"),
        overdue=args.get("overdue") == "1",
        escalated=args.get("escalated") == "1",
        resolved=args.get("resolved") == "1",
        reopened=args.get("reopened") == "1",
        age=args.get("age") if args.get("age") in AGE_VALUES else None,
        officer_id=_id_arg("officer_id"),
        division_id=_id_arg("division_id"),
        lodged_on=_day_arg("lodged_on"),
        resolved_on=_day_arg("resolved_on"),
        category_id=_id_arg("category_id"),
        q=search.normalized_query(args.get("q")),
    )


def _id_arg(name: str) -> int | None:
    """A row id from the URL; anything else (text, zero, negative, beyond the column) is no filter at all."""
    value = request.args.get(name, type=whole_number)
    return value if value is not None and 0 < value <= MAX_ID else None


def _day_arg(name: str) -> date | None:
    """A calendar day from the URL (YYYY-MM-DD); anything else is no filter at all."""
    try:
        day = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None  # the portal's own years; beyond overflow


@bp.get("/<int:complaint_id>")
@login_required
@offline_copy
def show(complaint_id: int):
    session = db()
    complaint: Complaint = complaints.get_complaint_for(session, current_user, complaint_id)
    open_tasks = complaints.open_tasks_of(session, complaint)
    my_task = tasks.first_of_mine(current_user, open_tasks)
    form = tasks.build_form(session, my_task, current_user) if my_task else None
    return render_template(
        "complaints/show.html",
        complaint=complaint,
        events=complaints.timeline(session, complaint),
        attachments=complaints.attachments_of(session, complaint),
        open_tasks=open_tasks if current_user.is_staff else [],
        supporters=similar.supporter_counts(session, [complaint.id]).get(complaint.id, 0) if current_user.is_staff else 0,
        my_task=my_task,
        form=form,
        accepts_attachments=my_task is not None and tasks.accepts_attachments(my_task),
        errors={},
        # The citizen follows the complaint by its milestones; staff have the process diagram.
        tracking=milestones.tracking_of(session, complaint) if current_user.role is Role.CITIZEN else None,
    )


@bp.post("/<int:complaint_id>/support")
@roles_required(Role.CITIZEN)
def support(complaint_id: int):
    """"Add my voice to this one" on the lodge page: the citizen backs a complaint instead of lodging it again."""
    session = db()
    complaint, added = similar.support_complaint(session, current_user, complaint_id)
    session.commit()
    if added:
        flash(_("Your voice is added to “%(subject)s”. We will tell you when it is resolved.", subject=complaint.subject))
    else:
        flash(_("You have already added your voice to “%(subject)s”.", subject=complaint.subject))
    return redirect(url_for("citizen.my_complaints"))
