"""The phone app's account: GET/PATCH /me, a new password, a new mobile number confirmed by its SMS code,
and lodging that waits for a registration's number to be confirmed."""
from __future__ import annotations

from sqlalchemy import func, select

from app.models import ApiToken, Notification, Role, User, UserSession
from app.services.people import mobile_numbers, profile, tries
from tests.app.helpers import category, fresh, reread
from tests.conftest import PASSWORD, login

from .helpers import assert_documented, assert_problem

NEW_PASSWORD = "kalam-valley-2026"


def codes_to(session, user) -> list[str]:
    reread(session)
    return [n.context["code"] for n in session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.template == mobile_numbers.CODE_TEMPLATE).order_by(Notification.id))]


def complaint_body(session) -> dict:
    return {"category_id": category(session).id, "subject": "Overflowing drain",
            "description": "The drain on Main Bazaar road overflows every time it rains."}


def test_my_account(api, make_user):
    citizen = make_user(Role.CITIZEN)

    response = api.as_(citizen).get("/me")

    assert response.status_code == 200
    assert_documented(response)
    body = response.get_json()
    assert (body["mobile"], body["mobile_confirmed"], body["pending_mobile"]) == (citizen.mobile, True, None)
    assert body["sms_notices"] == {name: True for name in profile.SMS_NOTICES}
    assert api.as_(make_user(Role.COMMISSIONER)).get("/me").get_json()["sms_notices"] == {}


def test_patch_changes_only_what_is_sent(api, session, make_user):
    citizen = make_user(Role.CITIZEN)
    as_citizen = api.as_(citizen)

    response = as_citizen.patch("/me", json={"language": "ur", "email": "zarmina@example.org",
                                             "sms_notices": {"complaint_assigned": False}})

    assert response.status_code == 200
    assert_documented(response)
    body = response.get_json()
    assert (body["language"], body["email"]) == ("ur", "zarmina@example.org")
    assert body["sms_notices"]["complaint_assigned"] is False and body["sms_notices"]["complaint_closed"] is True
    assert fresh(session, User, citizen.id).sms_muted == ["complaint_assigned"]
    unchanged = as_citizen.patch("/me", json={"sms_notices": {"complaint_closed": False}}).get_json()
    assert unchanged["language"] == "ur" and unchanged["sms_notices"]["complaint_assigned"] is False
    cleared = as_citizen.patch("/me", json={"email": None}).get_json()
    assert cleared["email"] is None and cleared["sms_notices"]["complaint_closed"] is False


def test_patch_reports_wrong_fields_and_keeps_everything(api, session, make_user):
    citizen = make_user(Role.CITIZEN)
    as_citizen = api.as_(citizen)

    typed = as_citizen.patch("/me", json={"sms_notices": {"complaint_closed": "no"}, "language": 3})
    wrong = as_citizen.patch("/me", json={"language": "fr", "email": "not an address",
                                          "sms_notices": {"made_up": True}})

    assert set(assert_problem(typed, 422)["errors"]) == {"sms_notices", "language"}
    assert set(assert_problem(wrong, 422)["errors"]) == {"language", "email", "sms_notices"}
    assert_documented(wrong)
    reread(session)
    saved = session.get(User, citizen.id)
    assert (saved.language, saved.email, saved.sms_muted) == ("en", None, [])


def test_staff_change_their_language_but_not_their_contact_details(app, api, make_user):
    as_dc = api.as_(make_user(Role.DEPUTY_COMMISSIONER))

    assert as_dc.patch("/me", json={"language": "ps"}).get_json()["language"] == "ps"
    refused = as_dc.patch("/me", json={"email": "dc@example.org"})
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("ps"):  # the answer is in the language just chosen
        in_pashto = gettext("Your administrator keeps the contact details of staff accounts.")
    assert "administrator" not in in_pashto and assert_problem(refused, 403)["detail"] == in_pashto
    assert_problem(as_dc.post("/me/mobile", json={"mobile": "0333-5550009"}), 403)


def test_a_new_password_keeps_this_phone_and_signs_out_the_rest(app, api, client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    phone, tablet = api.as_(citizen), api.as_(citizen)
    login(client, citizen)

    response = phone.post("/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == 204 and response.data == b""
    assert_documented(response)
    assert phone.get("/me").status_code == 200
    assert_problem(tablet.get("/me"), 401)
    assert client.get("/my/complaints").status_code == 302  # the browser too
    reread(session)
    assert session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == citizen.id)) == 0
    assert session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == citizen.id, ApiToken.revoked_at.is_(None))) == 1
    assert api.post("/auth/token", json={"login": citizen.cnic, "password": NEW_PASSWORD}).status_code == 200


