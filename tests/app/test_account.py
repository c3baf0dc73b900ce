"""An account of one's own: registering confirms the number with an SMS code, lodging waits for it, and
/account changes the language, password, number, e-mail, SMS notices and where one is signed in.

Codes are read where the phone would get them: the queued SMS rows.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select, text, update

from app import create_app
from app.models import ApiToken, Channel, Complaint, Notification, Role, User, UserSession, utcnow
from app.services.errors import Invalid, MobileUnconfirmed, NotAllowed
from app.services.interop import api_keys, api_tokens, open311_intake
from app.services.notifications import outbox
from app.services.people import accounts, codes, mobile_numbers, password_resets, profile, tries
from tests.app.helpers import (
    assign, category, complaint_form, field_value, fresh, lodge, reread, text_of,
)
from tests.conftest import PASSWORD, login

NEW_PASSWORD = "tirah-valley-2026"
WRONG = str(mobile_numbers.WRONG_CODE)
SENT = "We sent a code by SMS to"


def registration(places, **overrides) -> dict:
    form = {
        "full_name": "Gulalai Yousafzai",
        "cnic": "17301-2468024-6",
        "mobile": "0345-1357913",
        "district_id": str(places["peshawar"].id),
        "language": "en",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    form.update(overrides)
    return form


def messages(session, user, template: str) -> list[Notification]:
    reread(session)
    return list(session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.template == template).order_by(Notification.id)))


def last_code(session, user) -> str:
    return messages(session, user, mobile_numbers.CODE_TEMPLATE)[-1].context["code"]


def registered(session, cnic: str = "1730124680246") -> User | None:
    reread(session)
    return session.scalar(select(User).where(User.cnic == cnic))


def sign_in(client, login_: str, password: str = NEW_PASSWORD):
    return client.post("/login", data={"login": login_, "password": password})


def register_and_sign_in(client, session, places, **overrides) -> User:
    assert client.post("/register", data=registration(places, **overrides)).status_code == 302
    assert sign_in(client, overrides.get("cnic", "17301-2468024-6")).status_code == 302
    return registered(session, accounts.normalise_cnic(overrides.get("cnic", "17301-2468024-6")))


def verify(client, code: str, address: str = "127.0.0.1"):
    return client.post("/account/verify", data={"code": code}, environ_base={"REMOTE_ADDR": address})


def wrong_codes(code: str, n: int) -> list[str]:
    return [f"{(int(code) + i) % 10**6:06d}" for i in range(1, n + 1)]


# Registering -----------------------------------------------------------------------

def test_registration_asks_the_language_preselecting_the_pages(client):
    page = client.get("/register", headers={"Accept-Language": "ps"}).get_data(as_text=True)

    choices = re.findall(r'<input type="radio" name="language" value="(\w\w)"( checked)?>', page)
    assert choices == [("en", ""), ("ur", ""), ("ps", " checked")]
    assert "اردو" in page and "پښتو" in page


def test_registration_sends_a_code_and_lodging_waits_for_it(app, client, session, places, make_user):
    make_user(Role.DEPUTY_COMMISSIONER)
    response = client.post("/register", data=registration(places, language="ur"))

    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/account/verify"
    login_page = client.get("/login")
    assert f"{SENT} 0345•••7913." in text_of(login_page) and field_value(login_page, "login") == "17301-2468024-6"
    citizen = registered(session)
    assert (citizen.mobile, citizen.mobile_confirmed_at, citizen.language) == (None, None, "ur")
    (sms,) = messages(session, citizen, mobile_numbers.CODE_TEMPLATE)
    assert (sms.channel, sms.address, sms.language) == (Channel.SMS, "03451357913", "ur")
    code = sms.context["code"]
    assert len(code) == 6 and code.isdigit()
    _, body = outbox.render(sms, base_url="https://portal.example")
    assert code in body and "15 منٹ" in body and body.endswith("https://portal.example/account/verify")
    assert messages(session, citizen, "registered") == []  # the welcome waits for the number

    signed_in = sign_in(client, "17301-2468024-6")
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/account/verify"
    assert "0345" in text_of(client.get("/account/verify"))
    new = client.get("/my/complaints/new")
    assert new.status_code == 200 and 'href="/account/verify"' in new.get_data(as_text=True)
    assert 'name="subject"' not in new.get_data(as_text=True)
    refused = client.post("/my/complaints/new", data=complaint_form(category(session), places["peshawar"]))
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("ur"):  # the language chosen at registration
        in_urdu = gettext("Confirm your mobile number before you lodge a complaint: enter the code we sent to it by SMS.")
    assert refused.status_code == 403 and in_urdu in text_of(refused)
    assert 'href="/account/verify"' in refused.get_data(as_text=True)
    reread(session)
    assert session.scalar(select(func.count()).select_from(Complaint)) == 0
    with pytest.raises(MobileUnconfirmed):
        lodge(session, citizen, places["peshawar"])
    session.rollback()

    confirmed = verify(client, code)

    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/my/complaints/new"
    citizen = registered(session)
    assert citizen.mobile == "03451357913" and citizen.mobile_confirmed_at is not None
    assert [m.channel for m in messages(session, citizen, "registered")] == [Channel.SMS, Channel.IN_APP]
    lodged = client.post("/my/complaints/new", data=complaint_form(category(session), places["peshawar"]))
    assert lodged.status_code == 302 and re.fullmatch(r"/complaints/\d+", lodged.headers["Location"])
    assert signs_in_with(client, "0345-1357913")  # the confirmed number is a login now


def signs_in_with(client, login_: str) -> bool:
    client.post("/logout")
    return sign_in(client, login_).status_code == 302


def test_a_rejected_registration_keeps_what_was_typed_but_not_the_passwords(client, places):
    response = client.post("/register", data=registration(places, cnic="12345", language="ps"))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_value(response, "full_name") == "Gulalai Yousafzai" and field_value(response, "mobile") == "0345-1357913"
    assert field_value(response, "cnic") == "12345"
    assert re.search(r'value="ps" checked', page)
    assert field_value(response, "password") == field_value(response, "password_confirm") == ""
    assert NEW_PASSWORD not in page


def test_the_same_answer_for_a_registered_cnic_or_number_and_its_owner_gets_an_sms(client, session, places,
                                                                                  make_user):
    owner = make_user(Role.CITIZEN, name="Malala Owner")
    answers = {}
    for label, overrides in [
        ("new", {}),
        ("taken CNIC", {"cnic": owner.cnic, "mobile": "0345-2222222"}),
        ("taken number", {"cnic": "17301-1111111-1", "mobile": "+92 " + owner.mobile[1:]}),
    ]:
        response = client.post("/register", data=registration(places, **overrides))
        flashed = text_of(client.get("/login"))
        sent = re.search(rf"{SENT} [^.]+\. [^<]*", flashed).group(0)
        answers[label] = (response.status_code, response.headers["Location"], re.sub(r"\d{4}•••\d{4}", "N", sent))

    assert len(set(answers.values())) == 1, answers
    reread(session)
    assert session.scalar(select(func.count()).select_from(User).where(User.role == Role.CITIZEN)) == 2  # owner + new
    warnings = messages(session, owner, accounts.ATTEMPT_TEMPLATE)
    assert [(m.channel, m.address) for m in warnings] == [(Channel.SMS, None)] * 2  # to the owner's own number
    _, body = outbox.render(warnings[0], base_url="https://portal.example")
    assert "Someone tried to register" in body and body.endswith("https://portal.example/password/forgot")
    assert messages(session, owner, mobile_numbers.CODE_TEMPLATE) == []


def test_five_wrong_codes_kill_it_and_a_new_code_works(client, session, places):
    citizen = register_and_sign_in(client, session, places)
    code = last_code(session, citizen)
    for wrong in wrong_codes(code, 5):
        response = verify(client, wrong)
        assert response.status_code == 400 and WRONG in text_of(response)

    with time_machine.travel(utcnow() + timedelta(seconds=31)):  # past the delay five tries cost
        dead = verify(client, code)

        assert dead.status_code == 400 and WRONG in text_of(dead)
        assert registered(session).mobile_confirmed_at is None
        resent = client.post("/account/verify/resend")
        assert resent.status_code == 302 and "We sent a new code" in text_of(client.get("/account/verify"))
    with time_machine.travel(utcnow() + timedelta(seconds=95)):  # the sixth wrong try cost a minute
        assert verify(client, last_code(session, citizen)).status_code == 302
    assert registered(session).mobile == "03451357913"


def test_an_expired_code_is_refused(client, session, places):
    citizen = register_and_sign_in(client, session, places)
    code = last_code(session, citizen)

    with time_machine.travel(utcnow() + timedelta(minutes=15, seconds=1), tick=False):
        late = verify(client, code)

    assert late.status_code == 400 and WRONG in text_of(late)
    assert registered(session).mobile_confirmed_at is None


def test_code_tries_are_throttled_per_account(client, session, places):
    citizen = register_and_sign_in(client, session, places)
    code = last_code(session, citizen)
    for wrong in wrong_codes(code, tries.FREE):
        assert verify(client, wrong, address="10.0.3.1").status_code == 400
    client.post("/account/verify/resend")

    refused = verify(client, last_code(session, citizen), address="10.0.3.2")  # another address: the same account

    assert refused.status_code == 429 and str(tries.MOBILE_CODE.message) in text_of(refused)
    assert 25 <= int(refused.headers["Retry-After"]) <= 30
    assert registered(session).mobile_confirmed_at is None
    with time_machine.travel(utcnow() + timedelta(seconds=31)):
        assert verify(client, last_code(session, citizen), address="10.0.3.2").status_code == 302


def test_codes_sent_to_a_number_are_limited(client, session, places):
    citizen = register_and_sign_in(client, session, places)
    for _ in range(mobile_numbers.SENDS_PER_NUMBER - 1):  # registering sent the first
        assert client.post("/account/verify/resend").status_code == 302

    refused = client.post("/account/verify/resend")

    assert refused.status_code == 429 and str(mobile_numbers.TOO_MANY_CODES) in text_of(refused)
    assert len(messages(session, citizen, mobile_numbers.CODE_TEMPLATE)) == mobile_numbers.SENDS_PER_NUMBER
    with time_machine.travel(utcnow() + timedelta(hours=1), tick=False):
        assert client.post("/account/verify/resend").status_code == 302


def test_a_number_waiting_for_its_code_is_nobodys_until_proved(client, session, places, app):
    """Typing someone's number does not keep it from them: whoever proves it first has it."""
    squatter = register_and_sign_in(client, session, places)
    owner_browser = app.test_client()
    owner = register_and_sign_in(owner_browser, session, places, cnic="17301-3333333-3")
    assert verify(owner_browser, last_code(session, owner)).status_code == 302

    late = verify(client, last_code(session, squatter))

    assert late.status_code == 400 and str(mobile_numbers.NUMBER_TAKEN) in text_of(late)
    assert registered(session, "1730133333333").mobile == "03451357913"
    assert registered(session).mobile is None


