"""Register, sign in, my profile, sign out; token expiry and revocation; the session cookie is not enough."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app import create_app
from app.models import ApiToken, Channel, Notification, Role, User, utcnow
from app.services.people import accounts
from app.services.interop import api_tokens
from tests.conftest import PASSWORD, login

from .helpers import assert_documented, assert_problem


def registration(places, **overrides):
    body = {
        "full_name": "Bilal Ahmad",
        "cnic": "17301-1234567-1",
        "mobile": "0300-1234567",
        "district_id": places["peshawar"].id,
        "password": PASSWORD,
    }
    body.update(overrides)
    return body


def sent_code(session, cnic: str) -> str:
    """The code of the SMS a registration sent (read where the phone would get it: the queued SMS)."""
    session.rollback()
    user = session.scalar(select(User).where(User.cnic == accounts.normalise_cnic(cnic)))
    (sms,) = session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                        Notification.template == "mobile_code")).all()
    return sms.context["code"]


def test_register_sends_a_code_then_sign_in_and_confirm(api, places, session):
    response = api.post("/auth/register", json=registration(places))

    assert response.status_code == 202
    assert_documented(response)
    assert response.get_json()["mobile"] == "0300•••4567" and "POST /me/mobile/confirmation" in response.get_json()["detail"]
    assert response.headers["Cache-Control"] == "no-store"
    signed_in = api.post("/auth/token", json={"login": "17301-1234567-1", "password": PASSWORD})
    assert signed_in.status_code == 200 and signed_in.get_json()["user"]["mobile_confirmed"] is False
    phone = api.with_token(signed_in.get_json()["token"])
    me = phone.get("/me").get_json()
    assert (me["full_name"], me["mobile"], me["pending_mobile"]) == ("Bilal Ahmad", None, "03001234567")

    confirmed = phone.post("/me/mobile/confirmation", json={"code": sent_code(session, "1730112345671")})

    assert confirmed.status_code == 200
    assert_documented(confirmed)
    assert (confirmed.get_json()["mobile"], confirmed.get_json()["mobile_confirmed"]) == ("03001234567", True)
    assert confirmed.get_json()["pending_mobile"] is None


def test_register_reports_every_wrong_field(api, places):
    response = api.post("/auth/register", json=registration(places, cnic="123", mobile="12", password="short", full_name=""))

    body = assert_problem(response, 422, field="cnic")
    assert set(body["errors"]) == {"cnic", "mobile", "password", "full_name"}
    assert_documented(response)


def test_register_refuses_wrong_types_before_anything_else(api, places):
    response = api.post("/auth/register", json=registration(places, district_id="Peshawar", full_name=7))

    body = assert_problem(response, 422, field="district_id")
    assert body["errors"]["district_id"] == ["Must be an integer."] and "full_name" in body["errors"]


def test_registering_a_taken_cnic_answers_the_same_and_makes_no_account(api, places, session, make_user):
    owner = make_user(Role.CITIZEN)

    first = api.post("/auth/register", json=registration(places))
    again = api.post("/auth/register", json=registration(places, cnic=owner.cnic, mobile="0311-7654321"))

    assert (again.status_code, again.get_json()) == (first.status_code, {**first.get_json(), "mobile": "0311•••4321"})
    session.rollback()
    assert session.scalar(select(func.count()).select_from(User).where(User.cnic == owner.cnic)) == 1
    warned = session.scalars(select(Notification.template).where(Notification.user_id == owner.id,
                                                                 Notification.channel == Channel.SMS)).all()
    assert "registration_attempt" in warned


@pytest.mark.parametrize("login_with", ["cnic", "cnic_dashed", "mobile", "username"])
def test_sign_in_with_cnic_mobile_or_username(api, make_user, login_with):
    citizen = make_user(Role.CITIZEN)
    officer = make_user(Role.DISTRICT_OFFICER)  # a password alone (a DC also sends a code: test_second_factor)
    login, user = {
        "cnic": (citizen.cnic, citizen),
        "cnic_dashed": (f"{citizen.cnic[:5]}-{citizen.cnic[5:12]}-{citizen.cnic[12]}", citizen),
        "mobile": (citizen.mobile, citizen),
        "username": (officer.username, officer),
    }[login_with]

    response = api.post("/auth/token", json={"login": login, "password": PASSWORD})

    assert response.status_code == 200
    assert_documented(response)
    body = response.get_json()
    assert body["user"]["id"] == user.id
    expires = body["expires_at"]
    assert expires > (utcnow() + timedelta(days=29)).isoformat()
    assert api.with_token(body["token"]).get("/me").get_json()["id"] == user.id


def test_a_wrong_password_is_401_with_a_challenge(api, make_user):
    citizen = make_user(Role.CITIZEN)

    response = api.post("/auth/token", json={"login": citizen.cnic, "password": "not-the-password"})

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_documented(response)


def test_missing_login_fields_are_422(api):
    response = api.post("/auth/token", json={"login": ""})

    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"login", "password"}


def test_a_blocked_citizen_cannot_sign_in(api, make_user, session):
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    accounts.block_citizen(session, dc, citizen.id, "Abusive language in complaints")
    session.commit()

    response = api.post("/auth/token", json={"login": citizen.cnic, "password": PASSWORD})

    assert "blocked" in assert_problem(response, 403)["detail"]


def test_only_the_token_hash_is_stored(api, make_user, session):
    citizen = make_user(Role.CITIZEN)

    token = api.post("/auth/token", json={"login": citizen.cnic, "password": PASSWORD}).get_json()["token"]

    row = session.scalar(select(ApiToken).where(ApiToken.user_id == citizen.id))
    assert row.token_hash == api_tokens.hash_token(token) != token
    assert len(token) >= 43  # 32 random bytes


def test_my_profile(api, make_user, places):
    officer = make_user(Role.DISTRICT_OFFICER)

    response = api.as_(officer).get("/me")

    assert response.status_code == 200
    assert_documented(response)
    body = response.get_json()
    assert body["role"] == "district_officer" and body["department"]["id"] == officer.department_id
    assert body["district"] == {"id": places["peshawar"].id, "name": "Peshawar", "name_ur": "پشاور", "name_ps": "پېښور"}


def test_sign_out_revokes_the_token(api, make_user, session):
    as_citizen = api.as_(make_user(Role.CITIZEN))

    response = as_citizen.delete("/auth/token")

    assert response.status_code == 204 and response.data == b"" and "Content-Type" not in response.headers
    assert_documented(response)
    after = as_citizen.get("/me")
    assert "revoked" in assert_problem(after, 401)["detail"]
    assert 'error="invalid_token"' in after.headers["WWW-Authenticate"]
    assert session.scalar(select(ApiToken.revoked_at)) is not None


def test_signing_out_leaves_other_devices_signed_in(api, make_user):
    citizen = make_user(Role.CITIZEN)
    phone, tablet = api.as_(citizen), api.as_(citizen)

    phone.delete("/auth/token")

    assert phone.get("/me").status_code == 401
    assert tablet.get("/me").status_code == 200


def test_a_token_expires_after_its_lifetime(api, make_user):
    as_citizen = api.as_(make_user(Role.CITIZEN))  # 30 days, as configured by default
    assert as_citizen.get("/me").status_code == 200

    with time_machine.travel(utcnow() + timedelta(days=30, seconds=1)):
        response = as_citizen.get("/me")

    assert "expired" in assert_problem(response, 401)["detail"]


def test_the_lifetime_is_configurable(app, api, make_user):
    app.config["API_TOKEN_LIFETIME_DAYS"] = 2
    citizen = make_user(Role.CITIZEN)
    token = api.post("/auth/token", json={"login": citizen.cnic, "password": PASSWORD}).get_json()["token"]

    with time_machine.travel(utcnow() + timedelta(days=2, minutes=1)):
        response = api.with_token(token).get("/me")

    assert_problem(response, 401)


def test_an_unknown_token_or_scheme_is_refused(api, make_user):
    make_user(Role.CITIZEN)
    assert "not valid" in assert_problem(api.with_token("made-up").get("/me"), 401)["detail"]
    basic = api.get("/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_problem(basic, 401)
    assert basic.headers["WWW-Authenticate"] == 'Bearer realm="Citizen\'s Portal API"'


def test_blocking_an_account_stops_its_tokens(api, make_user, session):
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    as_citizen = api.as_(citizen)
    accounts.block_citizen(session, dc, citizen.id, "Abusive language in complaints")
    session.commit()

    assert "blocked" in assert_problem(as_citizen.get("/me"), 401)["detail"]


def test_use_is_recorded_at_most_every_few_minutes(api, make_user, session):
    as_citizen = api.as_(make_user(Role.CITIZEN))
    as_citizen.get("/me")
    first = session.scalar(select(ApiToken.last_used_at))
    as_citizen.get("/me")
    session.expire_all()
    assert session.scalar(select(ApiToken.last_used_at)) == first is not None

    with time_machine.travel(utcnow() + api_tokens.LAST_USED_RESOLUTION + timedelta(seconds=1)):
        as_citizen.get("/me")
    session.expire_all()
    assert session.scalar(select(ApiToken.last_used_at)) > first


def test_a_signed_in_browser_cookie_alone_gets_401(api, client, make_user):
    citizen = make_user(Role.CITIZEN)
    login(client, citizen)
    assert client.get("/my/complaints").status_code == 200  # the cookie works on the pages

    response = api.get("/me")

    assert_problem(response, 401)


@pytest.fixture()
def csrf_client(app):
    """An app with CSRF protection on, as in production, on the test database."""
    protected = create_app(
        {"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "UPLOAD_DIR": app.config["UPLOAD_DIR"]}
    )
    assert protected.config["WTF_CSRF_ENABLED"]
    yield protected.test_client()
    protected.extensions["db_engine"].dispose()


def test_with_csrf_on_the_api_takes_bearer_posts_and_refuses_the_cookie(csrf_client, make_user, token_of, places):
    citizen = make_user(Role.CITIZEN)
    login(csrf_client, citizen)
    form = {"category_id": 1, "subject": "Broken streetlight", "description": "Dark for three weeks on our street."}

    by_cookie = csrf_client.post("/api/v1/complaints", json=form)
    by_token = csrf_client.post("/api/v1/complaints", json=form, headers={"Authorization": f"Bearer {token_of(citizen)}"})

    assert_problem(by_cookie, 401)
    assert by_token.status_code == 201, by_token.get_json()
