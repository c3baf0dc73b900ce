"""Forgotten passwords (citizens): ask for a code by SMS, then set a new password with it.

Every answer to a code request is the same, so the pages never tell whether an
account exists for a number (app/services/password_resets.py).
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_babel import gettext as _, lazy_gettext as _l

from ..services.people import password_resets
from ..services.errors import Invalid, TooManyTries
from ..web import client_address, db

bp = Blueprint("password", __name__, url_prefix="/password")

MINUTES = int(password_resets.CODE_LIFETIME.total_seconds() // 60)
SENT = _l("If an account exists for this number, we have sent a code by SMS. It is valid for %(minutes)s minutes.",
         minutes=MINUTES)
# The login typed on the first page, so the second need not ask for it again.
TYPED_LOGIN = "password_reset_login"


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    if request.method == "GET":
        return render_template("password/forgot.html", values={}, errors={})
    login = request.form.get("login", "")
    try:
        password_resets.request_code(db(), login, address=client_address(), pepper=current_app.config["SECRET_KEY"])
    except Invalid as error:
        return render_template("password/forgot.html", values={"login": login}, errors=error.errors), 400
    db().commit()
    flask_session[TYPED_LOGIN] = login.strip()
    flash(str(SENT))
    return redirect(url_for("password.reset"))


@bp.route("/reset", methods=["GET", "POST"])
def reset():
    if request.method == "GET":
        values = {"login": flask_session.get(TYPED_LOGIN, "")}
        return render_template("password/reset.html", values=values, errors={}, minutes=MINUTES)
    form = request.form
    try:
        password_resets.reset_password(
            db(),
            form.get("login", ""),
            form.get("code", ""),
            form.get("password", ""),
            form.get("password_confirm", ""),
            address=client_address(),
            pepper=current_app.config["SECRET_KEY"],
        )
    except Invalid as error:
        db().commit()  # the try and the rate-limit counts stand though the reset failed
        if isinstance(error, TooManyTries):
            raise
        values = {"login": form.get("login", "")}
        return render_template("password/reset.html", values=values, errors=error.errors, minutes=MINUTES), 400
    db().commit()
    flask_session.pop(TYPED_LOGIN, None)
    flash(_("Your password is changed. Sign in with your new password."))
    return redirect(url_for("public.login"))