def test_a_reset_by_cnic_reaches_the_waiting_number_and_confirms_it(client, session, places):
    citizen = register_and_sign_in(client, session, places)
    client.post("/logout")

    client.post("/password/forgot", data={"login": "17301-2468024-6"})
    (sms,) = messages(session, citizen, password_resets.TEMPLATE)
    assert sms.address == "03451357913"
    done = client.post("/password/reset", data={"login": "17301-2468024-6", "code": sms.context["code"],
                                                "password": PASSWORD, "password_confirm": PASSWORD})

    assert done.status_code == 302
    citizen = registered(session)
    assert citizen.mobile == "03451357913" and citizen.mobile_confirmed_at is not None


def test_open311_reporters_lodge_without_a_code_and_their_claim_confirms_the_number(client, session, make_user):
    key, _ = api_keys.issue_api_key(session, make_user(Role.ADMIN), "Peshawar civic app")
    complaint = open311_intake.submit_request(session, key, open311_intake.RequestInput(
        service_code="HEALTH-STAFF-ABSENT", district_code="PES", lat="34.01", long="71.52",
        description="The doctor at the Basic Health Unit has not come to work for two weeks.", phone="0345-7654321"))
    session.commit()
    reporter = fresh(session, User, complaint.citizen_id)
    assert reporter.mobile == "03457654321" and reporter.mobile_confirmed_at is None  # vouched for, not proved

    client.post("/password/forgot", data={"login": "0345-7654321"})
    code = messages(session, reporter, password_resets.TEMPLATE)[-1].context["code"]
    client.post("/password/reset", data={"login": "0345-7654321", "code": code, "password": PASSWORD,
                                         "password_confirm": PASSWORD})

    assert fresh(session, User, reporter.id).mobile_confirmed_at is not None


