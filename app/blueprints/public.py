"""Landing page, sign-in, sign-out and citizen registration."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..request_guard import whole_number
from .. import i18n, offline
from ..models import Role
from ..services.people import accounts, second_factor
from ..services.people.identifiers import masked_mobile, normalise_mobile
from ..services import organisation
from ..services.errors import Invalid, TooManyTries
from ..web import client_address, count_request, db, hold_sign_in, same_site, sign_in, sign_out

bp = Blueprint("public", __name__)

HOME_BY_ROLE = {
    Role.CITIZEN: "citizen.my_complaints",
    Role.ANALYST: "complaints.index",
    Role.ADMIN: "complaints.index",
}


# What the sign-in page's login field is filled with after registering (what was typed, nothing more).
TYPED_LOGIN = "registered_login"


def home_for(user) -> str:
    if user.role is Role.CITIZEN and user.mobile_confirmed_at is None:
        return url_for("account.verify")  # nothing to do before the number is confirmed
    return url_for(HOME_BY_ROLE.get(user.role, "inbox.index"))


@bp.get("/")
@offline.offline_copy
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return render_template("public/index.html")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("public/login.html", values={"login": flask_session.get(TYPED_LOGIN, "")})
    session = db()
    try:
        # Counted, and committed, before the password is checked: guessing costs a try whether it
        # succeeds or not, and even if this request then fails (people/tries.py).
        attempt = accounts.start_sign_in(session, request.form.get("login", ""), address=client_address())
    finally:
        session.commit()
    user = accounts.finish_sign_in(session, attempt, request.form.get("password", ""))
    session.commit()
    if user is None:
        return _login_refused(_("The sign-in details do not match an account."))
    if user.blocked_at is not None:
        return _login_refused(_("This account is blocked. Contact your Deputy Commissioner's office."))
    if not user.active:
        return _login_refused(_("This account is deactivated."))
    next_page = same_site(request.args.get("next", ""))
    if second_factor.needed_at_sign_in(db(), user):
        hold_sign_in(user, next_page)  # signed in only once the code is given (app/blueprints/second_factor.py)
        return redirect(url_for("second_factor.code"))
    sign_in(user)
    flask_session.pop(TYPED_LOGIN, None)
    response = redirect(next_page or home_for(user))
    response.headers["Clear-Site-Data"] = offline.CLEAR_ON_SIGN_IN  # pages kept for whoever used this phone before
    return response


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


def _login_refused(message, status=401):
    return render_template("public/login.html", values={"login": request.form.get("login", "")}, error=message), status


@bp.post("/logout")
@login_required
def logout():
    sign_out()
    flash(_("You are signed out."))
    response = redirect(url_for("public.index"))
    response.headers["Clear-Site-Data"] = offline.CLEAR_ON_SIGN_OUT  # nothing of this account stays on the phone
    return response


@bp.route("/register", methods=["GET", "POST"])
def register():
    """The same answer whether or not the CNIC or number is registered (accounts.register_citizen)."""
    districts = organisation.districts(db())
    if request.method == "GET":
        values = {"language": i18n.current_language().code}
        return render_template("public/register.html", values=values, errors={}, districts=districts)
    form = request.form
    # Every registration costs a password hash and may send an SMS: a window per address, shared with the API.
    count_request("register", client_address())
    try:
        accounts.register_citizen(
            db(),
            accounts.Registration(
                full_name=form.get("full_name", ""),
                cnic=form.get("cnic", ""),
                mobile=form.get("mobile", ""),
                district_id=form.get("district_id", type=whole_number),
                password=form.get("password", ""),
                password_confirm=form.get("password_confirm", ""),
                language=form.get("language") or i18n.current_language().code,
            ),
            address=client_address(),
            pepper=current_app.config["SECRET_KEY"],
        )
    except Invalid as error:
        if isinstance(error, TooManyTries):
            db().commit()  # the counts stand
            raise
        status = 400
        values = {k: v for k, v in form.items() if not k.startswith("password")}
        return (
            render_template("public/register.html", values=values, errors=error.errors, districts=districts),
            status,
        )
    db().commit()
    flask_session[TYPED_LOGIN] = form.get("cnic", "").strip()
    flash(_("We sent a code by SMS to %(number)s. Sign in with your CNIC and the password you chose, then enter "
            "the code to confirm your number.", number=masked_mobile(normalise_mobile(form.get("mobile", "")))))
    return redirect(url_for("public.login", next=url_for("account.verify")))
