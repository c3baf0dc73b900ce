"""The administrator keeps the departments and their complaint categories: names in English, Urdu and Pashto,
new ones, and deactivation instead of deletion (app/services/departments.py).

One form per row (its kind and id in the URL), so saving one row never writes back what another
administrator changed in another row meanwhile.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..request_guard import whole_number
from ..i18n import local_name
from ..models import Role
from ..models.organisation import LOCAL_NAME_LENGTH
from ..services import departments
from ..services.errors import Invalid
from ..web import db, roles_required

bp = Blueprint("admin_departments", __name__, url_prefix="/admin")


@bp.route("/departments", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def index():
    """The list; a POST adds a department."""
    if request.method == "GET":
        return _page()
    session = db()
    try:
        department = departments.add_department(session, current_user, request.form.get("code", ""), _names())
    except Invalid as error:
        session.rollback()
        return _page(failed=("new", "department"), values=dict(request.form), errors=error.errors, status=400)
    session.commit()
    flash(_("Added the department %(name)s.", name=local_name(department)))
    return redirect(url_for("admin_departments.index", _anchor=f"department-{department.id}"))


@bp.post("/categories")
@roles_required(Role.ADMIN)
def add_category():
    session = db()
    try:
        category = departments.add_category(session, current_user, request.form.get("department_id", type=whole_number),
                                            request.form.get("code", ""), _names())
    except Invalid as error:
        session.rollback()
        return _page(failed=("new", "category"), values=dict(request.form), errors=error.errors, status=400)
    session.commit()
    flash(_("Added the category %(name)s.", name=local_name(category)))
    return redirect(url_for("admin_departments.index", _anchor=f"category-{category.id}"))


@bp.post("/<any(departments, categories):kinds>/<int:row_id>")
@roles_required(Role.ADMIN)
def rename(kinds: str, row_id: int):
    kind, session = _kind(kinds), db()
    try:
        row = departments.rename(session, current_user, kind, row_id, _names())
    except Invalid as error:
        session.rollback()
        return _page(failed=(kind, row_id), values=dict(request.form), errors=error.errors, status=400)
    session.commit()
    flash(_("Saved the names of %(name)s.", name=local_name(row)))
    return redirect(url_for("admin_departments.index", _anchor=f"{kind}-{row_id}"))


@bp.post("/<any(departments, categories):kinds>/<int:row_id>/active")
@roles_required(Role.ADMIN)
def set_active(kinds: str, row_id: int):
    kind, session = _kind(kinds), db()
    active = request.form.get("active") == "1"
    row = departments.set_active(session, current_user, kind, row_id, active)
    session.commit()
    if active:
        flash(_("%(name)s is offered again.", name=local_name(row)))
    else:
        flash(_("%(name)s is no longer offered; complaints that have it keep it.", name=local_name(row)))
    return redirect(url_for("admin_departments.index", _anchor=f"{kind}-{row_id}"))


def _kind(kinds: str) -> str:
    return {"departments": "department", "categories": "category"}[kinds]


def _names() -> departments.Names:
    form = request.form
    return departments.Names(form.get("name", ""), form.get("name_ur"), form.get("name_ps"))


def _page(*, failed=None, values=None, errors=None, status=200):
    page = render_template("admin/departments.html", departments=departments.all_departments(db()), failed=failed,
                           values=values or {}, errors=errors or {}, max_length=LOCAL_NAME_LENGTH)
    return page, status
