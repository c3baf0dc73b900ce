"""Signing in (the one real form-login test), registering, and losing access."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.models import Role, User
from app.services.people import accounts
from tests.app.helpers import field_value, fresh, text_of
from tests.conftest import PASSWORD, login

NEW_PASSWORD = "lahore-peshawar-2015"


def typed_login(user: User, kind: str) -> str:
    """How a person types their login: CNIC with dashes, mobile as +92, or the username."""
    if kind == "cnic":
        return f"{user.cnic[:5]}-{user.cnic[5:12]}-{user.cnic[12]}"
    if kind == "mobile_plus92":
        return f"+92 {user.mobile[1:4]} {user.mobile[4:]}"
    return user.username


@pytest.mark.parametrize(("kind", "role", "next_page", "landing"), [
    ("cnic", Role.CITIZEN, "/my/complaints/new", "/my/complaints/new"),
    ("mobile_plus92", Role.CITIZEN, "//evil.example/steal", "/my/complaints"),  # never off-site
    ("username", Role.DISTRICT_OFFICER, "", "/inbox"),  # with a password alone (a DC's code step: test_second_factor)
], ids=["cnic", "mobile-plus92", "staff-username"])
def test_form_login(client, make_user, kind, role, next_page, landing):
    user = make_user(role, name="Aisha Khan")
    assert client.get(landing).status_code == 302  # not signed in yet

    response = client.post(f"/login?next={next_page}", data={"login": typed_login(user, kind), "password": PASSWORD})

    assert response.status_code == 302 and response.headers["Location"] == landing
    page = client.get(landing)
    assert page.status_code == 200 and "Aisha Khan" in text_of(page)


def test_wrong_password_is_refused_and_keeps_the_login(client, make_user):
    citizen = make_user(Role.CITIZEN)
    response = client.post("/login", data={"login": citizen.mobile, "password": "wrong-password-9"})

    assert response.status_code == 401
    assert "The sign-in details do not match an account." in text_of(response)
    assert field_value(response, "login") == citizen.mobile
    assert "wrong-password-9" not in response.get_data(as_text=True)
    assert client.get("/my/complaints").status_code == 302


def registration(places, **overrides) -> dict:
    form = {
        "full_name": "Bilal Ahmad",
        "cnic": "17301-1234567-1",
        "mobile": "0300-1234567",
        "district_id": str(places["peshawar"].id),
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    form.update(overrides)
    return form


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"cnic": "17301-12345"}, "cnic", "A CNIC has 13 digits, e.g. 17301-1234567-1."),
    ({"mobile": "0300-12345"}, "mobile", "Give a Pakistani mobile number, e.g. 0300-1234567."),
    ({"password": "short", "password_confirm": "short"}, "password", "Use at least 10 characters."),
    ({"password_confirm": "another-password-1"}, "password_confirm", "The two passwords differ."),
], ids=["bad-cnic", "bad-mobile", "short-password", "mismatched-passwords"])
def test_rejected_registration(client, session, make_user, places, overrides, field, message):
    form = registration(places, **overrides)
    users_before = session.scalar(select(User.id).order_by(User.id.desc()).limit(1))

    response = client.post("/register", data=form)

    page = text_of(response)
    assert response.status_code == 400
    assert "Please correct the fields marked below." in page
    assert f'<span class="field-error" id="{field}-error">{message}</span>' in response.get_data(as_text=True)
    for kept in ("full_name", "cnic", "mobile"):
        assert field_value(response, kept) == form[kept]
    assert field_value(response, "password") == field_value(response, "password_confirm") == ""
    for secret in {form["password"], form["password_confirm"]}:
        assert secret not in response.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) == users_before
    assert client.get("/my/complaints").status_code == 302  # not signed in


def test_registration_stores_a_hash_and_asks_to_sign_in_and_confirm(client, session, places):
    """Registering never signs in (that would tell a stranger the CNIC was free): the next step is the
    sign-in page, then the code (tests/app/test_account.py follows the whole way)."""
    response = client.post("/register", data=registration(places))

    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/account/verify"
    assert client.get("/my/complaints").status_code == 302  # not signed in
    user = session.scalar(select(User).where(User.cnic == "1730112345671"))
    assert user.mobile is None and user.mobile_confirmed_at is None and user.role is Role.CITIZEN  # until the code
    assert user.district_id == places["peshawar"].id and user.division_id == places["peshawar"].division_id
    assert user.password_hash != NEW_PASSWORD and NEW_PASSWORD not in user.password_hash
    assert check_password_hash(user.password_hash, NEW_PASSWORD)
    assert not check_password_hash(user.password_hash, NEW_PASSWORD.upper())


def test_blocked_citizen_cannot_sign_in(client, session, make_user):
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    accounts.block_citizen(session, dc, citizen.id, "Threatening messages to staff")
    session.commit()

    response = client.post("/login", data={"login": citizen.cnic, "password": PASSWORD})

    assert response.status_code == 401
    assert "This account is blocked." in text_of(response)
    assert client.get("/my/complaints").status_code == 302


def test_deactivated_officer_cannot_sign_in(client, session, make_user):
    officer, dc = make_user(Role.DISTRICT_OFFICER), make_user(Role.DEPUTY_COMMISSIONER)
    accounts.deactivate_officer(session, dc, officer.id)
    session.commit()

    response = client.post("/login", data={"login": officer.username, "password": PASSWORD})

    assert response.status_code == 401 and "This account is deactivated." in text_of(response)


def block(session, user, dc):
    accounts.block_citizen(session, dc, user.id, "Threatening messages to staff")


def deactivate(session, user, dc):
    accounts.deactivate_officer(session, dc, user.id)


@pytest.mark.parametrize(("role", "page", "lock_out"), [
    (Role.CITIZEN, "/my/complaints", block),
    (Role.DISTRICT_OFFICER, "/inbox", deactivate),
], ids=["blocked-citizen", "deactivated-officer"])
def test_signed_in_user_is_signed_out_on_next_request(client, session, make_user, role, page, lock_out):
    user, dc = make_user(role), make_user(Role.DEPUTY_COMMISSIONER)
    login(client, user)
    assert client.get(page).status_code == 200

    lock_out(session, user, dc)
    session.commit()

    response = client.get(page)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert fresh(session, User, user.id).is_active is False
