"""The administrator edits the Urdu and Pashto names of divisions, districts, departments and categories.

One form per row (its kind and id in hidden fields), so saving one row never
writes back what another administrator changed in another row meanwhile. The
English name is the seeded key and is not edited here.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..request_guard import whole_number
from ..i18n import local_name
from ..models import Role
from ..models.organisation import LOCAL_NAME_LENGTH
from ..services import organisation
from ..services.errors import Invalid
from ..web import db, roles_required

bp = Blueprint("admin_places", __name__, url_prefix="/admin/places")


@bp.route("", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def index():
    if request.method == "GET":
        return _page()
    form = request.form
    kind, place_id = form.get("kind", ""), form.get("id", type=whole_number)
    if place_id is None:
        abort(404)
    session = db()
    try:
        place = organisation.name_place(session, current_user, kind, place_id, form.get("name_ur"), form.get("name_ps"))
    except Invalid as error:
        session.rollback()
        return _page(failed=(kind, place_id), values=dict(form), errors=error.errors, status=400)
    session.commit()
    flash(_("Saved the names of %(name)s.", name=local_name(place)))
    return redirect(url_for("admin_places.index", _anchor=f"{kind}-{place_id}"))


def _page(*, failed=None, values=None, errors=None, status=200):
    page = render_template("admin/places.html", places=organisation.places_for_naming(db()), failed=failed,
                           values=values or {}, errors=errors or {}, max_length=LOCAL_NAME_LENGTH)
    return page, status
