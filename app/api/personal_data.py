"""Personal data through the API: a citizen's own data (GET /me/export), and staff revealing a citizen's
CNIC or number with a reason (POST /people/<id>/personal-data), recorded as on the pages."""
from __future__ import annotations

from flask import url_for

from ..models import Role, User
from ..services.errors import NotFound
from ..services.people import data_export, personal_data
from ..web import db
from . import bp
from .auth import api_user, token_required
from .inputs import Fields, json_object, row_id

NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/me/export")
@token_required(Role.CITIZEN)
def export_my_data():
    session = db()
    document = data_export.export_for(session, api_user())
    session.commit()  # the export is recorded
    return document, 200, NO_STORE


@bp.post("/people/<int:person_id>/personal-data")
@token_required()
def reveal_personal_data(person_id: int):
    session, viewer = db(), api_user()
    person_id = row_id(person_id, "person")
    personal_data.citizen_in_scope(session, viewer, person_id)  # 403/404 before the body is judged
    fields = Fields(json_object(), typed=True)
    ask = personal_data.RevealRequest(field=fields.string("field"), reason=fields.string("reason"),
                                      note=fields.string("note"), complaint_id=fields.integer("complaint_id"))
    fields.check()
    if ask.complaint_id is not None and row_id(ask.complaint_id, "field") is None:
        raise NotFound(f"complaint {ask.complaint_id}")  # beyond any id: no such complaint
    value = personal_data.reveal(session, viewer, person_id, ask)
    session.commit()
    return {"field": ask.field, "value": value}, 200, NO_STORE


def citizen_contact(citizen: User, viewer: User) -> dict | None:
    """The citizen of a complaint as staff see them: the name, CNIC and number masked, and where to ask for more."""
    if not viewer.is_staff:
        return None
    return {
        "id": citizen.id,
        "name": citizen.full_name,
        **personal_data.masked(citizen),
        "reveal_url": url_for("api.reveal_personal_data", person_id=citizen.id) if personal_data.may_ask(viewer) else None,
    }
