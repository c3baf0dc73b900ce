"""The second factor's pages: the code step of signing in, enrolling (QR code, first code, recovery codes),
an officer's choice on /account, and an administrator's reset. The rules are in
app/services/people/second_factor.py; the sign-in held between password and code in app/web.py."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import offline
from .account import account_page
from ..models import Role, SecondFactor, User
from ..services.errors import Invalid, NotFound, TooManyTries
from ..services.people import second_factor
from ..web import (
    client_address, db, forget_held_sign_in, held_sign_in, roles_required, second_factor_box, sign_in,
)

bp = Blueprint("second_factor", __name__)
# The Flask session's key of the secret shown on the enrolment page, sealed, until its first code.
PENDING = "second_factor_pending"


def _home(user, next_page: str) -> str:
    from .public import home_for  # the one table of landing pages

    return next_page or home_for(user)


def _signed_in(user, next_page: str, *, recovery_codes: list[str] | None = None, notice: str | None = None):
    """Sign in with the second factor; after enrolling, show the recovery codes first (once)."""
    sign_in(user, with_second_factor=True)
    if notice:
        flash(notice)  # after sign_in, which starts the browser's Flask session afresh
    if recovery_codes is not None:
        response = current_app.make_response(
            render_template("second_factor/recovery_codes.html", codes=recovery_codes,
                            continue_to=_home(user, next_page)))
    else:
        response = redirect(_home(user, next_page))
    response.headers["Clear-Site-Data"] = offline.CLEAR_ON_SIGN_IN
    response.headers["Cache-Control"] = "no-store"  # the recovery codes page must not be kept
    return response


def _start_again():
    forget_held_sign_in()
    flash(_("Sign in again: too much time passed since you gave your password."))
    return redirect(url_for("public.login"))


def _refused(error: Invalid, template: str, **context):
    db().commit()  # the tries stand
    status = 429 if isinstance(error, TooManyTries) else 400
    response = current_app.make_response((render_template(template, errors=error.errors, **context), status))
    if isinstance(error, TooManyTries):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


# Signing in ------------------------------------------------------------------------------------------

@bp.route("/login/code", methods=["GET", "POST"])
def code():
    held = held_sign_in()
    if held is None:
        return _start_again()
    user, next_page = held
    if not second_factor.enrolled(db(), user):
        return redirect(url_for("second_factor.enrol"))
    if request.method == "GET":
        return render_template("second_factor/code.html", errors={})
    try:
        proof = second_factor.prove(db(), user, request.form.get("code", ""), second_factor_box(),
                                    address=client_address())
    except Invalid as error:
        return _refused(error, "second_factor/code.html")
    db().commit()
    notice = None
    if proof.recovery_left is not None:
        notice = ngettext("You used a recovery code. %(num)d is left: make new ones on your account page.",
                          "You used a recovery code. %(num)d are left: make new ones on your account page.",
                          proof.recovery_left)
    return _signed_in(user, next_page, notice=notice)


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol():
    held = held_sign_in()
    if held is None:
        return _start_again()
    user, next_page = held
    if second_factor.enrolled(db(), user):
        return redirect(url_for("second_factor.code"))
    return _enrolment(user, url_for("second_factor.enrol"),
                      lambda codes: _signed_in(user, next_page, recovery_codes=codes))


def _enrolment(user, action: str, done):
    """The enrolment page (GET) and its confirming code (POST); `done(recovery_codes)` answers a success.

    The GET writes nothing to the database (it may be prefetched and has no CSRF token): the secret it shows
    waits, sealed, in this browser's signed session for the POST that stores it with its first code."""
    box = second_factor_box()
    pending = flask_session.get(PENDING) or {}
    sealed = pending.get("sealed") if pending.get("user") == user.id else None
    enrolment = second_factor.begin_enrolment(db(), user, box, issuer=current_app.config["SECOND_FACTOR_ISSUER"],
                                              sealed=sealed)
    context = {"action": action, "secret": enrolment.secret, "qr_code": second_factor.qr_code(enrolment.uri),
               "required": second_factor.required_for(user)}
    # The secret shown is the one the next code must prove (a POST with none pending shows a new one).
    flask_session[PENDING] = {"user": user.id, "sealed": enrolment.sealed}
    if request.method == "GET":
        response = current_app.make_response(render_template("second_factor/enrol.html", errors={}, **context))
        response.headers["Cache-Control"] = "no-store"  # the page shows the secret
        return response
    try:
        codes = second_factor.confirm_enrolment(db(), user, request.form.get("code", ""), box, sealed=sealed,
                                                address=client_address())
    except Invalid as error:
        return _refused(error, "second_factor/enrol.html", **context)
    db().commit()
    flask_session.pop(PENDING, None)
    return done(codes)


