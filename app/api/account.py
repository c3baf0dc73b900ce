"""Registering, signing in and out, the caller's account, and the look-ups a phone needs to fill its forms."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from flask import current_app, g
from flask_babel import gettext as _

from .. import i18n
from ..models import Role
from ..services.errors import Invalid, TooManyTries
from ..services.people import accounts, mobile_numbers, profile, second_factor
from ..services.people.identifiers import masked_mobile, normalise_mobile
from ..services.interop import api_tokens
from ..services import organisation
from ..web import client_address, db, second_factor_box
from . import bp, serializers
from .auth import REALM, api_user, token_required, unauthorized
from .inputs import MAX_ID, Fields, json_object, query_int, row_id
from .limits import enforce
from .problems import ApiProblem

# The problem type of a sign-in that needs (or got a wrong) second-factor code; `second_factor` says which.
SECOND_FACTOR_PROBLEM = "/api/v1/docs#second-factor"
# Its `second_factor` member, for programs: enrol on the website first; send the code; the code was wrong.
NOT_SET_UP, CODE_REQUIRED, CODE_WRONG = "not_set_up", "code_required", "code_wrong"
CHALLENGE = {"WWW-Authenticate": f'Bearer realm="{REALM}"'}
# A response carrying a token must not be kept by any cache (RFC 6749, 5.1).
NO_STORE = {"Cache-Control": "no-store"}


@contextmanager
def _counts_stand():
    """A refused password or code still counts: commit the tries before answering with the problem."""
    try:
        yield
    except Invalid:
        db().commit()
        raise


@bp.post("/auth/register")
def register():
    """The same answer whether or not the CNIC or number is registered (accounts.register_citizen)."""
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
        language=fields.string("language", default=i18n.current_language().code),
    )
    fields.check()
    session = db()
    with _counts_stand():
        accounts.register_citizen(session, registration, address=client_address(),
                                  pepper=current_app.config["SECRET_KEY"])
    session.commit()
    detail = _("We sent a code by SMS to this number. Sign in with your CNIC and password (POST /auth/token), "
               "then confirm the number with the code (POST /me/mobile/confirmation).")
    return _code_sent(registration.mobile, detail), 202, NO_STORE


@bp.post("/auth/token")
def sign_in():
    fields = Fields(json_object(), typed=True)
    login, password = fields.string("login"), fields.string("password")
    code = fields.string("totp")
    fields.check()
    if not login or not password:
        missing = {name: [_("Required.")] for name, value in (("login", login), ("password", password)) if not value}
        raise ApiProblem(422, _("Give your login (CNIC, mobile number or username) and password."), errors=missing)
    session = db()
    try:
        # Counted, and committed, before the password is checked: guessing costs a try whether it
        # succeeds or not, and even if this request then fails (people/tries.py).
        attempt = accounts.start_sign_in(session, login, address=client_address())
    finally:
        session.commit()
    user = accounts.finish_sign_in(session, attempt, password)
    session.commit()
    if user is None:
        raise unauthorized(_("The sign-in details do not match an account."))
    i18n.set_reader(user)
    if not user.is_active:
        raise ApiProblem(403, _("This account is blocked or deactivated. Contact your Deputy Commissioner's office."))
    if second_factor.needed_at_sign_in(session, user):
        _prove_second_factor(session, user, code)
    issued = api_tokens.issue_token(session, user, lifetime=_lifetime())
    session.commit()
    return _token_body(issued), 200, NO_STORE


def _prove_second_factor(session, user, code: str | None) -> None:
    """Staff who must (or chose to) use a second factor send its code as `totp`; enrolling is done on the website."""
    if not second_factor.enrolled(session, user):
        raise ApiProblem(403, _("Your account needs a second factor, which is not set up yet. Sign in on the website "
                                "once to set it up with your authenticator app, then sign in here with its code."),
                         type=SECOND_FACTOR_PROBLEM, second_factor=NOT_SET_UP)
    if not code:
        raise ApiProblem(401, _("Your account signs in with a second factor: send the 6-digit code from your "
                                "authenticator app (or a recovery code) as \"totp\" with your login and password."),
                         type=SECOND_FACTOR_PROBLEM, second_factor=CODE_REQUIRED,
                         errors={"totp": [_("Required.")]}, headers=CHALLENGE)
    try:
        second_factor.prove(session, user, code, second_factor_box(), address=client_address())
    except Invalid as error:
        session.commit()  # the try counts
        if isinstance(error, TooManyTries):
            raise
        raise ApiProblem(401, _("The code of your second factor is not right."), type=SECOND_FACTOR_PROBLEM,
                         second_factor=CODE_WRONG, errors={"totp": error.messages()},
                         headers=CHALLENGE) from None


@bp.delete("/auth/token")
@token_required()
def sign_out():
    session = db()
    api_tokens.revoke_token(session, g.api_token)
    session.commit()
    return _no_content()


@bp.get("/me")
@token_required()
def me():
    return _account(api_user())


@bp.patch("/me")
@token_required()
def change_me():
    """Language, e-mail (citizens), which notices come by SMS (citizens); what is not sent stays."""
    source = json_object()
    fields = Fields(source, typed=True)
    language, email = fields.string("language"), fields.string("email")
    notices = source.get("sms_notices")
    if "sms_notices" in source and not (
        isinstance(notices, dict) and all(isinstance(on, bool) for on in notices.values())
    ):
        fields.errors["sms_notices"] = ["Must be an object of notices, each true or false."]
    fields.check()
    session, user = db(), api_user()
    errors: dict[str, list[str]] = {}
    changes = [
        ("language" in source, lambda: accounts.set_language(session, user, language)),
        ("email" in source, lambda: profile.set_email(session, user, email)),
        ("sms_notices" in source, lambda: profile.set_sms_notices(session, user, notices)),
    ]
    for sent, change in changes:
        if sent:
            try:
                change()
            except Invalid as error:
                errors.update(error.errors)
    if errors:
        raise Invalid(errors)
    session.commit()
    return _account(user)


@bp.post("/me/password")
@token_required()
def change_password():
    """Signs out every browser and every other phone; this token stays."""
    fields = Fields(json_object(), typed=True)
    current, new = fields.string("current_password"), fields.string("new_password")
    fields.check()
    session = db()
    with _counts_stand():
        try:
            profile.change_password(session, api_user(), current, new, new, address=client_address(),
                                    keep_token_id=g.api_token.id)
        except Invalid as error:
            # The page's field is "password"; the API's, "new_password".
            error.errors = {("new_password" if k == "password" else k): v for k, v in error.errors.items()}
            raise
    session.commit()
    return _no_content()


@bp.post("/me/mobile")
@token_required(Role.CITIZEN)
def change_mobile():
    """Sends a code to the new number (the same answer if it belongs to another account); it counts once confirmed."""
    fields = Fields(json_object(), typed=True)
    mobile = fields.string("mobile")
    fields.check()
    session = db()
    with _counts_stand():
        mobile_numbers.send_code(session, api_user(), mobile, address=client_address(),
                                 pepper=current_app.config["SECRET_KEY"])
    session.commit()
    detail = _("We sent a code by SMS to this number. Confirm it with the code (POST /me/mobile/confirmation); "
               "until then the account keeps its number.")
    return _code_sent(mobile, detail), 202, NO_STORE


@bp.post("/me/mobile/confirmation")
@token_required(Role.CITIZEN)
def confirm_mobile():
    fields = Fields(json_object(), typed=True)
    code = fields.string("code")
    fields.check()
    session, user = db(), api_user()
    with _counts_stand():
        mobile_numbers.confirm_mobile(session, user, code, address=client_address(),
                                      pepper=current_app.config["SECRET_KEY"])
    session.commit()
    return _account(user)


def _account(user) -> dict:
    pending = mobile_numbers.pending_number(db(), user) if user.role is Role.CITIZEN else None
    return serializers.account(user, pending_mobile=pending, sms_notices=profile.sms_notices(user))


def _code_sent(typed_mobile: str, detail: str) -> dict:
    return {"detail": detail, "mobile": masked_mobile(normalise_mobile(typed_mobile))}


def _no_content():
    response = current_app.response_class(status=204)
    del response.headers["Content-Type"]  # no body, so no media type
    return response


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


def _lifetime() -> timedelta:
    return timedelta(days=current_app.config["API_TOKEN_LIFETIME_DAYS"])


def _token_body(issued: api_tokens.IssuedToken) -> dict:
    return {
        "token": issued.token,
        "token_type": "Bearer",
        "expires_at": serializers.when(issued.row.expires_at),
        "user": serializers.user(issued.row.user),
        # True: the password no longer meets the rules; until it is changed (POST /me/password) only
        # GET /me, that change and signing out are answered.
        "must_change_password": issued.row.user.must_change_password,
    }
