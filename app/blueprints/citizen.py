"""A citizen's own complaints: list and lodge."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..models import Complaint, Role
from ..services.casework import attachments, complaints, similar
from ..services import organisation
from ..services.errors import Invalid, MobileUnconfirmed
from ..web import db, file_store, roles_required, uploaded_files

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
        if not form.get("none_of_these"):
            found = similar.similar_complaints(
                session, current_user, data.category_id, latitude=data.latitude, longitude=data.longitude,
                district_id=data.district_id, address=data.address)
            if found:
                # Nothing is lodged yet: the page asks "is it one of these?" above the form, values kept.
                return render_template("citizen/new_complaint.html", values=form.to_dict(), errors={},
                                       similar=found, photo_dropped=_any_file(), **choices)
        complaint = complaints.submit_complaint(
            session, current_user, data, photos=uploaded_files("photos", "photo"), store=file_store()
        )
    except MobileUnconfirmed:
        session.rollback()
        return render_template("citizen/new_complaint.html", values=form.to_dict(), errors={}, unconfirmed=True,
                               **choices), 403
    except Invalid as error:
        session.rollback()
        return (
            render_template("citizen/new_complaint.html", values=form.to_dict(), errors=_on_the_page(error.errors),
                            **choices),
            400,
        )
    session.commit()
    flash(_("Your complaint is lodged. Tracking number: %(number)s", number=complaint.tracking_number))
    return redirect(url_for("complaints.show", complaint_id=complaint.id))


def _any_file() -> bool:
    """Whether a file was chosen: a page shown again cannot keep it, so it says to choose it again."""
    return any(file.filename for _, file in request.files.items(multi=True))


@bp.post("/complaints/photo-position")
@roles_required(Role.CITIZEN)
def photo_position():
    """Where a chosen photo was taken, for the lodge page to offer as the pin. Nothing is stored:
    the position reaches the complaint only if the citizen puts it in the form and lodges it."""
    uploads = uploaded_files("photo")
    if len(uploads) != 1:
        return _private({"error": _("Send one photo.")}, 400)
    try:
        position = attachments.read_photo_position(uploads[0])
    except Invalid as refused:
        return _private({"error": " ".join(str(m) for messages in refused.errors.values() for m in messages)}, 400)
    if position is None:
        return _private({"latitude": None, "longitude": None})
    question = _("Use the place where the photo was taken (%(latitude)s, %(longitude)s)?",
                 latitude=f"{position.latitude:.5f}", longitude=f"{position.longitude:.5f}")
    return _private({"latitude": position.latitude, "longitude": position.longitude, "question": question})


def _private(body: dict, status: int = 200):
    return body, status, {"Cache-Control": "no-store"}


def _coordinate(form, name):
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise Invalid({name: [_("Write the coordinate as a decimal number, e.g. 34.0151.")]}) from None


def _on_the_page(errors: dict) -> dict:
    """Errors by the page's field names: a photo sent as `photo` (older apps, one photo) is the `photos` field."""
    shown = {key: list(messages) for key, messages in errors.items() if key != "photo"}
    if "photo" in errors:
        shown["photos"] = shown.get("photos", []) + list(errors["photo"])
    return shown
