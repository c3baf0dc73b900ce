"""Complaint lists per tier and the complaint page every reader shares."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..models import Complaint, ComplaintStatus, Role
from ..services import complaints, organisation, tasks
from ..services.statistics_dashboards import AGE_BUCKETS
from ..web import db, roles_required

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
AGE_VALUES = {bucket[0] for bucket in AGE_BUCKETS}


@bp.get("")
@roles_required(*READERS)
def index():
    session = db()
    args = request.args
    status = args.get("status", "")
    filters = complaints.ComplaintFilters(
        status=status if status in {"open", *(s.value for s in ComplaintStatus)} else None,
        department_id=args.get("department_id", type=int),
        district_id=args.get("district_id", type=int),
        overdue=args.get("overdue") == "1",
        escalated=args.get("escalated") == "1",
        age=args.get("age") if args.get("age") in AGE_VALUES else None,
        officer_id=args.get("officer_id", type=int),
    )
    page = max(args.get("page", 1, type=int), 1)
    query = complaints.complaints_query(current_user, filters)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    districts = [d for d in organisation.districts(session) if _district_in_scope(d)]
    return render_template(
        "complaints/index.html",
        complaints=rows,
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        filters=filters,
        departments=organisation.departments(session),
        districts=districts,
        statuses=list(ComplaintStatus),
    )


def _district_in_scope(district) -> bool:
    role = current_user.role
    if role in (Role.DISTRICT_OFFICER, Role.DEPUTY_COMMISSIONER):
        return district.id == current_user.district_id
    if role is Role.COMMISSIONER:
        return district.division_id == current_user.division_id
    return True


@bp.get("/<int:complaint_id>")
@login_required
def show(complaint_id: int):
    session = db()
    complaint: Complaint = complaints.get_complaint_for(session, current_user, complaint_id)
    my_task = tasks.open_task_of_complaint(session, current_user, complaint)
    form = tasks.build_form(session, my_task, current_user) if my_task else None
    return render_template(
        "complaints/show.html",
        complaint=complaint,
        events=complaints.timeline(session, complaint),
        attachments=complaints.attachments_of(session, complaint),
        open_tasks=complaints.open_tasks_of(session, complaint) if current_user.is_staff else [],
        my_task=my_task,
        form=form,
        errors={},
    )
