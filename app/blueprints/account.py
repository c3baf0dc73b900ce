"""My account: language, password, mobile number, e-mail, SMS notices, signed-in browsers and phones.

Everyone signed in has the page; staff see their language, password and where
they are signed in (their contact details are the administrator's). Confirming a
citizen's number with its code is /account/verify, where registration leads.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..models import Role
from ..services.errors import Invalid, TooManyTries
from ..services.interop import api_tokens
from ..services.people import accounts, mobile_numbers, profile, second_factor, user_sessions
from ..web import client_address, current_session_key, db, renew_sign_in, roles_required, session_limits, sign_out

bp = Blueprint("account", __name__, url_prefix="/account")


def _me():
    return current_user._get_current_object()


def account_page(errors=None, values=None, status=200):
    session, user = db(), _me()
    this = user_sessions.live_session(session, user, current_session_key(), limits=session_limits())
    return render_template(
        "account/index.html",
        errors=errors or {},
        values=values or {},
        notices=[(key, profile.SMS_NOTICES[key], on) for key, on in profile.sms_notices(user).items()],
        pending=mobile_numbers.pending_number(session, user) if user.role is Role.CITIZEN else None,
        browsers=[(browser, user_sessions.ends_at(browser, user.role, session_limits()))
                  for browser in user_sessions.sessions_of(session, user, limits=session_limits())],
        this_browser=this.id if this else None,
        phones=api_tokens.tokens_of(session, user),
        second_factor=_second_factor_state(session, user),
    ), status


def _second_factor_state(session, user) -> dict | None:
    """What the "Second factor" section shows; None for roles without one (citizens)."""
    if not second_factor.may_enrol(user):
        return None
    enrolled = second_factor.enrolled(session, user)
    return {"enrolled": enrolled, "required": second_factor.required_for(user),
            "recovery_left": second_factor.recovery_codes_left(session, user) if enrolled else 0}


def _refused(error: Invalid, render, **values):
    """A refused form: the tries it counted stand (committed); past a limit, the page that says when to try again."""
    db().commit()
    if isinstance(error, TooManyTries):
        raise error
    return render(errors=error.errors, values=values, status=400)


def _new_password_page(errors=None, values=None, status=200):
    return render_template("account/new_password.html", errors=errors or {}, forced=_me().must_change_password), status


@bp.get("")
@login_required
def index():
    return account_page()


@bp.post("/language")
@login_required
def language():
    try:
        accounts.set_language(db(), _me(), request.form.get("language", ""))
    except Invalid as error:
        return _refused(error, account_page)
    db().commit()
    flash(_("Your language is saved."))
    return redirect(url_for("account.index"))


@bp.get("/password")
@login_required
def new_password():
    """The password form on its own page: where a password that today's rules refuse must be changed first."""
    return _new_password_page()


@bp.post("/password")
@login_required
def password():
    form, forced = request.form, _me().must_change_password
    try:
        profile.change_password(
            db(), _me(), form.get("current_password", ""), form.get("password", ""), form.get("password_confirm", ""),
            address=client_address(), keep_session_key=current_session_key(),
        )
    except Invalid as error:
        return _refused(error, _new_password_page if forced else account_page)
    db().commit()
    renew_sign_in(_me())
    flash(_("Your password is changed. Every other browser and phone signed in to your account is signed out."))
    return redirect(url_for("public.index") if forced else url_for("account.index"))


@bp.post("/email")
@roles_required(Role.CITIZEN)
def email():
    try:
        profile.set_email(db(), _me(), request.form.get("email", ""))
    except Invalid as error:
        return _refused(error, account_page, email=request.form.get("email", ""))
    db().commit()
    flash(_("Your e-mail address is saved."))
    return redirect(url_for("account.index"))


@bp.post("/notices")
@roles_required(Role.CITIZEN)
def notices():
    wanted = set(request.form.getlist("sms"))
    try:
        profile.set_sms_notices(db(), _me(), {key: key in wanted for key in profile.SMS_NOTICES})
    except Invalid as error:
        return _refused(error, account_page)
    db().commit()
    flash(_("Your choice of SMS is saved. Every notice still comes in the portal."))
    return redirect(url_for("account.index"))


@bp.post("/mobile")
@roles_required(Role.CITIZEN)
def mobile():
    typed = request.form.get("mobile", "")
    try:
        number = mobile_numbers.send_code(db(), _me(), typed, address=client_address(),
                                          pepper=current_app.config["SECRET_KEY"])
    except Invalid as error:
        return _refused(error, account_page, mobile=typed)
    db().commit()
    flash(_("We sent a code by SMS to %(number)s. Enter it here to make it your number; until then your "
            "account keeps its old one.", number=number))
    return redirect(url_for("account.verify"))


def _verify_page(errors=None, values=None, status=200):
    pending = mobile_numbers.pending_number(db(), _me())
    return render_template("account/verify.html", errors=errors or {}, pending=pending,
                           minutes=mobile_numbers.codes.MINUTES), status


@bp.route("/verify", methods=["GET", "POST"])
@roles_required(Role.CITIZEN)
def verify():
    user = _me()
    if request.method == "GET":
        if user.mobile_confirmed_at is not None and mobile_numbers.pending_number(db(), user) is None:
            return redirect(url_for("account.index"))
        return _verify_page()
    first = user.mobile_confirmed_at is None
    try:
        mobile_numbers.confirm_mobile(db(), user, request.form.get("code", ""), address=client_address(),
                                      pepper=current_app.config["SECRET_KEY"])
    except Invalid as error:
        return _refused(error, _verify_page)
    db().commit()
    flash(_("Your mobile number %(number)s is confirmed.", number=user.mobile))
    return redirect(url_for("citizen.new_complaint" if first else "account.index"))


@bp.post("/verify/resend")
@roles_required(Role.CITIZEN)
def resend():
    try:
        number = mobile_numbers.resend_code(db(), _me(), address=client_address(),
                                            pepper=current_app.config["SECRET_KEY"])
    except Invalid as error:
        return _refused(error, _verify_page)
    db().commit()
    flash(_("We sent a new code by SMS to %(number)s. Earlier codes no longer work.", number=number))
    return redirect(url_for("account.verify"))


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    this = user_sessions.live_session(db(), _me(), current_session_key(), limits=session_limits())
    user_sessions.end_session(db(), _me(), session_id)
    db().commit()
    if this is not None and this.id == session_id:
        sign_out()
        flash(_("You are signed out."))
        return redirect(url_for("public.index"))
    flash(_("That browser is signed out."))
    return redirect(url_for("account.index"))


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions():
    """Everywhere but this browser: every other browser and every phone."""
    user_sessions.end_sessions(db(), _me(), keep_key=current_session_key())
    api_tokens.revoke_tokens(db(), _me())
    db().commit()
    flash(_("Every other browser and phone is signed out."))
    return redirect(url_for("account.index"))


@bp.post("/phones/<int:token_id>/end")
@login_required
def end_phone(token_id: int):
    api_tokens.revoke_token_of(db(), _me(), token_id)
    db().commit()
    flash(_("That phone is signed out."))
    return redirect(url_for("account.index"))
