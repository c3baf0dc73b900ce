"""Registering, signing in and out, the caller's profile, and the look-ups a phone needs to fill its forms."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, url_for
from flask_babel import gettext as _

from .. import i18n

from ..services.people import accounts
from ..services.interop import api_tokens
from ..services import organisation
from ..services.rate_limits import bucket_part
from ..web import client_address, db
from . import bp, serializers
from .auth import api_user, token_required, unauthorized
from .inputs import MAX_ID, Fields, json_object, query_int, row_id
from .limits import enforce
from .problems import ApiProblem

# A response carrying a token must not be kept by any cache (RFC 6749, 5.1).
NO_STORE = {"Cache-Control": "no-store"}


@bp.post("/auth/register")
def register():
    enforce("register", client_address())
    fields = Fields(json_object(), typed=True)
    password = fields.string("password")
    registration = accounts.Registration(
        full_name=fields.string("full_name"),
        cnic=fields.string("cnic"),
        mobile=fields.string("mobile"),
        district_id=row_id(fields.integer("district_id"), "field"),
        password=password,
        # The app asks for the password twice itself; the API takes it once.
        password_confirm=password,
    )
    fields.check()
    session = db()
    user = accounts.register_citizen(session, registration)
    issued = api_tokens.issue_token(session, user, lifetime=_lifetime())
    session.commit()
    return _token_body(issued), 201, {"Location": url_for("api.me"), **NO_STORE}


@bp.post("/auth/token")
def sign_in():
    fields = Fields(json_object(), typed=True)
    login, password = fields.string("login"), fields.string("password")
    fields.check()
    if not login or not password:
        missing = {name: [_("Required.")] for name, value in (("login", login), ("password", password)) if not value}
        raise ApiProblem(422, _("Give your login (CNIC, mobile number or username) and password."), errors=missing)
    # Counted before the password is checked: guessing costs a slot whether it succeeds or not.
    enforce("sign-in", f"{client_address()}:{bucket_part(_login_key(login))}")
    session = db()
    user = accounts.authenticate(session, login, password)
    if user is None:
        raise unauthorized(_("The sign-in details do not match an account."))
    i18n.set_reader(user)
    if not user.is_active:
        raise ApiProblem(403, _("This account is blocked or deactivated. Contact your Deputy Commissioner's office."))
    issued = api_tokens.issue_token(session, user, lifetime=_lifetime())
    session.commit()
    return _token_body(issued), 200, NO_STORE


@bp.delete("/auth/token")
@token_required()
def sign_out():
    session = db()
    api_tokens.revoke_token(session, g.api_token)
    session.commit()
    response = current_app.response_class(status=204)
    del response.headers["Content-Type"]  # no body, so no media type
    return response


@bp.get("/me")
@token_required()
def me():
    return serializers.user(api_user())


@bp.get("/districts")
def districts():
    return {
        "items": [
            {"id": d.id, "code": d.code, **serializers.names(d), "division": serializers.ref(d.division)}
            for d in organisation.districts(db())
        ]
    }


@bp.get("/departments")
def departments():
    return {"items": [{"id": d.id, "code": d.code, **serializers.names(d)} for d in organisation.departments(db())]}


@bp.get("/categories")
def categories():
    department_id = query_int("department_id", 0, minimum=1, maximum=MAX_ID)
    return {
        "items": [
            {"id": c.id, "code": c.code, **serializers.names(c), "department_id": c.department_id}
            for department, listed in organisation.categories_by_department(db())
            if department_id in (0, department.id)
            for c in listed
        ]
    }


def _login_key(login: str) -> str:
    """One key per account however the login is written, so "17301-1234567-1" and "1730112345671" share a limit."""
    cnic, mobile = accounts.normalise_cnic(login), accounts.normalise_mobile(login)
    if accounts.CNIC_RE.match(cnic):
        return cnic
    if accounts.MOBILE_RE.match(mobile):
        return mobile
    return login.strip().lower()


def _lifetime() -> timedelta:
    return timedelta(days=current_app.config["API_TOKEN_LIFETIME_DAYS"])


def _token_body(issued: api_tokens.IssuedToken) -> dict:
    return {
        "token": issued.token,
        "token_type": "Bearer",
        "expires_at": serializers.when(issued.row.expires_at),
        "user": serializers.user(issued.row.user),
    }
