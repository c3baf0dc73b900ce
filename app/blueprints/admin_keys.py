"""The administrator issues and revokes the API keys of Open311 clients.

Issuing answers with the page itself, showing the new key once: a redirect would
have to carry the key in the session cookie, which is signed, not encrypted.
Revoking answers with the page as well (revoking twice changes nothing).
"""
from __future__ import annotations

from flask import Blueprint, make_response, render_template, request
from flask_login import current_user

from ..models import Role
from ..services.interop import api_keys
from ..services.errors import Invalid
from ..web import db, roles_required

bp = Blueprint("admin_keys", __name__, url_prefix="/admin/api-keys")


@bp.route("", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def index():
    session = db()
    if request.method == "GET":
        return _page()
    try:
        key, plain = api_keys.issue_api_key(session, current_user, request.form.get("name", ""))
    except Invalid as error:
        session.rollback()
        return _page(values=dict(request.form), errors=error.errors, status=400)
    session.commit()
    response = _page(new_key=plain, issued=key)
    # The plain key is in this page only: keep it out of every cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:key_id>/revoke")
@roles_required(Role.ADMIN)
def revoke(key_id: int):
    session = db()
    key = api_keys.revoke_api_key(session, current_user, key_id)
    session.commit()
    return _page(revoked=key)


def _page(*, values=None, errors=None, status=200, **shown):
    page = render_template(
        "admin/api_keys.html", keys=api_keys.api_keys(db()), values=values or {}, errors=errors or {}, **shown
    )
    return make_response(page, status)
