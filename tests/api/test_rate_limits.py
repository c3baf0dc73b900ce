"""Rate limits on sign-in, registration and lodging, counted in the database (shared by all web processes)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import event, func, select

from app import background
from app.models import RateLimitCounter, Role, utcnow
from app.services import rate_limits
from app.services.people import tries
from tests.app.helpers import category, reread
from tests.conftest import PASSWORD

from .helpers import assert_documented, assert_problem


def sign_in(api, login, password="wrong-password"):
    return api.post("/auth/token", json={"login": login, "password": password})


def test_after_five_failures_even_the_right_password_waits_and_the_delay_doubles(api, make_user):
    citizen = make_user(Role.CITIZEN)

    failures = [sign_in(api, citizen.cnic).status_code for _ in range(tries.FREE)]
    right_at_once = sign_in(api, citizen.cnic, PASSWORD)
    start = utcnow()  # after the failures: a slow machine must not eat into the delay

    assert failures == [401] * tries.FREE
    body = assert_problem(right_at_once, 429, field="password")
    assert "Try again in" in body["detail"]
    assert 25 <= int(right_at_once.headers["Retry-After"]) <= 30
    assert_documented(right_at_once)
    with time_machine.travel(start + timedelta(seconds=31)):
        assert sign_in(api, citizen.cnic).status_code == 401  # the sixth failure: the next waits a minute
        waits = int(sign_in(api, citizen.cnic, PASSWORD).headers["Retry-After"])
        assert 55 <= waits <= 60
    with time_machine.travel(start + timedelta(seconds=31 + 64)):
        assert sign_in(api, citizen.cnic, PASSWORD).status_code == 200  # and the streak ends


def test_the_limit_is_per_account_and_ends_with_the_delay(api, make_user):
    citizen, other = make_user(Role.CITIZEN), make_user(Role.CITIZEN)
    for _ in range(tries.FREE + 1):
        sign_in(api, citizen.cnic)

    assert sign_in(api, other.cnic, PASSWORD).status_code == 200
    with time_machine.travel(utcnow() + timedelta(seconds=31)):
        assert sign_in(api, citizen.cnic, PASSWORD).status_code == 200


def test_writing_the_login_differently_does_not_buy_more_attempts(api, make_user):
    citizen = make_user(Role.CITIZEN)
    cnic = citizen.cnic
    spellings = [cnic, f"{cnic[:5]}-{cnic[5:12]}-{cnic[12]}", f" {cnic} ", f"{cnic[:5]} {cnic[5:]}", citizen.mobile,
                 f"+92 {citizen.mobile[1:]}"]

    statuses = [sign_in(api, spellings[n % len(spellings)]).status_code for n in range(tries.FREE + 1)]

    assert statuses == [401] * tries.FREE + [429]


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


def test_a_lodging_that_fails_still_counts_and_a_good_one_commits_once(app, api, session, make_user, places):
    """The count rides with the complaint's own commit; when the work is refused and rolled back,
    the request is counted again on its own (a flood of bad requests is still a flood)."""
    app.config.update(API_SUBMIT_LIMIT=3, API_SUBMIT_WINDOW_SECONDS=3600)
    good = {"category_id": category(session).id, "subject": "Overflowing drain",
            "description": "The drain on Main Bazaar road overflows every time it rains."}
    bad = {**good, "category_id": 987654}  # understood, counted, then refused by the service
    as_citizen = api.as_(make_user(Role.CITIZEN))
    assert as_citizen.post("/complaints", json=good).status_code == 201  # (a token's first use is noted apart)
    engine = app.extensions["db_engine"]
    commits = []

    def count_commit(connection):
        commits.append(connection)

    event.listen(engine, "commit", count_commit)
    try:
        lodged = as_citizen.post("/complaints", json=good)
        commits_of_a_lodging = len(commits)
        refused = as_citizen.post("/complaints", json=bad)
        third = as_citizen.post("/complaints", json=good)
    finally:
        event.remove(engine, "commit", count_commit)

    assert lodged.status_code == 201 and commits_of_a_lodging == 1
    assert refused.status_code == 422
    assert_problem(third, 429)


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


def test_old_counters_are_purged_by_the_scheduled_job(app, session):
    now = utcnow()
    rate_limits.hit(session, "test:old", limit=5, window_seconds=60, now=now - timedelta(days=2))
    rate_limits.hit(session, "test:recent", limit=5, window_seconds=60, now=now - timedelta(hours=1))
    session.commit()

    assert background.purge_counters(app, now) == {"purged": 1}
    assert "purge_counters" in {entry.job for entry in background.SCHEDULE}

    reread(session)
    assert set(session.scalars(select(RateLimitCounter.bucket))) == {"test:recent"}


def test_buckets_hold_no_personal_numbers(api, session, make_user):
    citizen = make_user(Role.CITIZEN)
    sign_in(api, citizen.cnic)
    sign_in(api, "17301-7654321-9")  # no such account

    buckets = set(session.scalars(select(RateLimitCounter.bucket)))
    assert not any(citizen.cnic in bucket or "7654321" in bucket for bucket in buckets)
    assert f"sign-in:account:{citizen.id}" in buckets and any(b.startswith("sign-in:account:login-") for b in buckets)
    assert session.scalar(select(func.sum(RateLimitCounter.count)).where(RateLimitCounter.bucket.like("sign-in:address:%"))) == 2


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
