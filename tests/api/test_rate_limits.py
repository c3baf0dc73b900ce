"""Rate limits on sign-in, registration and lodging, counted in the database (shared by all web processes)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import func, select

from app.models import RateLimitCounter, Role, utcnow
from app.services import rate_limits
from tests.app.helpers import category, reread
from tests.conftest import PASSWORD

from .helpers import assert_documented, assert_problem


def sign_in(api, login, password="wrong-password"):
    return api.post("/auth/token", json={"login": login, "password": password})


def test_the_eleventh_sign_in_in_a_minute_is_429_even_with_the_right_password(api, make_user):
    citizen = make_user(Role.CITIZEN)

    refused = [sign_in(api, citizen.cnic).status_code for _ in range(10)]
    eleventh = sign_in(api, citizen.cnic, PASSWORD)

    assert refused == [401] * 10
    body = assert_problem(eleventh, 429)
    assert "at most 10 in a minute" in body["detail"]
    assert 1 <= int(eleventh.headers["Retry-After"]) <= 60
    assert_documented(eleventh)


def test_the_limit_is_per_login_and_ends_with_the_window(api, make_user):
    citizen, other = make_user(Role.CITIZEN), make_user(Role.CITIZEN)
    for _ in range(11):
        sign_in(api, citizen.cnic)

    assert sign_in(api, other.cnic, PASSWORD).status_code == 200
    with time_machine.travel(utcnow() + timedelta(seconds=61)):
        assert sign_in(api, citizen.cnic, PASSWORD).status_code == 200


def test_writing_the_login_differently_does_not_buy_more_attempts(api, make_user):
    citizen = make_user(Role.CITIZEN)
    cnic = citizen.cnic
    spellings = [cnic, f"{cnic[:5]}-{cnic[5:12]}-{cnic[12]}", f" {cnic} ", f"{cnic[:5]} {cnic[5:]}"]

    statuses = [sign_in(api, spellings[n % len(spellings)]).status_code for n in range(11)]

    assert statuses == [401] * 10 + [429]


def test_lodging_is_limited_per_citizen(app, api, session, make_user, places):
    app.config.update(API_SUBMIT_LIMIT=2, API_SUBMIT_WINDOW_SECONDS=3600)
    form = {"category_id": category(session).id, "subject": "Overflowing drain",
            "description": "The drain on Main Bazaar road overflows every time it rains."}
    as_citizen, as_neighbour = api.as_(make_user(Role.CITIZEN)), api.as_(make_user(Role.CITIZEN))

    statuses = [as_citizen.post("/complaints", json=form).status_code for _ in range(3)]

    assert statuses == [201, 201, 429]
    third = as_citizen.post("/complaints", json=form)
    assert "at most 2 in an hour" in assert_problem(third, 429)["detail"]
    assert int(third.headers["Retry-After"]) <= 3600
    assert as_neighbour.post("/complaints", json=form).status_code == 201


def test_registration_is_limited_per_address(app, api, places):
    app.config["API_REGISTER_LIMIT"] = 1
    first = {"full_name": "Bilal Ahmad", "cnic": "1730112345671", "mobile": "03001234567",
             "district_id": places["peshawar"].id, "password": PASSWORD}
    second = {**first, "cnic": "1730112345672", "mobile": "03001234568"}

    assert api.post("/auth/register", json=first).status_code == 202
    assert_problem(api.post("/auth/register", json=second), 429)


def test_counters_are_shared_between_sessions_and_windows_are_fixed(app, session):
    factory = app.extensions["db_sessions"]
    now = datetime(2026, 12, 1, 10, 0, 30, tzinfo=timezone.utc)
    decisions = []
    for _ in range(3):
        with factory() as other_process:
            decisions.append(rate_limits.hit(other_process, "test:bucket", limit=2, window_seconds=60, now=now))
            other_process.commit()

    assert [(d.allowed, d.count) for d in decisions] == [(True, 1), (True, 2), (False, 3)]
    assert decisions[-1].retry_after == 30  # the window started at 10:00:00
    next_window = rate_limits.hit(session, "test:bucket", limit=2, window_seconds=60, now=now + timedelta(seconds=30))
    assert next_window.allowed and next_window.count == 1


def test_old_counters_are_purged_when_a_new_window_starts(session):
    now = utcnow()
    rate_limits.hit(session, "test:old", limit=5, window_seconds=60, now=now - timedelta(days=2))
    rate_limits.hit(session, "test:recent", limit=5, window_seconds=60, now=now - timedelta(hours=1))
    session.commit()

    rate_limits.hit(session, "test:new", limit=5, window_seconds=60, now=now)
    session.commit()

    reread(session)
    assert set(session.scalars(select(RateLimitCounter.bucket))) == {"test:recent", "test:new"}


def test_buckets_hold_no_personal_numbers(api, session, make_user):
    citizen = make_user(Role.CITIZEN)
    sign_in(api, citizen.cnic)

    (bucket,) = session.scalars(select(RateLimitCounter.bucket))
    assert citizen.cnic not in bucket and bucket.startswith("api-sign-in:")
    assert session.scalar(select(func.sum(RateLimitCounter.count))) == 1


def test_behind_a_trusted_proxy_the_limit_keys_on_the_phone_not_the_proxy(db_url, tmp_path):
    from app import create_app

    apps = [create_app({"TESTING": True, "DATABASE_URL": db_url, "UPLOAD_DIR": str(tmp_path / "uploads"),
                        "TRUSTED_PROXIES": proxies, "API_REGISTER_LIMIT": 2}) for proxies in (1, 0)]
    proxied, direct = (a.test_client() for a in apps)

    def register(client, phone_address):
        return client.post("/api/v1/auth/register", json={},
                           headers={"X-Forwarded-For": phone_address}).status_code

    # Through the proxy each phone has its own allowance; a forged header in front of the real one is ignored.
    assert [register(proxied, "203.0.113.7") for _ in range(3)] == [422, 422, 429]
    assert register(proxied, "198.51.100.4") == 422
    assert register(proxied, "10.9.9.9, 203.0.113.7") == 429
    # Without TRUSTED_PROXIES the header is not believed: every caller is the proxy's one address.
    assert [register(direct, f"192.0.2.{n}") for n in range(3)] == [422, 422, 429]
    for each in apps:
        each.extensions["db_engine"].dispose()