# On the account page ---------------------------------------------------------------------------------

def _me():
    return current_user._get_current_object()


@bp.route("/account/second-factor", methods=["GET", "POST"])
@login_required
def account_enrol():
    """Officers who choose a second factor (and staff who must have one, should it have been reset)."""
    user = _me()
    if not second_factor.may_enrol(user):
        raise NotFound("no second factor for this role")
    if second_factor.enrolled(db(), user):
        return redirect(url_for("account.index", _anchor="second-factor"))

    def done(codes):
        flash(_("Your second factor is set up. From now on, signing in asks for a code from your app."))
        response = current_app.make_response(render_template(
            "second_factor/recovery_codes.html", codes=codes, continue_to=url_for("account.index")))
        response.headers["Cache-Control"] = "no-store"
        return response

    return _enrolment(user, url_for("second_factor.account_enrol"), done)


@bp.post("/account/second-factor/recovery-codes")
@login_required
def new_recovery_codes():
    """Ten new recovery codes (the old ones stop working), given a current code."""
    user = _me()
    if not second_factor.enrolled(db(), user):
        raise NotFound("no second factor")
    try:
        second_factor.prove(db(), user, request.form.get("code", ""), second_factor_box(), address=client_address())
    except Invalid as error:
        db().commit()
        return account_page(errors=error.errors, status=429 if isinstance(error, TooManyTries) else 400)
    codes = second_factor.new_recovery_codes(db(), user)
    db().commit()
    response = current_app.make_response(render_template(
        "second_factor/recovery_codes.html", codes=codes, continue_to=url_for("account.index")))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/second-factor/off")
@roles_required(*second_factor.OPTIONAL_ROLES)
def turn_off():
    user = _me()
    if not second_factor.enrolled(db(), user):
        raise NotFound("no second factor")
    try:
        second_factor.turn_off(db(), user, request.form.get("code", ""), second_factor_box(), address=client_address())
    except Invalid as error:
        db().commit()
        return account_page(errors=error.errors, status=429 if isinstance(error, TooManyTries) else 400)
    db().commit()
    flash(_("Your second factor is turned off. Signing in asks for your password only."))
    return redirect(url_for("account.index"))


# The administrator -----------------------------------------------------------------------------------

@bp.get("/admin/second-factors")
@roles_required(Role.ADMIN)
def staff_list():
    """Every member of staff who must or may use a second factor, whether they have, and a reset for each."""
    session = db()
    factors = {f.user_id: f for f in session.scalars(select(SecondFactor))}
    people = session.scalars(select(User).where(User.role.in_(second_factor.REQUIRED_ROLES | second_factor.OPTIONAL_ROLES))
                             .order_by(User.role, User.full_name))
    return render_template("second_factor/admin.html", people=[(p, factors.get(p.id)) for p in people],
                           required=second_factor.REQUIRED_ROLES)


@bp.post("/admin/second-factors/<int:user_id>/reset")
@roles_required(Role.ADMIN)
def reset(user_id: int):
    session = db()
    person = session.get(User, user_id)
    if person is None or not second_factor.may_enrol(person):
        raise NotFound(f"staff {user_id}")
    second_factor.reset(session, _me(), person, reason=request.form.get("reason", ""))
    session.commit()
    flash(_("The second factor of %(name)s is reset. They are signed out and set up a new one at their next "
            "sign-in.", name=person.full_name))
    return redirect(url_for("second_factor.staff_list"))
