"""Sessions on the server (issue 14, part 3): signing out ends a session wherever its cookie is presented,
idle limits and lifetimes by role, a new key at sign-in and at a password or role change, the scheduled purge."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app import background
from app.models import Role, User, UserSession, utcnow
from app.services.interop import api_tokens
from app.services.people import user_sessions
from app.web import SESSION_KEY
from tests.app.helpers import fresh, reread, text_of
from tests.conftest import PASSWORD, login

HOME = {Role.CITIZEN: "/my/complaints", Role.DEPUTY_COMMISSIONER: "/inbox", Role.DISTRICT_OFFICER: "/inbox"}


def form_sign_in(client, user: User):
    response = client.post("/login", data={"login": user.username or user.cnic, "password": PASSWORD})
    assert response.status_code == 302, text_of(response)
    return response


def copy_of_cookie(client, app):
    """Another browser holding a copy of `client`'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def key_of(client) -> str | None:
    with client.session_transaction() as flask_session:
        return flask_session.get(SESSION_KEY)


def sessions(session, user) -> int:
    reread(session)
    return session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id))


def test_signing_out_ends_the_session_for_a_copied_cookie_too(app, client, make_user):
    citizen = make_user(Role.CITIZEN)
    form_sign_in(client, citizen)
    thief = copy_of_cookie(client, app)
    assert thief.get("/my/complaints").status_code == 200  # the copy works while the session lives

    client.post("/logout")

    assert thief.get("/my/complaints").status_code == 302  # ended on the server, not only in this browser
    assert client.get("/my/complaints").status_code == 302


def test_sign_out_everywhere_else_ends_other_browsers_and_phones_and_keeps_this_one(app, client, session, make_user):
    officer = make_user(Role.DISTRICT_OFFICER)
    laptop = app.test_client()
    login(laptop, officer)
    form_sign_in(client, officer)
    phone = api_tokens.issue_token(session, officer, lifetime=timedelta(days=30))
    session.commit()
    assert "Sign out everywhere else" in text_of(client.get("/account"))

    ended = client.post("/account/sessions/end-others")

    assert ended.status_code == 302
    assert laptop.get("/inbox").status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {phone.token}"}).status_code == 401
    assert client.get("/inbox").status_code == 200 and sessions(session, officer) == 1


@pytest.mark.parametrize(("role", "idle", "still_in"), [
    (Role.DEPUTY_COMMISSIONER, timedelta(minutes=30), timedelta(minutes=29)),
    (Role.DISTRICT_OFFICER, timedelta(minutes=30), timedelta(minutes=29)),
    (Role.CITIZEN, timedelta(days=30), timedelta(days=29, hours=23)),
], ids=["dc", "officer", "citizen"])
def test_idle_limit_by_role(client, make_user, role, idle, still_in):
    user = make_user(role)
    login(client, user)
    start = utcnow()

    with time_machine.travel(start + still_in, tick=False):
        assert client.get(HOME[role]).status_code == 200  # used in time: seen, so the limit starts again
    with time_machine.travel(start + still_in + idle - timedelta(minutes=1), tick=False):
        assert client.get(HOME[role]).status_code == 200
    with time_machine.travel(start + still_in + 2 * idle, tick=False):
        assert client.get(HOME[role]).status_code == 302  # idle too long


def test_staff_sessions_end_after_twelve_hours_however_busy(client, make_user):
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    login(client, dc)
    start = utcnow()
    for minutes in range(20, 12 * 60, 20):  # a page every 20 minutes, all day
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/inbox").status_code == 200, minutes
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        assert client.get("/inbox").status_code == 302


def test_citizen_sessions_end_after_ninety_days(client, make_user):
    citizen = make_user(Role.CITIZEN)
    login(client, citizen)
    start = utcnow()
    for days in range(20, 90, 20):
        with time_machine.travel(start + timedelta(days=days), tick=False):
            assert client.get("/my/complaints").status_code == 200
    with time_machine.travel(start + timedelta(days=90, minutes=1), tick=False):
        assert client.get("/my/complaints").status_code == 302


def test_limits_come_from_the_settings(app, client, make_user):
    app.config.update(SESSION_IDLE_MINUTES_CITIZEN=60)
    citizen = make_user(Role.CITIZEN)
    login(client, citizen)
    with time_machine.travel(utcnow() + timedelta(minutes=61), tick=False):
        assert client.get("/my/complaints").status_code == 302


def test_signing_in_gives_a_new_key_and_drops_what_the_browser_held(client, session, make_user):
    citizen, other = make_user(Role.CITIZEN), make_user(Role.CITIZEN)
    with client.session_transaction() as flask_session:
        flask_session["planted"] = "by someone before"
    form_sign_in(client, other)
    first = key_of(client)

    form_sign_in(client, citizen)  # the same browser, another account

    assert key_of(client) != first
    with client.session_transaction() as flask_session:
        assert "planted" not in flask_session
    assert sessions(session, other) == 0  # the session it replaced ended
    assert sessions(session, citizen) == 1


def test_a_password_change_gives_this_browser_a_new_key(app, client, session, make_user):
    officer = make_user(Role.DISTRICT_OFFICER)
    form_sign_in(client, officer)
    before = key_of(client)
    thief = copy_of_cookie(client, app)

    changed = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "a-new-long-pass-22", "password_confirm": "a-new-long-pass-22"})

    assert changed.status_code == 302
    assert key_of(client) not in (None, before)
    assert client.get("/inbox").status_code == 200
    assert thief.get("/inbox").status_code == 302


def test_a_role_change_signs_the_person_out(client, session, make_user):
    officer = make_user(Role.DISTRICT_OFFICER)
    login(client, officer)
    assert client.get("/inbox").status_code == 200

    user = fresh(session, User, officer.id)
    user.role = Role.DEPUTY_COMMISSIONER
    session.commit()

    assert client.get("/inbox").status_code == 302


def test_the_account_page_says_when_each_session_ends(client, make_user):
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    login(client, dc)
    page = text_of(client.get("/account"))
    assert re.search(r"Signs itself out at .+ unless used before", page)
    assert "test client" in page and "This browser" in page


def test_the_scheduled_purge_drops_ended_sessions_only(app, session, make_user):
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    now = utcnow()
    live_citizen = user_sessions.start_session(session, citizen, now=now - timedelta(days=10))
    user_sessions.start_session(session, citizen, now=now - timedelta(days=91))  # past the lifetime
    user_sessions.start_session(session, dc, now=now - timedelta(minutes=40))  # idle too long for staff
    live_dc = user_sessions.start_session(session, dc, now=now - timedelta(minutes=10))
    session.commit()

    assert background.purge_sessions(app, now) == {"purged": 2}

    reread(session)
    left = set(session.scalars(select(UserSession.key_hash)))
    assert left == {user_sessions.hash_key(live_citizen), user_sessions.hash_key(live_dc)}
    assert "purge_sessions" in {entry.job for entry in background.SCHEDULE}


def test_the_worker_has_a_job_for_every_scheduled_entry():
    from app import jobs

    for entry in background.SCHEDULE:
        assert callable(getattr(jobs, entry.job)), entry.job
