"""The API holds passwords to the pages' rules, and a weak one is changed before anything else."""
from __future__ import annotations

from app.models import Role, User
from app.services.people import passwords
from tests.app.helpers import fresh
from tests.app.test_passwords import GOOD, weaken
from tests.conftest import PASSWORD

from .helpers import assert_documented, assert_problem


def test_registration_refuses_a_common_password(api, places):
    refused = api.post("/auth/register", json={
        "full_name": "Bilal Ahmad", "cnic": "17301-1234567-1", "mobile": "0300-1234567",
        "district_id": places["peshawar"].id, "password": "1234567890"})

    body = assert_problem(refused, 422, field="password")
    assert body["errors"]["password"] == [str(passwords.COMMON)]


def test_a_new_password_must_meet_the_rules(api, make_user):
    as_dc = api.as_(make_user(Role.DEPUTY_COMMISSIONER))

    short = as_dc.post("/me/password", json={"current_password": PASSWORD, "new_password": "river-tree1"})

    assert assert_problem(short, 422, field="new_password")["errors"]["new_password"] == ["Use at least 12 characters."]
    assert as_dc.post("/me/password", json={"current_password": PASSWORD, "new_password": GOOD}).status_code == 204


def test_a_weak_password_signs_in_and_must_be_changed_first(api, session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    old = weaken(session, citizen)

    signed_in = api.post("/auth/token", json={"login": citizen.cnic, "password": old})

    assert signed_in.status_code == 200 and signed_in.get_json()["must_change_password"] is True
    assert_documented(signed_in)
    as_citizen = api.with_token(signed_in.get_json()["token"])
    refused = as_citizen.get("/complaints")
    body = assert_problem(refused, 403)
    assert body["code"] == "password_change_required" and "POST /api/v1/me/password" in body["detail"]
    me = as_citizen.get("/me")
    assert me.status_code == 200 and me.get_json()["must_change_password"] is True

    assert as_citizen.post("/me/password", json={"current_password": old, "new_password": GOOD}).status_code == 204

    assert not fresh(session, User, citizen.id).must_change_password
    assert as_citizen.get("/complaints").status_code == 200
