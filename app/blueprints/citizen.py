"""A citizen's own complaints: list and lodge."""
from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..request_guard import whole_number
from ..models import Complaint, Role
from ..services.casework import attachments, complaints, similar
from ..services.interop import idempotency
from ..offline import offline_copy
from ..services import organisation
from ..services.errors import Invalid, MobileUnconfirmed, TooManyTries
from ..web import count_request, db, file_store, incident_message, recorded_incident, roles_required, uploaded_files

bp = Blueprint("citizen", __name__, url_prefix="/my")


@bp.get("/complaints")
@roles_required(Role.CITIZEN)
@offline_copy
def my_complaints():
    rows = db().scalars(
        select(Complaint).where(Complaint.citizen_id == current_user.id).order_by(Complaint.created_at.desc()).limit(200)
    )
    return render_template("citizen/my_complaints.html", complaints=list(rows))


@bp.route("/complaints/new", methods=["GET", "POST"])
@roles_required(Role.CITIZEN)
@offline_copy
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
    # The phone's outbox (static/pwa/outbox.js) sends a complaint written without signal: it wants JSON, and
    # the citizen is not there to answer "is it one of these?".
    from_outbox = request.accept_mimetypes.best == "application/json"
    try:
        key = _idempotency_key()
        data = complaints.ComplaintInput(
            category_id=form.get("category_id", type=whole_number),
            district_id=form.get("district_id", type=whole_number),
            subject=form.get("subject", ""),
            description=form.get("description", ""),
            address=form.get("address", ""),
            latitude=_coordinate(form, "latitude"),
            longitude=_coordinate(form, "longitude"),
        )
        photos = uploaded_files("photos", "photo")
        fingerprint = idempotency.request_hash(asdict(data), [photo.data for photo in photos])
        earlier = idempotency.find_replay(session, current_user, key, fingerprint) if key else None
        if earlier is None and not from_outbox and not form.get("none_of_these"):
            found = similar.similar_complaints(
                session, current_user, data.category_id, latitude=data.latitude, longitude=data.longitude,
                district_id=data.district_id, address=data.address)
            if found:
                # Nothing is lodged yet: the page asks "is it one of these?" above the form, values kept.
                return render_template("citizen/new_complaint.html", values=form.to_dict(), errors={},
                                       similar=found, photo_dropped=_any_file(), **choices)
        if earlier is None:
            # A replay is a retry on a weak signal, not a new complaint: only new ones count (shared with the API).
            count_request("submit", str(current_user.id))
        submission = idempotency.submit_once(session, current_user, key, fingerprint, data, photos=photos,
                                             store=file_store())
    except TooManyTries as refused:
        if from_outbox:
            return _private({"errors": {"": [str(m) for m in refused.messages()]}}, 429,
                            {"Retry-After": str(refused.retry_after)})
        raise
    except MobileUnconfirmed:
        session.rollback()
        if from_outbox:
            return _private({"errors": {"": [_("Confirm your mobile number before you lodge a complaint: enter the "
                                                 "code we sent to it by SMS.")]}}, 403)
        return render_template("citizen/new_complaint.html", values=form.to_dict(), errors={}, unconfirmed=True,
                               **choices), 403
    except complaints.LodgingFailed as failed:
        # The process failed at its start (a diagram's script or decision): nothing was kept, not even the
        # Idempotency-Key (a retry lodges anew), and the analysts get an incident with the reference.
        reference = recorded_incident(failed, current_user)
        message = incident_message(reference)
        if from_outbox:  # not 201/400/403: the phone keeps it and sends it again later
            return _private({"errors": {"": [message]}, "reference": reference}, 500)
        flash(message, "error")
        return render_template("citizen/new_complaint.html", values=form.to_dict(), errors={},
                               photo_dropped=_any_file(), **choices), 500
    except Invalid as error:
        session.rollback()
        errors = _on_the_page(error.errors)
        if from_outbox:
            return _private({"errors": {field: [str(m) for m in messages] for field, messages in errors.items()}}, 400)
        return (
            render_template("citizen/new_complaint.html", values=form.to_dict(), errors=errors, **choices),
            400,
        )
    session.commit()
    complaint = submission.complaint
    if from_outbox:
        return _private({"tracking_number": complaint.tracking_number, "replayed": submission.replayed,
                         "url": url_for("complaints.show", complaint_id=complaint.id)}, 201)
    flash(_("Your complaint is lodged. Tracking number: %(number)s", number=complaint.tracking_number))
    return redirect(url_for("complaints.show", complaint_id=complaint.id))


def _idempotency_key() -> str | None:
    """The key the lodge page gives each complaint it sends (a field, or the header from the outbox): the same
    complaint sent twice — a double tap, a retry after an answer lost on a weak signal — is lodged once."""
    key = (request.headers.get(idempotency.KEY_FIELD) or request.form.get("idempotency_key") or "").strip()
    if len(key) > idempotency.MAX_KEY_LENGTH:
        raise Invalid({"subject": [_("This page is out of date. Open the lodge page again.")]})
    return key or None


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


def _private(body: dict, status: int = 200, headers: dict | None = None):
    return body, status, {"Cache-Control": "no-store", **(headers or {})}


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
