"""The administrator creates staff accounts of every role, each with its scope."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..models import Role, User
from ..services.people import accounts
from ..services import organisation
from ..services.errors import Invalid
from ..web import db, roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")

STAFF_ROLES = [r for r in Role if r is not Role.CITIZEN]


@bp.route("/staff", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def staff():
    session = db()
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        form = request.form
        try:
            role = Role(form.get("role", ""))
            if role is Role.CITIZEN:
                raise ValueError
        except ValueError:
            errors, status = {"role": [_("Choose a staff role.")]}, 400
        else:
            try:
                user = accounts.create_staff(
                    session,
                    accounts.StaffInput(
                        role=role,
                        full_name=form.get("full_name", ""),
                        username=form.get("username", ""),
                        password=form.get("password", ""),
                        district_id=form.get("district_id", type=int),
                        division_id=form.get("division_id", type=int),
                        department_id=form.get("department_id", type=int),
                        email=form.get("email") or None,
                        mobile=form.get("mobile") or None,
                    ),
                )
            except Invalid as error:
                session.rollback()
                errors, status = error.errors, 400
            else:
                session.commit()
                flash(_("%(name)s (%(role)s) can now sign in as %(username)s.", name=user.full_name, role=user.role.label,
                        username=user.username))
                return redirect(url_for("admin.staff"))
        values = {k: v for k, v in form.items() if k != "password"}
    people = session.scalars(select(User).where(User.role != Role.CITIZEN).order_by(User.role, User.full_name))
    return (
        render_template(
            "admin/staff.html",
            people=list(people),
            roles=STAFF_ROLES,
            districts=organisation.districts(session),
            divisions=organisation.divisions(session),
            departments=organisation.departments(session),
            values=values,
            errors=errors,
        ),
        status,
    )