# Changing the number ---------------------------------------------------------------

def test_a_new_number_takes_effect_only_once_its_code_is_entered(client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    old = citizen.mobile
    login(client, citizen)

    asked = client.post("/account/mobile", data={"mobile": "0333-5550001"})

    assert asked.status_code == 302 and asked.headers["Location"] == "/account/verify"
    assert fresh(session, User, citizen.id).mobile == old  # not yet
    (sms,) = messages(session, citizen, mobile_numbers.CODE_TEMPLATE)
    assert sms.address == "03335550001"
    assert "Waiting for its code: 03335550001." in text_of(client.get("/account"))
    assert verify(client, wrong_codes(sms.context["code"], 1)[0]).status_code == 400
    assert fresh(session, User, citizen.id).mobile == old

    assert verify(client, sms.context["code"]).headers["Location"] == "/account"

    assert fresh(session, User, citizen.id).mobile == "03335550001"
    changed = messages(session, citizen, mobile_numbers.CHANGED_TEMPLATE)
    assert {(m.channel, m.address) for m in changed} == {(Channel.SMS, old), (Channel.IN_APP, None)}
    assert "0333•••0001" in outbox.render(changed[0])[1]
    assert "Waiting for its code" not in text_of(client.get("/account"))


def test_another_accounts_number_gets_the_same_answer_and_its_owner_is_told(client, session, make_user):
    citizen, owner = make_user(Role.CITIZEN), make_user(Role.CITIZEN)
    login(client, citizen)

    # CSRF tokens carry the second they were signed: two pages a second apart differ only there.
    def page(number):
        return re.sub(r"[\w-]+\.[\w-]{6}\.[\w-]{27}", "TOKEN",
                      re.sub(re.escape(number), "N", text_of(client.get("/account/verify"))))

    free = client.post("/account/mobile", data={"mobile": "0333-5550002"})
    free_page = page("03335550002")
    taken = client.post("/account/mobile", data={"mobile": owner.mobile})
    taken_page = page(owner.mobile)

    assert (free.status_code, free.headers["Location"]) == (taken.status_code, taken.headers["Location"])
    assert free_page == taken_page and "We sent a code by SMS to N." in free_page
    assert [m.address for m in messages(session, citizen, mobile_numbers.CODE_TEMPLATE)] == ["03335550002"]  # not the owner's
    (warning,) = messages(session, owner, mobile_numbers.IN_USE_TEMPLATE)
    assert warning.channel is Channel.SMS and warning.address is None
    assert fresh(session, User, owner.id).mobile == owner.mobile


def test_a_bad_number_is_refused_keeping_what_was_typed(client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    login(client, citizen)

    response = client.post("/account/mobile", data={"mobile": "0333-12"})

    assert response.status_code == 400 and "Give a Pakistani mobile number" in text_of(response)
    assert field_value(response, "mobile") == "0333-12"


# Password, e-mail, language --------------------------------------------------------

@pytest.mark.real_password_hashing  # the portal's own hashing: scrypt, at making the account and at the change
def test_a_password_change_signs_out_other_browsers_and_phones_but_not_this_one(app, client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    assert citizen.password_hash.startswith("scrypt:")
    first_hash = citizen.password_hash
    laptop = app.test_client()
    login(laptop, citizen)
    login(client, citizen)
    phone = api_tokens.issue_token(session, citizen, lifetime=timedelta(days=30))
    session.commit()
    assert laptop.get("/my/complaints").status_code == 200

    changed = client.post("/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                     "password_confirm": NEW_PASSWORD})

    assert changed.status_code == 302 and changed.headers["Location"] == "/account"
    assert "Your password is changed." in text_of(client.get("/account"))
    assert client.get("/my/complaints").status_code == 200  # this browser stays
    assert laptop.get("/my/complaints").status_code == 302  # the other is sent to sign in
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {phone.token}"}).status_code == 401
    reread(session)
    assert session.get(ApiToken, phone.row.id).revoked_at is not None
    assert session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == citizen.id)) == 1
    changed_hash = session.get(User, citizen.id).password_hash
    assert changed_hash.startswith("scrypt:") and changed_hash != first_hash
    client.post("/logout")
    assert sign_in(client, citizen.cnic, NEW_PASSWORD).status_code == 302


def test_a_wrong_current_password_is_refused_and_tries_are_throttled(client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    login(client, citizen)
    form = {"current_password": "not-my-password", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}

    answers = [client.post("/account/password", data=form) for _ in range(tries.FREE)]
    refused = client.post("/account/password", data={**form, "current_password": PASSWORD})

    assert [answer.status_code for answer in answers] == [400] * tries.FREE
    assert "This is not your current password." in text_of(answers[0])
    assert refused.status_code == 429 and str(tries.CURRENT_PASSWORD.message) in text_of(refused)
    assert "You can try again at" in text_of(refused) and int(refused.headers["Retry-After"]) <= 30
    assert fresh(session, User, citizen.id).password_hash == citizen.password_hash
    with time_machine.travel(utcnow() + timedelta(seconds=31)):
        assert client.post("/account/password", data={**form, "current_password": PASSWORD}).status_code == 302


def test_email_and_language_are_saved(app, client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    login(client, citizen)

    assert client.post("/account/email", data={"email": "gul@example.org"}).status_code == 302
    assert client.post("/account/language", data={"language": "ps"}).status_code == 302
    bad = client.post("/account/email", data={"email": "not an address"})

    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("ps"):  # the page now speaks the language just saved
        in_pashto = gettext("This is not an e-mail address.")
    assert in_pashto != "This is not an e-mail address."
    assert bad.status_code == 400 and in_pashto in text_of(bad)
    saved = fresh(session, User, citizen.id)
    assert (saved.email, saved.language) == ("gul@example.org", "ps")
    assert '<html lang="ps" dir="rtl"' in client.get("/account").get_data(as_text=True)


def test_staff_see_their_language_password_and_sign_ins_only(client, session, make_user):
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    login(client, dc)

    page = client.get("/account").get_data(as_text=True)

    assert 'action="/account/language"' in page and 'action="/account/password"' in page
    assert 'action="/account/sessions/' in page
    assert 'action="/account/mobile"' not in page and 'action="/account/notices"' not in page
    assert client.post("/account/mobile", data={"mobile": "0333-5550003"}).status_code == 403
    with pytest.raises(NotAllowed, match="administrator"):
        profile.set_email(session, fresh(session, User, dc.id), "dc@example.org")


# Where one is signed in --------------------------------------------------------------

def test_the_sessions_are_listed_and_one_is_signed_out(app, client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    laptop = app.test_client()
    login(laptop, citizen)
    sign_in(client, citizen.cnic, PASSWORD)
    phone = api_tokens.issue_token(session, citizen, lifetime=timedelta(days=30))
    session.commit()

    page = text_of(client.get("/account"))

    assert page.count("Signed in ") == 3 and "This browser" in page and "test client" in page and "Phone app" in page
    ids = [int(i) for i in re.findall(r'action="/account/sessions/(\d+)/end"', client.get("/account").get_data(as_text=True))]
    reread(session)
    laptop_id = session.scalar(select(UserSession.id).where(UserSession.user_id == citizen.id,
                                                            UserSession.user_agent == "test client"))
    assert laptop_id in ids and len(ids) == 2

    assert client.post(f"/account/sessions/{laptop_id}/end").headers["Location"] == "/account"

    assert laptop.get("/my/complaints").status_code == 302  # really signed out
    assert client.get("/my/complaints").status_code == 200
    assert client.post(f"/account/phones/{phone.row.id}/end").status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {phone.token}"}).status_code == 401
    (this_id,) = [int(i) for i in re.findall(r'action="/account/sessions/(\d+)/end"',
                                             client.get("/account").get_data(as_text=True))]
    signed_out = client.post(f"/account/sessions/{this_id}/end")
    assert signed_out.headers["Location"] == "/" and client.get("/my/complaints").status_code == 302


def test_another_users_session_is_not_found(client, session, make_user, app):
    citizen, other = make_user(Role.CITIZEN), make_user(Role.CITIZEN)
    login(app.test_client(), other)
    login(client, citizen)
    reread(session)
    others = session.scalar(select(UserSession.id).where(UserSession.user_id == other.id))

    assert client.post(f"/account/sessions/{others}/end").status_code == 404
    reread(session)
    assert session.get(UserSession, others) is not None


def test_idle_browsers_are_signed_out_and_signing_out_ends_the_row(client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    sign_in(client, citizen.cnic, PASSWORD)
    assert client.get("/my/complaints").status_code == 200

    reread(session)
    session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(days=30, minutes=1)))
    session.commit()
    assert client.get("/my/complaints").status_code == 302  # idle for 30 days: signed out

    sign_in(client, citizen.cnic, PASSWORD)  # the idle row is dropped with this sign-in
    assert count_sessions(session, citizen) == 1 and client.get("/my/complaints").status_code == 200
    client.post("/logout")
    assert count_sessions(session, citizen) == 0


def test_a_browser_is_seen_every_few_minutes_not_on_every_request(client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    sign_in(client, citizen.cnic, PASSWORD)
    reread(session)
    first = session.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == citizen.id))
    client.get("/my/complaints")
    reread(session)
    assert session.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == citizen.id)) == first

    later = utcnow() + timedelta(minutes=6)
    with time_machine.travel(later, tick=False):
        assert client.get("/my/complaints").status_code == 200

    reread(session)
    assert session.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == citizen.id)) == later


