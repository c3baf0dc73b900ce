"""A Deputy Commissioner manages the district: officers and citizen accounts."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..request_guard import whole_number
from ..models import Role
from ..services.people import accounts
from ..services import organisation
from ..services.errors import Invalid
from ..web import db, roles_required

bp = Blueprint("manage", __name__, url_prefix="/district")


@bp.route("/officers", methods=["GET", "POST"])
@roles_required(Role.DEPUTY_COMMISSIONER)
def officers():
    session = db()
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        form = request.form
        try:
            officer = accounts.create_officer(
                session,
                current_user,
                accounts.StaffInput(
                    role=Role.DISTRICT_OFFICER,
                    full_name=form.get("full_name", ""),
                    username=form.get("username", ""),
                    password=form.get("password", ""),
                    department_id=form.get("department_id", type=whole_number),
                    email=form.get("email") or None,
                    mobile=form.get("mobile") or None,
                ),
            )
        except Invalid as error:
            session.rollback()
            values = {k: v for k, v in form.items() if k != "password"}
            errors, status = error.errors, 400
        else:
            session.commit()
            flash(_("%(name)s can now sign in as %(username)s.", name=officer.full_name, username=officer.username))
            return redirect(url_for("manage.officers"))
    return (
        render_template(
            "manage/officers.html",
            officers=accounts.officers_of(session, current_user),
            departments=organisation.departments(session),
            values=values,
            errors=errors,
        ),
        status,
    )


@bp.post("/officers/<int:officer_id>/deactivate")
@roles_required(Role.DEPUTY_COMMISSIONER)
def deactivate(officer_id: int):
    session = db()
    result = accounts.deactivate_officer(session, current_user, officer_id)
    session.commit()
    flash(_("The officer is deactivated; %(count)s open complaint(s) are back in your inbox.", count=len(result.returned)))
    if result.stuck:
        flash(_("%(count)s complaint(s) could not be taken back automatically: %(ids)s", count=len(result.stuck),
                ids=result.stuck), "error")
    return redirect(url_for("manage.officers"))


@bp.get("/citizens")
@roles_required(Role.DEPUTY_COMMISSIONER)
def citizens():
    search = request.args.get("q", "")
    return render_template(
        "manage/citizens.html", citizens=accounts.citizens_of(db(), current_user, search=search), search=search
    )


@bp.post("/citizens/<int:citizen_id>/block")
@roles_required(Role.DEPUTY_COMMISSIONER)
def block(citizen_id: int):
    session = db()
    try:
        citizen = accounts.block_citizen(session, current_user, citizen_id, request.form.get("reason", ""))
    except Invalid as error:
        flash(str(error.errors.get("reason", [_("Give a reason.")])[0]), "error")
        return redirect(url_for("manage.citizens"))
    session.commit()
    flash(_("%(name)s is blocked.", name=citizen.full_name))
    return redirect(url_for("manage.citizens"))


@bp.post("/citizens/<int:citizen_id>/unblock")
@roles_required(Role.DEPUTY_COMMISSIONER)
def unblock(citizen_id: int):
    session = db()
    citizen = accounts.unblock_citizen(session, current_user, citizen_id)
    session.commit()
    flash(_("%(name)s is unblocked.", name=citizen.full_name))
    return redirect(url_for("manage.citizens"))