def test_a_wrong_current_password_is_422_and_tries_are_limited(api, session, make_user):
    citizen = make_user(Role.CITIZEN)
    as_citizen = api.as_(citizen)
    wrong = {"current_password": "not-it-at-all", "new_password": NEW_PASSWORD}

    first = as_citizen.post("/me/password", json=wrong)
    for _ in range(tries.FREE - 1):
        as_citizen.post("/me/password", json=wrong)
    refused = as_citizen.post("/me/password", json={**wrong, "current_password": PASSWORD})

    assert assert_problem(first, 422, field="current_password")
    assert_problem(refused, 429, field="current_password")
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert_documented(refused)
    assert fresh(session, User, citizen.id).password_hash == citizen.password_hash
    short = as_citizen.post("/me/password", json={"current_password": PASSWORD, "new_password": "short"})
    assert_problem(short, 422, field="new_password")


def test_a_new_number_counts_once_its_code_comes_back(api, session, make_user):
    citizen = make_user(Role.CITIZEN)
    as_citizen = api.as_(citizen)

    asked = as_citizen.post("/me/mobile", json={"mobile": "0333-5550010"})

    assert asked.status_code == 202 and asked.get_json()["mobile"] == "0333•••0010"
    assert_documented(asked)
    me = as_citizen.get("/me").get_json()
    assert (me["mobile"], me["pending_mobile"]) == (citizen.mobile, "03335550010")
    (code,) = codes_to(session, citizen)
    wrong = as_citizen.post("/me/mobile/confirmation", json={"code": f"{(int(code) + 1) % 10**6:06d}"})
    assert_problem(wrong, 422, field="code")
    assert_documented(wrong)

    confirmed = as_citizen.post("/me/mobile/confirmation", json={"code": code})

    assert confirmed.status_code == 200
    assert_documented(confirmed)
    assert (confirmed.get_json()["mobile"], confirmed.get_json()["pending_mobile"]) == ("03335550010", None)


def test_another_accounts_number_gets_the_same_answer(api, session, make_user):
    citizen, owner = make_user(Role.CITIZEN), make_user(Role.CITIZEN)
    as_citizen = api.as_(citizen)

    free = as_citizen.post("/me/mobile", json={"mobile": "0333-5550011"})
    taken = as_citizen.post("/me/mobile", json={"mobile": owner.mobile})

    assert taken.status_code == free.status_code == 202
    assert taken.get_json()["detail"] == free.get_json()["detail"]
    assert as_citizen.get("/me").get_json()["pending_mobile"] == owner.mobile  # waits, as any number would
    assert len(codes_to(session, citizen)) == 1  # only the free number got a code
    assert fresh(session, User, owner.id).mobile == owner.mobile


def test_codes_and_tries_are_limited_with_retry_after(api, session, make_user):
    as_citizen = api.as_(make_user(Role.CITIZEN))
    sent = [as_citizen.post("/me/mobile", json={"mobile": "0333-5550012"}).status_code
            for _ in range(mobile_numbers.SENDS_PER_NUMBER + 1)]
    assert sent == [202] * mobile_numbers.SENDS_PER_NUMBER + [429]

    statuses = [as_citizen.post("/me/mobile/confirmation", json={"code": "000000"}).status_code
                for _ in range(tries.FREE + 1)]

    assert statuses == [422] * tries.FREE + [429]
    refused = as_citizen.post("/me/mobile/confirmation", json={"code": "000000"})
    assert_problem(refused, 429, field="code")
    assert int(refused.headers["Retry-After"]) <= 3600
    assert_documented(refused)


def test_a_registration_lodges_only_once_its_number_is_confirmed(api, session, places, make_user):
    make_user(Role.DEPUTY_COMMISSIONER)
    registered = api.post("/auth/register", json={
        "full_name": "Bilal Ahmad", "cnic": "17301-1234567-1", "mobile": "0300-1234567",
        "district_id": places["peshawar"].id, "password": PASSWORD})
    assert registered.status_code == 202
    token = api.post("/auth/token", json={"login": "1730112345671", "password": PASSWORD}).get_json()["token"]
    phone = api.with_token(token)

    refused = phone.post("/complaints", json=complaint_body(session))

    assert "/me/mobile/confirmation" in assert_problem(refused, 403)["detail"]
    assert_documented(refused)
    resent = phone.post("/me/mobile", json={"mobile": "0300-1234567"})  # "send a new code"
    assert resent.status_code == 202
    citizen = session.scalar(select(User).where(User.cnic == "1730112345671"))
    first, second = codes_to(session, citizen)
    if first != second:  # (one chance in a million that they are the same)
        assert_problem(phone.post("/me/mobile/confirmation", json={"code": first}), 422, field="code")  # replaced
    assert phone.post("/me/mobile/confirmation", json={"code": second}).status_code == 200
    assert phone.post("/complaints", json=complaint_body(session)).status_code == 201


def test_the_code_endpoints_are_for_citizens_and_need_a_token(api, make_user):
    assert_problem(api.post("/me/mobile/confirmation", json={"code": "123456"}), 401)
    assert_problem(api.patch("/me", json={}), 401)
    as_analyst = api.as_(make_user(Role.ANALYST))
    assert_problem(as_analyst.post("/me/mobile/confirmation", json={"code": "123456"}), 403)
    assert as_analyst.patch("/me", json={}).status_code == 200