def count_sessions(session, user) -> int:
    reread(session)
    return session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id))


def test_the_sign_in_page_is_throttled(client, make_user):
    citizen = make_user(Role.CITIZEN)
    statuses = [sign_in(client, citizen.cnic, "wrong-password").status_code for _ in range(tries.FREE)]

    refused = sign_in(client, f"{citizen.cnic[:5]}-{citizen.cnic[5:12]}-{citizen.cnic[12]}", PASSWORD)

    assert statuses == [401] * tries.FREE
    assert refused.status_code == 429 and "Too many sign-in attempts" in text_of(refused)


# SMS notices -------------------------------------------------------------------------

def test_sms_notices_are_honoured_but_codes_always_come(client, session, make_user, places):
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    officer = make_user(Role.DISTRICT_OFFICER)
    login(client, citizen)

    saved = client.post("/account/notices", data={"sms": ["complaint_received"]})

    assert saved.status_code == 302
    assert set(fresh(session, User, citizen.id).sms_muted) == set(profile.SMS_NOTICES) - {"complaint_received"}
    page = client.get("/account").get_data(as_text=True)
    assert re.search(r'value="complaint_received" checked', page) and not re.search(r'value="complaint_assigned" checked', page)
    complaint = lodge(session, fresh(session, User, citizen.id), places["peshawar"])
    assign(session, complaint, dc, officer)
    channels = {(m.template, m.channel) for m in messages(session, citizen, "complaint_received")
                + messages(session, citizen, "complaint_assigned")}
    assert channels == {("complaint_received", Channel.SMS), ("complaint_received", Channel.IN_APP),
                        ("complaint_assigned", Channel.IN_APP)}
    client.post("/logout")
    client.post("/password/forgot", data={"login": citizen.mobile})
    assert [m.channel for m in messages(session, citizen, password_resets.TEMPLATE)] == [Channel.SMS]


