"""A citizen's own complaints: list and lodge."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..models import Complaint, Role
from ..services.casework import complaints
from ..services import organisation
from ..services.errors import Invalid, MobileUnconfirmed
from ..web import db, photo_store, roles_required, uploaded_photo

bp = Blueprint("citizen", __name__, url_prefix="/my")


@bp.get("/complaints")
@roles_required(Role.CITIZEN)
def my_complaints():
    rows = db().scalars(
        select(Complaint).where(Complaint.citizen_id == current_user.id).order_by(Complaint.created_at.desc()).limit(200)
    )
    return render_template("citizen/my_complaints.html", complaints=list(rows))


@bp.route("/complaints/new", methods=["GET", "POST"])
@roles_required(Role.CITIZEN)
def new_complaint():
    session = db()
    choices = {
        "departments": organisation.categories_by_department(session),
        "districts": organisation.districts(session),
    }
    if request.method == "GET":
        values = {"district_id": str(current_user.district_id or "")}
        unconfirmed = current_user.mobile_confirmed_at is None
        return render_template("citizen/new_complaint.html", values=values, errors={}, unconfirmed=unconfirmed, **choices)
    form = request.form
    try:
        data = complaints.ComplaintInput(
            category_id=form.get("category_id", type=int),
            district_id=form.get("district_id", type=int),
            subject=form.get("subject", ""),
            description=form.get("description", ""),
            address=form.get("address", ""),
            latitude=_coordinate(form, "latitude"),
            longitude=_coordinate(form, "longitude"),
        )
        complaint = complaints.submit_complaint(
            session, current_user, data, photo=uploaded_photo(), store=photo_store()
        )
    except MobileUnconfirmed:
        session.rollback()
        return render_template("citizen/new_complaint.html", values=form.to_dict(), errors={}, unconfirmed=True,
                               **choices), 403
    except Invalid as error:
        session.rollback()
        return (
            render_template("citizen/new_complaint.html", values=form.to_dict(), errors=error.errors, **choices),
            400,
        )
    session.commit()
    flash(f"Your complaint is lodged. Tracking number: {complaint.tracking_number}")
    return redirect(url_for("complaints.show", complaint_id=complaint.id))


def _coordinate(form, name):
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise Invalid({name: ["Write the coordinate as a decimal number, e.g. 34.0151."]}) from None
