"""Landing page, sign-in, sign-out and citizen registration."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import i18n
from ..models import Role
from ..services.people import accounts
from ..services import organisation
from ..services.errors import Invalid
from ..web import db, same_site

bp = Blueprint("public", __name__)

HOME_BY_ROLE = {
    Role.CITIZEN: "citizen.my_complaints",
    Role.ANALYST: "complaints.index",
    Role.ADMIN: "complaints.index",
}


def home_for(user) -> str:
    return url_for(HOME_BY_ROLE.get(user.role, "inbox.index"))


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return render_template("public/index.html")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("public/login.html", values={})
    user = accounts.authenticate(db(), request.form.get("login", ""), request.form.get("password", ""))
    if user is None:
        return _login_refused(_("The sign-in details do not match an account."))
    if user.blocked_at is not None:
        return _login_refused(_("This account is blocked. Contact your Deputy Commissioner's office."))
    if not user.active:
        return _login_refused(_("This account is deactivated."))
    login_user(user)
    return redirect(same_site(request.args.get("next", "")) or home_for(user))


@bp.post("/language")
def choose_language():
    """The switch in every page's header: kept in a cookie, and saved for a signed-in user."""
    code = i18n.known(request.form.get("language"))
    if code is None:
        abort(400)
    if current_user.is_authenticated:
        session = db()
        accounts.set_language(session, current_user, code)
        session.commit()
    response = redirect(same_site(request.form.get("next", "")) or url_for("public.index"))
    response.set_cookie(i18n.COOKIE, code, max_age=i18n.COOKIE_MAX_AGE, samesite="Lax", secure=request.is_secure)
    return response


def _login_refused(message):
    return render_template("public/login.html", values={"login": request.form.get("login", "")}, error=message), 401


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are signed out."))
    return redirect(url_for("public.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    districts = organisation.districts(db())
    if request.method == "GET":
        return render_template("public/register.html", values={}, errors={}, districts=districts)
    form = request.form
    try:
        user = accounts.register_citizen(
            db(),
            accounts.Registration(
                full_name=form.get("full_name", ""),
                cnic=form.get("cnic", ""),
                mobile=form.get("mobile", ""),
                district_id=form.get("district_id", type=int),
                password=form.get("password", ""),
                password_confirm=form.get("password_confirm", ""),
            ),
        )
    except Invalid as error:
        values = {k: v for k, v in form.items() if not k.startswith("password")}
        return (
            render_template("public/register.html", values=values, errors=error.errors, districts=districts),
            400,
        )
    db().commit()
    login_user(user)
    flash(_("Welcome! You can now lodge a complaint."))
    return redirect(url_for("citizen.my_complaints"))
