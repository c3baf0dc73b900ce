"""A citizen's complaints: lodge (with an Idempotency-Key), list, read, rate; and their attachments."""
from __future__ import annotations

from dataclasses import asdict

from flask import request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from ..models import Complaint, ComplaintStatus, Role
from ..services.casework import complaints, search, similar, tasks
from ..services.interop import idempotency
from ..web import db, file_store, send_attachment
from . import bp, personal_data, serializers
from .auth import api_user, token_required
from .inputs import (MAX_ID, JSON, Fields, body, idempotency_key, json_object, query_choice, query_int, query_number,
                     query_text, row_id)
from .limits import enforce
from .problems import ApiProblem

# The registered form of the citizen's rating step (a form key, not a task id of any diagram).
RATING_FORM = "citizen_rating"
STATUS_FILTERS = ["open", *(s.value for s in ComplaintStatus)]
REPLAY_HEADER = "Idempotent-Replayed"
CATEGORY = "category_id"  # the one parameter /complaints/similar requires


@bp.post("/complaints")
@token_required(Role.CITIZEN)
def submit():
    citizen, session = api_user(), db()
    key = idempotency_key()
    # `photos` repeated, up to 5; `photo` is the single photo of the app's first versions.
    source, photos = body(files=("photos", "photo"))
    fields = Fields(source, typed=request.mimetype == JSON)
    district_id = row_id(fields.integer("district_id"), "field")
    data = complaints.ComplaintInput(
        category_id=row_id(fields.integer("category_id"), "field"),
        district_id=district_id if "district_id" in source else citizen.district_id,
        subject=fields.string("subject"),
        description=fields.string("description"),
        address=fields.string("address"),
        latitude=fields.number("latitude"),
        longitude=fields.number("longitude"),
    )
    fields.check()
    # Of what was understood, not of the raw bytes: the same complaint sent as JSON or multipart is the same request.
    fingerprint = idempotency.request_hash(asdict(data), [p.data for p in photos])
    if key is not None:
        earlier = idempotency.find_replay(session, citizen, key, fingerprint)
        if earlier is not None:
            # Before the rate limit: a phone retrying on a bad network is not flooding us.
            return _created(session, earlier, replayed=True)
    enforce("submit", str(citizen.id))
    submission = idempotency.submit_once(session, citizen, key, fingerprint, data, photos=photos, store=file_store(),
                                         replay_checked=True)
    session.commit()
    if submission.lodged is not None:
        return _created(session, submission.complaint, replayed=False, lodged=submission.lodged)
    return _created(session, submission.complaint, replayed=submission.replayed)


@bp.get("/complaints")
@token_required(Role.CITIZEN)
def my_complaints():
    page = query_int("page", 1, minimum=1, maximum=100_000)
    per_page = query_int("per_page", 20, minimum=1, maximum=100)
    status = query_choice("status", STATUS_FILTERS)
    q = search.normalized_query(query_text("q", max_length=search.MAX_QUERY))
    session = db()
    query = complaints.complaints_query(api_user(), complaints.ComplaintFilters(status=status, q=q))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(
        query.options(joinedload(Complaint.category)).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return {
        "items": [serializers.complaint_summary(c) for c in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": max((total + per_page - 1) // per_page, 1),
    }


@bp.get("/complaints/similar")
@token_required(Role.CITIZEN)
def similar_complaints():
    """Before lodging: open complaints of the category near the pin (or at the address) that may be the same."""
    category_id = query_int(CATEGORY, 0, minimum=1, maximum=MAX_ID)
    if not category_id:
        raise ApiProblem(400, _("%(name)s is required.", name=CATEGORY), errors={CATEGORY: [_("Required.")]})
    latitude = query_number("latitude", minimum=-90, maximum=90)
    longitude = query_number("longitude", minimum=-180, maximum=180)
    if (latitude is None) != (longitude is None):
        raise ApiProblem(400, _("Give both latitude and longitude, or neither."),
                         errors={"latitude": [_("Give both latitude and longitude, or neither.")]})
    address = query_text("address", max_length=300)
    found = similar.similar_complaints(db(), api_user(), category_id, latitude=latitude, longitude=longitude,
                                       address=address)
    return {"items": [serializers.candidate(c) for c in found]}


@bp.post("/complaints/<int:complaint_id>/support")
@token_required(Role.CITIZEN)
def support(complaint_id: int):
    session = db()
    found, added = similar.support_complaint(session, api_user(), row_id(complaint_id, "complaint"))
    session.commit()
    return {"complaint_id": found.id, "supported": True, "added": added}, 201 if added else 200


@bp.get("/complaints/<int:complaint_id>")
@token_required()
def complaint(complaint_id: int):
    session = db()
    found = complaints.get_complaint_for(session, api_user(), row_id(complaint_id, "complaint"))
    return _detail(session, found)


@bp.post("/complaints/<int:complaint_id>/rating")
@token_required(Role.CITIZEN)
def rate(complaint_id: int):
    citizen, session = api_user(), db()
    found = complaints.get_complaint_for(session, citizen, row_id(complaint_id, "complaint"))
    fields = Fields(json_object(), typed=True)
    rating, satisfied, comment = fields.integer("rating"), fields.boolean("satisfied"), fields.string("comment")
    fields.check()
    task = tasks.open_task_of_complaint(session, citizen, found)
    if task is None or task.form_key != RATING_FORM:
        raise ApiProblem(409, _("This complaint is not awaiting your rating."))
    # The rating page's own form validates it, so the API and the page accept exactly the same.
    formdata = MultiDict(
        {
            "rating": "" if rating is None else str(rating),
            "satisfied": {True: "yes", False: "no"}.get(satisfied, ""),
            "comment": comment,
        }
    )
    tasks.complete_task(session, task.id, citizen, formdata)
    session.commit()
    return _detail(session, found)


@bp.get("/attachments/<int:attachment_id>")
@token_required()
def attachment(attachment_id: int):
    return send_attachment(complaints.get_attachment_for(db(), api_user(), row_id(attachment_id, "attachment")))


@bp.get("/attachments/<int:attachment_id>/thumbnail")
@token_required()
def attachment_thumbnail(attachment_id: int):
    found = complaints.get_attachment_for(db(), api_user(), row_id(attachment_id, "attachment"))
    if found.kind != "photo":
        raise ApiProblem(404, _("A document has no thumbnail."))
    return send_attachment(found, thumbnail=True)


def _detail(session, found: Complaint, lodged: complaints.Lodged | None = None) -> dict:
    """`lodged`: this request lodged it, and the answer is made from what it wrote (nothing is read back)."""
    viewer = api_user()
    if lodged is None:
        events = complaints.timeline(session, found)
        open_tasks = complaints.open_tasks_of(session, found)
        attached = complaints.attachments_of(session, found)
    else:
        # In the orders the reads above give.
        events = sorted(lodged.events, key=lambda e: (e.created_at, e.id))
        open_tasks = sorted(lodged.open_tasks, key=lambda t: (t.created_at, t.id))
        attached = sorted(lodged.attachments, key=lambda a: a.id)
    return serializers.complaint_detail(
        found,
        viewer,
        citizen=personal_data.citizen_contact(found.citizen, viewer),
        events=events,
        open_tasks=open_tasks,
        attachments=attached,
        my_task=tasks.first_of_mine(viewer, open_tasks),
    )


def _created(session, found: Complaint, *, replayed: bool, lodged: complaints.Lodged | None = None):
    headers = {"Location": url_for("api.complaint", complaint_id=found.id)}
    if replayed:
        headers[REPLAY_HEADER] = "true"
    return _detail(session, found, lodged), 201, headers
