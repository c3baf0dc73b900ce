"""Forgot your password: a code by SMS, then a new password. Also how an account an
Open311 client created for a phone number (no password) is claimed.

The code is read where the citizen's phone would get it from: the queued SMS row.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app import create_app
from app.models import ApiToken, Channel, Notification, Role, User, VerificationCode, utcnow
from app.services.people import accounts, codes, password_resets, tries
from app.services.interop import api_keys, api_tokens, open311_intake
from app.services.notifications import outbox
from tests.app.helpers import field_value, fresh, reread, text_of
from tests.conftest import PASSWORD

NEW_PASSWORD = "swat-valley-2026"
SENT = "If an account exists for this number, we have sent a code by SMS. It is valid for 15 minutes."
WRONG = str(password_resets.WRONG_CODE)  # the English text (a lazy gettext string)
TEMPLATE = password_resets.TEMPLATE


@pytest.fixture()
def citizen(make_user):
    return make_user(Role.CITIZEN, name="Zarmina Yousafzai")


def plus92(mobile: str) -> str:
    return f"+92 {mobile[1:4]} {mobile[4:]}"


def codes_sent(session, user) -> list[Notification]:
    reread(session)
    return list(session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.template == TEMPLATE)
        .order_by(Notification.id)))


def last_code(session, user) -> str:
    return codes_sent(session, user)[-1].context["code"]


def ask(client, login: str, address: str = "127.0.0.1"):
    return client.post("/password/forgot", data={"login": login}, environ_base={"REMOTE_ADDR": address})


def reset(client, login: str, code: str, password: str = NEW_PASSWORD, confirm: str | None = None,
          address: str = "127.0.0.1"):
    form = {"login": login, "code": code, "password": password,
            "password_confirm": password if confirm is None else confirm}
    return client.post("/password/reset", data=form, environ_base={"REMOTE_ADDR": address})


def signs_in(client, login: str, password: str) -> bool:
    response = client.post("/login", data={"login": login, "password": password})
    if response.status_code == 302:
        client.post("/logout")
    return response.status_code == 302


RESETS = VerificationCode.purpose == codes.PASSWORD_RESET


def reset_row(session, user) -> VerificationCode | None:
    reread(session)
    return session.scalar(select(VerificationCode).where(VerificationCode.user_id == user.id, RESETS))


def test_the_whole_flow_through_the_pages(client, session, citizen):
    login_page = text_of(client.get("/login"))
    assert 'href="/password/forgot">Forgot your password?</a>' in login_page
    form = client.get("/password/forgot")
    assert form.status_code == 200 and 'name="csrf_token"' in form.get_data(as_text=True)

    asked = ask(client, plus92(citizen.mobile))
    assert asked.status_code == 302 and asked.headers["Location"] == "/password/reset"
    page = client.get("/password/reset")
    assert SENT in text_of(page) and field_value(page, "login") == plus92(citizen.mobile)
    assert 'name="csrf_token"' in page.get_data(as_text=True)

    (sms,) = codes_sent(session, citizen)
    assert sms.channel is Channel.SMS  # and no in-app copy: the reader is signed out
    code = sms.context["code"]
    assert len(code) == 6 and code.isdigit()
    _, body = outbox.render(sms, base_url="https://portal.example")
    assert code in body and "15 minutes" in body and "Do not share it" in body
    assert body.endswith("https://portal.example/password/reset")
    row = reset_row(session, citizen)
    assert code not in (row.code_hash, row.salt) and len(row.code_hash) == 64
    assert row.expires_at - row.created_at == timedelta(minutes=15)

    done = reset(client, plus92(citizen.mobile), code)
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert "Your password is changed. Sign in with your new password." in text_of(client.get("/login"))
    assert reset_row(session, citizen).used_at is not None
    assert signs_in(client, citizen.cnic, NEW_PASSWORD)
    assert not signs_in(client, citizen.cnic, PASSWORD)
    # Used up: the same code does not change the password again.
    again = reset(client, citizen.mobile, code, password="another-password-1")
    assert again.status_code == 400 and WRONG in text_of(again)
    assert signs_in(client, citizen.mobile, NEW_PASSWORD)


def test_the_sms_is_in_the_citizens_language(client, session, citizen):
    fresh(session, User, citizen.id).language = "ur"
    session.commit()
    ask(client, citizen.cnic)
    (sms,) = codes_sent(session, citizen)
    _, body = outbox.render(sms)
    assert sms.language == "ur" and sms.context["code"] in body and "15 منٹ" in body


def test_every_request_gets_the_same_answer_and_only_a_citizen_gets_a_code(client, session, citizen, make_user,
                                                                              places):
    staff = accounts.create_staff(session, accounts.StaffInput(
        role=Role.DEPUTY_COMMISSIONER, full_name="DC Peshawar", username="dc.peshawar", password=PASSWORD,
        district_id=places["peshawar"].id, mobile="0333-7654321"))
    blocked, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    accounts.block_citizen(session, dc, blocked.id, "Abusive language in complaints")
    session.commit()
    answers = {}
    for label, login in [("citizen", citizen.mobile), ("unknown mobile", "0399-1112223"),
                         ("unknown CNIC", "17301-9999999-9"), ("staff mobile", "0333-7654321"),
                         ("staff username", staff.username), ("blocked citizen", blocked.cnic), ("nonsense", "hello?")]:
        response = ask(client, login)
        answers[label] = (response.status_code, response.headers.get("Location"), SENT in text_of(client.get(
            "/password/reset")))
    assert set(answers.values()) == {(302, "/password/reset", True)}, answers
    reread(session)
    sent_to = session.scalars(select(Notification.user_id).where(Notification.template == TEMPLATE)).all()
    assert sent_to == [citizen.id]
    assert session.scalars(select(VerificationCode.user_id).where(RESETS)).all() == [citizen.id]


def test_an_empty_request_is_refused_without_saying_anything_about_accounts(client, session):
    response = ask(client, "   ")
    assert response.status_code == 400 and "Enter your mobile number or CNIC." in text_of(response)


def test_a_code_dies_after_15_minutes(client, session, citizen):
    ask(client, citizen.mobile)
    code = last_code(session, citizen)
    with time_machine.travel(utcnow() + timedelta(minutes=15, seconds=1), tick=False):
        late = reset(client, citizen.mobile, code)
    assert late.status_code == 400 and WRONG in text_of(late)
    assert not signs_in(client, citizen.mobile, NEW_PASSWORD)
    with time_machine.travel(utcnow() + timedelta(minutes=14, seconds=50), tick=False):
        ask(client, citizen.mobile)
        assert reset(client, citizen.mobile, last_code(session, citizen)).status_code == 302
    assert signs_in(client, citizen.mobile, NEW_PASSWORD)


def wrong_codes(code: str, n: int) -> list[str]:
    return [f"{(int(code) + i) % 10**6:06d}" for i in range(1, n + 1)]


def test_five_wrong_tries_kill_the_code(client, session, citizen):
    ask(client, citizen.mobile)
    code = last_code(session, citizen)
    for wrong in wrong_codes(code, 5):
        response = reset(client, citizen.mobile, wrong)
        assert response.status_code == 400 and WRONG in text_of(response)
    assert reset_row(session, citizen).attempts == 5

    with time_machine.travel(utcnow() + timedelta(seconds=31)):  # past the delay five tries cost
        response = reset(client, citizen.mobile, code)

    assert response.status_code == 400 and WRONG in text_of(response) and "ask for a new code" in text_of(response)
    assert reset_row(session, citizen).used_at is None
    assert not signs_in(client, citizen.mobile, NEW_PASSWORD) and signs_in(client, citizen.mobile, PASSWORD)


def test_the_fifth_try_may_still_be_the_right_one(client, session, citizen):
    ask(client, citizen.mobile)
    code = last_code(session, citizen)
    for wrong in wrong_codes(code, 4):
        assert reset(client, citizen.mobile, wrong).status_code == 400
    assert reset(client, citizen.mobile, code).status_code == 302
    assert signs_in(client, citizen.mobile, NEW_PASSWORD)


def test_a_new_request_kills_the_old_code(client, session, citizen):
    ask(client, citizen.mobile)
    first = last_code(session, citizen)
    ask(client, citizen.cnic)
    if last_code(session, citizen) == first:  # one chance in a million: draw once more
        ask(client, citizen.mobile)
    second = last_code(session, citizen)
    assert second != first and len(codes_sent(session, citizen)) in (2, 3)
    assert session.scalar(select(func.count()).select_from(VerificationCode).where(RESETS)) == 1

    assert reset(client, citizen.mobile, first).status_code == 400
    assert reset(client, citizen.mobile, second).status_code == 302
    assert signs_in(client, citizen.mobile, NEW_PASSWORD)


def test_a_rejected_form_keeps_the_login_but_not_the_code_or_passwords(client, session, citizen):
    ask(client, citizen.mobile)
    code = last_code(session, citizen)
    typed = plus92(citizen.mobile)

    short = reset(client, typed, code, password="short", confirm="short")
    differ = reset(client, typed, code, password=NEW_PASSWORD, confirm=NEW_PASSWORD + "x")
    malformed = reset(client, typed, "12ab", password=NEW_PASSWORD)

    assert short.status_code == differ.status_code == malformed.status_code == 400
    assert "Use at least 10 characters." in text_of(short)  # registration's rules
    assert "The two passwords differ." in text_of(differ)
    assert "The code has 6 digits" in text_of(malformed)
    for response in (short, differ, malformed):
        assert field_value(response, "login") == typed
        assert field_value(response, "code") == "" and field_value(response, "password") == ""
        assert code not in response.get_data(as_text=True) and NEW_PASSWORD not in response.get_data(as_text=True)
    # Forms refused before the code was compared took no try.
    assert reset_row(session, citizen).attempts == 0
    assert reset(client, typed, code).status_code == 302


def test_a_reset_revokes_every_api_token_of_the_account(client, session, citizen, make_user):
    phones = [api_tokens.issue_token(session, citizen, lifetime=timedelta(days=30)) for _ in range(2)]
    other = api_tokens.issue_token(session, make_user(Role.CITIZEN), lifetime=timedelta(days=30))
    session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {phones[0].token}"}).status_code == 200

    ask(client, citizen.mobile)
    assert reset(client, citizen.mobile, last_code(session, citizen)).status_code == 302

    reread(session)
    for issued in phones:
        assert session.get(ApiToken, issued.row.id).revoked_at is not None
        with pytest.raises(api_tokens.TokenRefused):
            api_tokens.authenticate_token(session, issued.token)
    assert session.get(ApiToken, other.row.id).revoked_at is None
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {phones[1].token}"}).status_code == 401


def test_a_reset_signs_out_every_browser_signed_in_with_the_old_password(app, client, session, citizen):
    from tests.conftest import login

    laptop = app.test_client()
    login(laptop, citizen)
    assert laptop.get("/my/complaints").status_code == 200

    ask(client, citizen.mobile)
    assert reset(client, citizen.mobile, last_code(session, citizen)).status_code == 302

    assert laptop.get("/my/complaints").status_code == 302  # sent to sign in
    assert signs_in(laptop, citizen.mobile, NEW_PASSWORD)


def test_a_citizen_blocked_after_asking_cannot_use_the_code(client, session, citizen, make_user):
    ask(client, citizen.mobile)
    code = last_code(session, citizen)
    accounts.block_citizen(session, make_user(Role.DEPUTY_COMMISSIONER), citizen.id, "Abusive language")
    session.commit()
    response = reset(client, citizen.mobile, code)
    assert response.status_code == 400 and WRONG in text_of(response)


# Rate limits -----------------------------------------------------------------

def test_three_codes_an_hour_per_number_however_it_is_written(client, session, citizen):
    for login in (citizen.mobile, plus92(citizen.mobile), "0" + citizen.mobile[1:4] + "-" + citizen.mobile[4:]):
        ask(client, login, address="10.0.0.1")
    refused = ask(client, citizen.mobile, address="10.0.0.2")  # another address: the number's limit holds
    assert refused.status_code == 302 and SENT in text_of(client.get("/password/reset"))
    assert len(codes_sent(session, citizen)) == 3
    with time_machine.travel(utcnow() + timedelta(hours=1), tick=False):
        ask(client, citizen.mobile)
    assert len(codes_sent(session, citizen)) == 4


def test_three_codes_an_hour_per_account_by_cnic_and_mobile_together(client, session, citizen):
    for login in (citizen.mobile, citizen.cnic, citizen.mobile, citizen.cnic):
        ask(client, login)
    assert len(codes_sent(session, citizen)) == 3


def test_ten_code_requests_an_hour_per_address(client, session, citizen):
    for n in range(10):
        ask(client, f"0399-{n:07d}", address="10.0.0.9")
    refused = ask(client, citizen.mobile, address="10.0.0.9")
    assert refused.status_code == 302 and SENT in text_of(client.get("/password/reset"))
    assert codes_sent(session, citizen) == []
    ask(client, citizen.mobile, address="10.0.0.10")
    assert len(codes_sent(session, citizen)) == 1


def test_code_tries_are_delayed_per_account_however_the_login_is_written(client, session, citizen):
    ask(client, citizen.mobile)
    code = last_code(session, citizen)
    for wrong in wrong_codes(code, tries.FREE):
        assert reset(client, citizen.mobile, wrong, address="10.0.1.1").status_code == 400
    ask(client, citizen.cnic)
    fresh_code = last_code(session, citizen)

    refused = reset(client, citizen.cnic, fresh_code, address="10.0.1.2")

    assert refused.status_code == 429 and str(tries.RESET_CODE.message) in text_of(refused)
    assert 25 <= int(refused.headers["Retry-After"]) <= 30
    assert reset_row(session, citizen).attempts == 0  # the code was not even compared
    with time_machine.travel(utcnow() + timedelta(seconds=31)):
        assert reset(client, citizen.cnic, fresh_code, address="10.0.1.2").status_code == 302


def test_code_tries_are_limited_per_address(client, session, citizen):
    ask(client, citizen.mobile)
    code = last_code(session, citizen)
    for n in range(tries.RESET_CODE.per_address):
        assert reset(client, f"0399-{n:07d}", "123456", address="10.0.2.1").status_code == 400
    assert reset(client, citizen.mobile, code, address="10.0.2.1").status_code == 429
    assert reset(client, citizen.mobile, code, address="10.0.2.2").status_code == 302


# Open311 ------------------------------------------------------------------------

def test_an_account_created_by_open311_is_claimed_through_the_reset(client, session, make_user):
    key, _ = api_keys.issue_api_key(session, make_user(Role.ADMIN), "Peshawar civic app")
    complaint = open311_intake.submit_request(session, key, open311_intake.RequestInput(
        service_code="HEALTH-STAFF-ABSENT", district_code="PES", lat="34.01", long="71.52",
        description="The doctor at the Basic Health Unit has not come to work for two weeks.",
        first_name="Gul", last_name="Bibi", phone="0345-7654321"))
    session.commit()
    reporter = fresh(session, User, complaint.citizen_id)
    assert reporter.password_hash == open311_intake.NO_PASSWORD and reporter.cnic is None
    assert not signs_in(client, "03457654321", "")

    ask(client, "0345 7654321")
    assert reset(client, "0345-7654321", last_code(session, reporter)).status_code == 302

    signed_in = client.post("/login", data={"login": "+92 345 7654321", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/my/complaints"
    assert complaint.tracking_number in text_of(client.get("/my/complaints"))


# CSRF ----------------------------------------------------------------------------

def test_the_forms_work_with_the_csrf_token_of_their_pages(app, session, citizen):
    protected = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"],
                            "UPLOAD_DIR": app.config["UPLOAD_DIR"], "WTF_CSRF_ENABLED": True})
    try:
        browser = protected.test_client()
        token = field_value(browser.get("/password/forgot"), "csrf_token")
        assert browser.post("/password/forgot", data={"login": citizen.mobile, "csrf_token": token}).status_code == 302
        page = browser.get("/password/reset")
        form = {"login": citizen.mobile, "code": last_code(session, citizen), "password": NEW_PASSWORD,
                "password_confirm": NEW_PASSWORD, "csrf_token": field_value(page, "csrf_token")}
        assert browser.post("/password/reset", data=form).status_code == 302
    finally:
        protected.extensions["db_engine"].dispose()


def test_codes_of_sent_messages_are_masked_once_dead(client, session, citizen):
    from app.models import DeliveryStatus

    def deliver_all():
        for row in codes_sent(session, citizen):
            row.status, row.body = DeliveryStatus.SENT, f"Your code is {row.context['code']}."
        session.commit()

    ask(client, citizen.mobile)
    first = last_code(session, citizen)
    deliver_all()
    ask(client, citizen.mobile)  # the first code dies: its message no longer shows it
    second = last_code(session, citizen)
    old = codes_sent(session, citizen)[0]
    assert first not in old.body and old.context["code"] == password_resets.MASK
    deliver_all()
    assert reset(client, citizen.mobile, second).status_code == 302
    assert all(second not in row.body and row.context["code"] == password_resets.MASK
               for row in codes_sent(session, citizen))
