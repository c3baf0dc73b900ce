"""Throttling of everything a person may try to guess (app/services/people/tries.py, docs/security.md).

The probe of issue 14 sent 30 wrong passwords for one mobile number to the sign-in
page in 3.4 s, every one answered 401, and the right one then signed in.
"""
from __future__ import annotations

import os
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import RateLimitCounter, Role, utcnow
from app.services import rate_limits
from app.services.people import accounts, tries
from tests.app.helpers import category, reread, text_of
from tests.conftest import PASSWORD, login

from .test_password_reset import ask, last_code, reset

NEW_PASSWORD = "chitral-river-2027"
ON_POSTGRESQL = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


def sign_in(client, login_: str, password: str, *, address: str = "127.0.0.1"):
    return client.post("/login", data={"login": login_, "password": password}, environ_base={"REMOTE_ADDR": address})


def signed_in(client) -> bool:
    return client.get("/my/complaints").status_code == 200


def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(client, make_user):
    citizen = make_user(Role.CITIZEN)

    answers = [sign_in(client, citizen.mobile, f"wrong-password-{n}").status_code for n in range(30)]
    right = sign_in(client, citizen.mobile, PASSWORD)

    assert answers[:tries.FREE] == [401] * tries.FREE
    assert set(answers[tries.FREE:]) == {429}  # refused before the password was even compared
    assert right.status_code == 429 and not signed_in(client)
    page = text_of(right)
    assert "Too many tries" in page and "Too many sign-in attempts for this account" in page
    assert "You can try again at" in page and "(Pakistan time)" in page
    assert 1 <= int(right.headers["Retry-After"]) <= tries.FIRST_DELAY_SECONDS
    assert 'href="/password/forgot"' in right.get_data(as_text=True)


def test_the_wait_page_speaks_the_readers_language(app, client, make_user):
    citizen = make_user(Role.CITIZEN)
    client.set_cookie("lang", "ur")
    for _ in range(tries.FREE):
        sign_in(client, citizen.cnic, "wrong-password")

    refused = sign_in(client, citizen.cnic, PASSWORD)

    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("ur"):
        heading, message = gettext("Too many tries"), str(tries.SIGN_IN.message)
    assert heading != "Too many tries"
    assert refused.status_code == 429 and heading in text_of(refused) and message in text_of(refused)
    assert 'lang="ur" dir="rtl"' in refused.get_data(as_text=True)


def test_delays_double_and_cap_so_the_owner_is_never_locked_out(session):
    delays = [tries.ACCOUNT_DELAYS.delay_after(n) for n in range(1, 16)]
    assert delays[:tries.FREE - 1] == [0] * (tries.FREE - 1)
    assert delays[tries.FREE - 1:tries.FREE + 4] == [30, 60, 120, 240, 480]
    assert max(delays) == tries.MAX_DELAY_SECONDS == 900 and delays[-1] == 900

    now = utcnow()
    for n in range(200):  # an attacker who tries the moment each delay ends
        now += timedelta(seconds=rate_limits.wait_of(session, "sign-in:account:7", now=now))
        assert rate_limits.claim_try(session, "sign-in:account:7", tries.ACCOUNT_DELAYS, now=now) is None
    assert rate_limits.wait_of(session, "sign-in:account:7", now=now) == tries.MAX_DELAY_SECONDS
    # The owner waits at most the cap, however long the attack has gone on.
    assert rate_limits.claim_try(session, "sign-in:account:7", tries.ACCOUNT_DELAYS,
                                 now=now + timedelta(seconds=tries.MAX_DELAY_SECONDS)) is None


