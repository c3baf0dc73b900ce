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
from ..services.people import accounts, mobile_numbers, profile, user_sessions
from ..web import client_address, current_session_key, db, renew_sign_in, roles_required, sign_out

bp = Blueprint("account", __name__, url_prefix="/account")


def _me():
    return current_user._get_current_object()


def _page(errors=None, values=None, status=200):
    session, user = db(), _me()
    this = user_sessions.live_session(session, user.id, current_session_key())
    return render_template(
        "account/index.html",
        errors=errors or {},
        values=values or {},
        notices=[(key, profile.SMS_NOTICES[key], on) for key, on in profile.sms_notices(user).items()],
        pending=mobile_numbers.pending_number(session, user) if user.role is Role.CITIZEN else None,
        browsers=user_sessions.sessions_of(session, user),
        this_browser=this.id if this else None,
        phones=api_tokens.tokens_of(session, user),
    ), status


def _refused(error: Invalid, render, **values):
    """A refused form: the tries it counted stand (committed); 429 past a rate limit."""
    db().commit()
    return render(errors=error.errors, values=values, status=429 if isinstance(error, TooManyTries) else 400)


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("/language")
@login_required
def language():
    try:
        accounts.set_language(db(), _me(), request.form.get("language", ""))
    except Invalid as error:
        return _refused(error, _page)
    db().commit()
    flash(_("Your language is saved."))
    return redirect(url_for("account.index"))


@bp.post("/password")
@login_required
def password():
    form = request.form
    try:
        profile.change_password(
            db(), _me(), form.get("current_password", ""), form.get("password", ""), form.get("password_confirm", ""),
            address=client_address(), keep_session_key=current_session_key(),
        )
    except Invalid as error:
        return _refused(error, _page)
    db().commit()
    renew_sign_in(_me())
    flash(_("Your password is changed. Every other browser and phone signed in to your account is signed out."))
    return redirect(url_for("account.index"))


@bp.post("/email")
@roles_required(Role.CITIZEN)
def email():
    try:
        profile.set_email(db(), _me(), request.form.get("email", ""))
    except Invalid as error:
        return _refused(error, _page, email=request.form.get("email", ""))
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
        return _refused(error, _page)
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
        return _refused(error, _page, mobile=typed)
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
    this = user_sessions.live_session(db(), current_user.id, current_session_key())
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
    user_sessions.end_sessions(db(), _me(), keep_key=current_session_key())
    db().commit()
    flash(_("Every other browser is signed out."))
    return redirect(url_for("account.index"))


@bp.post("/phones/<int:token_id>/end")
@login_required
def end_phone(token_id: int):
    api_tokens.revoke_token_of(db(), _me(), token_id)
    db().commit()
    flash(_("That phone is signed out."))
    return redirect(url_for("account.index"))