def test_the_outbox_and_the_form_offer_the_same_notices():
    assert tuple(profile.SMS_NOTICES) == outbox.OPTIONAL_SMS
    assert all(outbox.template_exists(name) for name in outbox.OPTIONAL_SMS)
    for template in ("mobile_code", "mobile_in_use", "mobile_changed", "registration_attempt", "password_reset_code"):
        assert template not in outbox.OPTIONAL_SMS and outbox.template_exists(template)


def test_unknown_notices_are_refused(session, make_user):
    citizen = make_user(Role.CITIZEN)
    with pytest.raises(Invalid):
        profile.set_sms_notices(session, citizen, {"complaint_received": False, "made_up": True})


# The migration -------------------------------------------------------------------------

def test_citizens_from_before_count_as_confirmed_and_live_reset_codes_survive(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0019"]).exit_code == 0
    engine = app.extensions["db_engine"]
    with engine.begin() as conn:
        for n, (role, mobile) in enumerate([("citizen", "03001110001"), ("citizen", None), ("analyst", "03001110003")], 1):
            conn.execute(text(
                "INSERT INTO users (id, role, full_name, mobile, password_hash, language, active, created_at) "
                "VALUES (:id, :role, 'Old account', :mobile, 'x', 'en', 1, '2026-01-01 00:00:00')"),
                {"id": n, "role": role, "mobile": mobile})
        conn.execute(text("INSERT INTO password_resets (user_id, salt, code_hash, created_at, expires_at, attempts) "
                          "VALUES (1, 's', 'h', '2026-01-01 00:00:00', '2999-01-01 00:00:00', 2)"))

    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0

    with engine.connect() as conn:
        confirmed = dict(conn.execute(text("SELECT id, mobile_confirmed_at IS NOT NULL FROM users")).all())
        carried = conn.execute(text("SELECT user_id, purpose, attempts FROM verification_codes")).all()
    assert confirmed == {1: 1, 2: 0, 3: 0}
    assert [tuple(row) for row in carried] == [(1, codes.PASSWORD_RESET, 2)]
    engine.dispose()