def test_an_attacked_owner_resets_by_sms_and_signs_in_at_once(client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    for n in range(30):
        sign_in(client, citizen.cnic, f"guess-{n}", address="203.0.113.9")
    assert sign_in(client, citizen.cnic, PASSWORD).status_code == 429

    assert ask(client, citizen.mobile).status_code == 302
    assert reset(client, citizen.mobile, last_code(session, citizen), password=NEW_PASSWORD).status_code == 302

    assert sign_in(client, citizen.mobile, NEW_PASSWORD).status_code == 302 and signed_in(client)


def test_a_try_counts_even_when_the_request_then_fails(client, session, make_user, monkeypatch):
    citizen = make_user(Role.CITIZEN)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away after the try was counted")

    monkeypatch.setattr(accounts, "finish_sign_in", broken)
    for _ in range(tries.FREE):
        with pytest.raises(RuntimeError):
            sign_in(client, citizen.cnic, PASSWORD)
    monkeypatch.undo()

    reread(session)
    streak = session.scalar(select(RateLimitCounter.count).where(RateLimitCounter.bucket == f"sign-in:account:{citizen.id}"))
    assert streak == tries.FREE
    assert sign_in(client, citizen.cnic, PASSWORD).status_code == 429


def test_a_success_ends_the_streak(client, make_user):
    citizen = make_user(Role.CITIZEN)
    for _ in range(tries.FREE - 1):
        sign_in(client, citizen.cnic, "wrong-password")
    assert sign_in(client, citizen.cnic, PASSWORD).status_code == 302
    client.post("/logout")

    answers = [sign_in(client, citizen.cnic, "wrong-password").status_code for _ in range(tries.FREE)]

    assert answers == [401] * tries.FREE  # five free tries again


def test_an_unknown_login_is_delayed_like_an_account(client):
    answers = [sign_in(client, "17301-0000000-1", "wrong-password").status_code for _ in range(tries.FREE + 1)]
    assert answers == [401] * tries.FREE + [429]


def test_many_accounts_tried_from_one_address_are_refused(client, make_user, monkeypatch):
    monkeypatch.setattr(tries, "SIGN_IN", replace(tries.SIGN_IN, per_address=3))
    people = [make_user(Role.CITIZEN) for _ in range(4)]

    answers = [sign_in(client, person.cnic, "wrong-password", address="198.51.100.7").status_code for person in people]

    assert answers == [401, 401, 401, 429]
    assert sign_in(client, people[3].cnic, PASSWORD, address="198.51.100.8").status_code == 302


def test_people_signing_in_behind_one_address_do_not_fill_its_window(client, make_user, monkeypatch):
    monkeypatch.setattr(tries, "SIGN_IN", replace(tries.SIGN_IN, per_address=2))
    people = [make_user(Role.CITIZEN) for _ in range(4)]

    for person in people:  # four phones behind one mobile network's address, each signing in
        assert sign_in(client, person.cnic, PASSWORD, address="198.51.100.9").status_code == 302
        client.post("/logout")

    assert sign_in(client, people[0].cnic, "wrong-password", address="198.51.100.9").status_code == 401


def test_registration_page_is_limited_per_address(app, client, places):
    app.config["API_REGISTER_LIMIT"] = 1
    form = {"full_name": "Bilal Ahmad", "cnic": "17301-1234567-1", "mobile": "0300-1234567",
            "district_id": str(places["peshawar"].id), "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}

    first = client.post("/register", data=form)
    second = client.post("/register", data={**form, "cnic": "17301-1234567-2", "mobile": "0300-1234568"})

    assert first.status_code == 302
    assert second.status_code == 429 and "You can try again at" in text_of(second)
    assert 1 <= int(second.headers["Retry-After"]) <= 3600


def test_lodging_page_shares_the_apis_window_per_citizen(app, client, session, make_user):
    app.config.update(API_SUBMIT_LIMIT=1, API_SUBMIT_WINDOW_SECONDS=3600)
    make_user(Role.DEPUTY_COMMISSIONER)
    citizen = make_user(Role.CITIZEN)
    login(client, citizen)
    form = {"category_id": str(category(session).id), "district_id": str(citizen.district_id),
            "subject": "Overflowing drain", "description": "The drain on Main Bazaar road overflows when it rains.",
            "none_of_these": "1"}

    first = client.post("/my/complaints/new", data=form)
    second = client.post("/my/complaints/new", data={**form, "subject": "Broken streetlight"})

    assert first.status_code == 302
    assert second.status_code == 429 and "You can try again at" in text_of(second)
    assert int(second.headers["Retry-After"]) <= 3600


@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs row locks: set TEST_DATABASE_URL=postgresql+psycopg://...")
def test_tries_sent_at_once_cannot_slip_past_the_delay_on_postgresql(app):
    """Ten processes claim the sixth try of one account at the same moment: one goes ahead, nine wait."""
    factory, bucket, now = app.extensions["db_sessions"], "sign-in:account:race", utcnow()
    with factory() as session:
        for _ in range(tries.FREE - 1):
            rate_limits.claim_try(session, bucket, tries.ACCOUNT_DELAYS, now=now)
        session.commit()
    barrier, outcomes = threading.Barrier(10), []

    def claim():
        with factory() as session:
            barrier.wait(timeout=10)
            outcomes.append(rate_limits.claim_try(session, bucket, tries.ACCOUNT_DELAYS, now=now))
            session.commit()

    threads = [threading.Thread(target=claim) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes.count(None) == 1
    assert sorted(outcomes, key=str)[:9] == [tries.FIRST_DELAY_SECONDS] * 9
