"""The administrator's staff accounts: create them with their scope, edit, move to another post, deactivate,
force a password change; the audit log that records each of these acts; and the days offices are closed
(closures), which timers that count working days skip."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from datetime import date

from flask_babel import format_date, get_locale, gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..request_guard import whole_number
from ..models import Role, User
from ..services.people import accounts, audit, staff as staff_admin
from ..services import closures, organisation
from ..services.errors import Invalid
from ..web import DATE_PATTERN, db, roles_required

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
                user = staff_admin.add_staff(
                    session,
                    current_user,
                    accounts.StaffInput(
                        role=role,
                        full_name=form.get("full_name", ""),
                        username=form.get("username", ""),
                        password=form.get("password", ""),
                        district_id=form.get("district_id", type=whole_number),
                        division_id=form.get("division_id", type=whole_number),
                        department_id=form.get("department_id", type=whole_number),
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


@bp.route("/staff/<int:staff_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def staff_member(staff_id: int):
    """One staff member: their details (this form), their post, their account's state."""
    session = db()
    person = staff_admin.staff_member(session, staff_id)
    if request.method == "GET":
        return _member_page(person)
    form = request.form
    try:
        staff_admin.edit_staff(session, current_user, staff_id, staff_admin.StaffDetails(
            full_name=form.get("full_name", ""), username=form.get("username", ""),
            email=form.get("email"), mobile=form.get("mobile")))
    except Invalid as error:
        session.rollback()
        return _member_page(staff_admin.staff_member(session, staff_id), values=dict(form), errors=error.errors,
                            status=400)
    session.commit()
    flash(_("Saved the details of %(name)s.", name=person.full_name))
    return redirect(url_for("admin.staff_member", staff_id=staff_id))


@bp.post("/staff/<int:staff_id>/move")
@roles_required(Role.ADMIN)
def move(staff_id: int):
    session = db()
    try:
        result = staff_admin.move_staff(session, current_user, staff_id,
                                        district_id=request.form.get("district_id", type=whole_number),
                                        department_id=request.form.get("department_id", type=whole_number))
    except Invalid as error:
        session.rollback()
        return _member_page(staff_admin.staff_member(session, staff_id), move_values=dict(request.form),
                            move_errors=error.errors, status=400)
    session.commit()
    person = staff_admin.staff_member(session, staff_id)
    flash(_("%(name)s now works in the new post.", name=person.full_name))
    _flash_returned(result)
    return redirect(url_for("admin.staff_member", staff_id=staff_id))


@bp.post("/staff/<int:staff_id>/deactivate")
@roles_required(Role.ADMIN)
def deactivate(staff_id: int):
    session = db()
    result = staff_admin.deactivate_staff(session, current_user, staff_id)
    session.commit()
    flash(_("The account is deactivated and signed out everywhere."))
    _flash_returned(result)
    return redirect(url_for("admin.staff_member", staff_id=staff_id))


@bp.post("/staff/<int:staff_id>/reactivate")
@roles_required(Role.ADMIN)
def reactivate(staff_id: int):
    session = db()
    staff_admin.reactivate_staff(session, current_user, staff_id)
    session.commit()
    flash(_("The account can sign in again."))
    return redirect(url_for("admin.staff_member", staff_id=staff_id))


@bp.post("/staff/<int:staff_id>/password-change")
@roles_required(Role.ADMIN)
def force_password_change(staff_id: int):
    session = db()
    staff_admin.force_password_change(session, current_user, staff_id)
    session.commit()
    flash(_("They are signed out everywhere and must choose a new password when they next sign in."))
    return redirect(url_for("admin.staff_member", staff_id=staff_id))


@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    action, person = request.args.get("action", ""), request.args.get("person", "")
    found = audit.entries(db(), action=action, person=person, page=request.args.get("page", 1, type=whole_number))
    actions = [(code, str(label)) for code, label in audit.ACTION_LABELS.items()]
    return render_template("admin/audit.html", found=found, action=action, person=person, actions=actions,
                           action_label=audit.action_label)


@bp.route("/closures", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def closures_page():
    """Closures of the province's offices; a POST adds one."""
    if request.method == "GET":
        return _closures_page()
    session, form = db(), request.form
    try:
        closure = closures.add_closure(session, current_user, _form_date(form.get("starts_on")),
                                       _form_date(form.get("ends_on")), form.get("reason", ""))
    except Invalid as error:
        session.rollback()
        return _closures_page(values=dict(form), errors=error.errors, status=400)
    session.commit()
    flash(_("Offices are closed from %(first)s to %(last)s; working-day deadlines reached from now on skip these days.",
            first=_day(closure.starts_on), last=_day(closure.ends_on)))
    return redirect(url_for("admin.closures_page"))


@bp.post("/closures/<int:closure_id>/remove")
@roles_required(Role.ADMIN)
def remove_closure(closure_id: int):
    session = db()
    closure = closures.remove_closure(session, current_user, closure_id)
    session.commit()
    flash(_("Removed the closure from %(first)s to %(last)s.", first=_day(closure.starts_on), last=_day(closure.ends_on)))
    return redirect(url_for("admin.closures_page"))


def _day(value: date) -> str:
    """A date as the portal writes dates, with the month in the reader's language."""
    return format_date(value, DATE_PATTERN)


def _form_date(value: str | None) -> date | None:
    """A date from an <input type="date"> (YYYY-MM-DD); None when empty or not a date (the service says so)."""
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _closures_page(*, values=None, errors=None, status=200):
    session = db()
    year = date.today().year
    page = render_template(
        "admin/closures_page.html", closures=closures.list_closures(session, current_user),
        holidays={y: closures.public_holidays(y, str(get_locale() or "en")) for y in (year, year + 1)},
        values=values or {}, errors=errors or {}, reason_length=closures.REASON_LENGTH, day=_day,
    )
    return page, status


def _flash_returned(result: accounts.Deactivation) -> None:
    if result.returned:
        flash(_("%(count)s open complaint(s) are back with the Deputy Commissioner.", count=len(result.returned)))
    if result.stuck:
        flash(_("%(count)s complaint(s) could not be taken back automatically: %(ids)s", count=len(result.stuck),
                ids=result.stuck), "error")


def _member_page(person: User, *, values=None, errors=None, move_values=None, move_errors=None, status=200):
    session = db()
    page = render_template(
        "admin/staff_member.html", person=person, movable=person.role in staff_admin.MOVABLE,
        districts=organisation.districts(session), departments=organisation.departments(session),
        values=values or {"full_name": person.full_name, "username": person.username or "",
                          "email": person.email or "", "mobile": person.mobile or ""},
        errors=errors or {},
        move_values=move_values or {"district_id": person.district_id, "department_id": person.department_id},
        move_errors=move_errors or {},
    )
    return page, status
