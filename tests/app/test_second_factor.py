"""The staff second factor (issue 14, part 4): enrolment with a QR code, the code step of signing in on the
pages and the API, recovery codes, throttling, encryption at rest, officers' choice, the administrator's reset."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from cryptography.fernet import Fernet
from sqlalchemy import select

from app import i18n
from app.models import AuditEntry, RecoveryCode, Role, SecondFactor, User, UserSession, utcnow
from app.services.errors import NotAllowed
from app.services.people import second_factor, user_sessions
from app.settings import ConfigError, ProductionConfig
from tests.app.helpers import fresh, reread, text_of
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture()
def box(app):
    return second_factor.SecretBox.from_settings(app.config)


def enrolled(session, box, user) -> tuple[pyotp.TOTP, list[str]]:
    """Enrol `user` through the service (as the pages do); returns their app and recovery codes."""
    enrolment = second_factor.begin_enrolment(session, user, box, issuer="Test")
    app = pyotp.TOTP(enrolment.secret)
    codes = second_factor.confirm_enrolment(session, user, app.now(), box, sealed=enrolment.sealed, address=None)
    session.commit()
    return app, codes


def code_at(app: pyotp.TOTP, steps: int) -> str:
    """The code the app shows `steps` steps (of 30 s) from now: a fresh one, as a later sign-in would use."""
    return app.at(utcnow() + timedelta(seconds=30 * steps))


def password_step(client, user: User, next_page: str = ""):
    return client.post(f"/login?next={next_page}", data={"login": user.username, "password": PASSWORD})


def signed_in(client, page="/inbox") -> bool:
    return client.get(page).status_code == 200


# Enrolling at the first sign-in -------------------------------------------------------------------------

def test_a_dc_enrols_at_the_first_sign_in_and_gets_ten_recovery_codes(client, session, make_user, box):
    dc = make_user(Role.DEPUTY_COMMISSIONER)

    after_password = password_step(client, dc)

    assert after_password.headers["Location"] == "/login/code"
    assert client.get("/login/code").headers["Location"] == "/login/enrol"
    assert not signed_in(client)  # nothing is signed in before the second factor
    page = client.get("/login/enrol")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'src="data:image/svg+xml' in html
    secret = re.search(r'<code class="secret" dir="ltr">([A-Z2-7]+)</code>', html).group(1)
    assert client.get("/login/enrol").get_data(as_text=True).count(secret) == 1  # a reload shows the same secret

    wrong = client.post("/login/enrol", data={"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 400 and "This code is not right" in text_of(wrong)
    done = client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now()})

    codes = re.findall(r"<li><code>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</code></li>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(set(codes)) == 10
    assert done.headers["Cache-Control"] == "no-store"
    assert signed_in(client)
    reread(session)
    assert session.scalar(select(UserSession.second_factor).where(UserSession.user_id == dc.id)) is True


@pytest.mark.parametrize("path", ["/login/enrol", "/account/second-factor"])
def test_showing_the_enrolment_page_writes_nothing(app, client, session, make_user, path):
    """A GET may be prefetched and carries no CSRF token: the secret waiting for its first code is kept,
    encrypted, in this browser's signed session, and only the confirming POST stores a second factor."""
    if path == "/login/enrol":
        password_step(client, make_user(Role.DEPUTY_COMMISSIONER))  # held between password and code
    else:
        login(client, make_user(Role.DISTRICT_OFFICER))

    page = client.get(path)
    secret = re.search(r'<code class="secret" dir="ltr">([A-Z2-7]+)</code>', page.get_data(as_text=True)).group(1)
    assert client.get(path).get_data(as_text=True).count(secret) == 1  # a reload shows the same secret

    reread(session)
    assert session.scalars(select(SecondFactor)).all() == []
    with client.session_transaction() as browser:
        assert secret not in repr(dict(browser))  # the cookie is signed, not encrypted: the secret is
    other = app.test_client()
    other.set_cookie("session", "")
    with client.session_transaction() as browser:
        kept = dict(browser)
    with other.session_transaction() as stranger:
        stranger.update(kept)
    assert secret in other.get(path).get_data(as_text=True)  # the session, not the database, carries it


def test_a_first_code_without_the_page_shown_first_starts_again(client, session, make_user):
    officer = make_user(Role.DISTRICT_OFFICER)
    login(client, officer)

    refused = client.post("/account/second-factor", data={"code": "123456"})

    assert refused.status_code == 400 and "Start the set-up again" in text_of(refused)
    reread(session)
    assert session.scalars(select(SecondFactor)).all() == []
    # The refusal shows a new secret, and that one is what the next code proves.
    shown = re.search(r"\b([A-Z2-7]{32})\b", text_of(refused)).group(1)
    assert client.post("/account/second-factor", data={"code": pyotp.TOTP(shown).now()}).status_code == 200
    reread(session)
    assert len(session.scalars(select(SecondFactor)).all()) == 1


def test_the_secret_is_encrypted_and_recovery_codes_hashed_at_rest(session, make_user, box):
    analyst = make_user(Role.ANALYST)
    enrolment = second_factor.begin_enrolment(session, analyst, box, issuer="Test")
    codes = second_factor.confirm_enrolment(session, analyst, pyotp.TOTP(enrolment.secret).now(), box,
                                            sealed=enrolment.sealed, address=None)
    session.commit()

    stored = session.scalar(select(SecondFactor).where(SecondFactor.user_id == analyst.id))
    assert enrolment.secret not in stored.secret_encrypted and box.decrypt(stored.secret_encrypted) == enrolment.secret
    hashes = set(session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == analyst.id)))
    assert len(hashes) == 10 and not any(code.replace("-", "") in h for code in codes for h in hashes)
    other_key = second_factor.SecretBox([Fernet.generate_key().decode()])
    with pytest.raises(RuntimeError, match="does not decrypt"):
        other_key.decrypt(stored.secret_encrypted)


def test_a_new_key_put_first_still_reads_secrets_of_the_old_one(box):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = second_factor.SecretBox([old]).encrypt("JBSWY3DPEHPK3PXP")
    assert second_factor.SecretBox([new, old]).decrypt(token) == "JBSWY3DPEHPK3PXP"


# Signing in with a code -----------------------------------------------------------------------------

def test_an_enrolled_commissioner_signs_in_with_the_code_once(app, client, session, make_user, box):
    commissioner = make_user(Role.COMMISSIONER)
    authenticator, _ = enrolled(session, box, commissioner)

    assert password_step(client, commissioner, "/dashboard").headers["Location"] == "/login/code"
    assert "Code from your authenticator app" in text_of(client.get("/login/code"))
    code = code_at(authenticator, 1)
    signed = client.post("/login/code", data={"code": code})

    assert signed.status_code == 302 and signed.headers["Location"] == "/dashboard"
    assert signed_in(client, "/account")
    other = app.test_client()
    password_step(other, commissioner)
    replayed = other.post("/login/code", data={"code": code})
    assert replayed.status_code == 400 and "already used" in text_of(replayed)  # one code, one sign-in
    assert other.get("/account").status_code == 302


def test_a_recovery_code_works_once(app, client, session, make_user, box):
    cs = make_user(Role.CHIEF_SECRETARY)
    _, codes = enrolled(session, box, cs)

    password_step(client, cs)
    used = client.post("/login/code", data={"code": codes[3].lower().replace("-", " ")})  # typed loosely
    assert used.status_code == 302
    assert "You used a recovery code. 9 are left" in text_of(client.get("/account"))

    again = app.test_client()
    password_step(again, cs)
    assert again.post("/login/code", data={"code": codes[3]}).status_code == 400


def test_wrong_codes_are_throttled_per_account(app, client, session, make_user, box):
    admin = make_user(Role.ADMIN)
    authenticator, _ = enrolled(session, box, admin)  # its first code counted in this window: start in the next
    later = utcnow() + timedelta(seconds=second_factor.WINDOW_SECONDS)
    with time_machine.travel(later, tick=False):
        password_step(client, admin)
        wrong = "123456" if authenticator.now() != "123456" else "654321"

        statuses = [client.post("/login/code", data={"code": wrong}).status_code
                    for _ in range(second_factor.CODES_PER_ACCOUNT)]
        refused = client.post("/login/code", data={"code": authenticator.now()})

        assert statuses == [400] * second_factor.CODES_PER_ACCOUNT
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert "Too many wrong codes" in text_of(refused)
        elsewhere = app.test_client()  # another address does not help: the count is the account's
        password_step(elsewhere, admin)
        assert elsewhere.post("/login/code", data={"code": authenticator.now()},
                              environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 429
    with time_machine.travel(later + timedelta(seconds=second_factor.WINDOW_SECONDS), tick=False):
        password_step(elsewhere, admin)
        assert elsewhere.post("/login/code", data={"code": authenticator.now()}).status_code == 302


def test_right_codes_do_not_use_up_the_tries(app, session, make_user, box):
    """A DC who signs in many times a morning is never told to wait: only wrong codes count."""
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    authenticator, _ = enrolled(session, box, dc)
    start = utcnow() + timedelta(seconds=second_factor.WINDOW_SECONDS)
    for sign_in in range(second_factor.CODES_PER_ACCOUNT + 2):
        with time_machine.travel(start + timedelta(seconds=31 * sign_in), tick=False):
            browser = app.test_client()
            password_step(browser, dc)
            assert browser.post("/login/code", data={"code": authenticator.now()}).status_code == 302, sign_in


def test_the_held_sign_in_lapses_after_ten_minutes(client, session, make_user, box):
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    authenticator, _ = enrolled(session, box, dc)
    password_step(client, dc)

    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        late = client.post("/login/code", data={"code": authenticator.now()})
        assert late.headers["Location"] == "/login"
        assert client.get("/inbox").status_code == 302


def test_the_code_page_without_a_password_first_goes_to_sign_in(client):
    assert client.get("/login/code").headers["Location"] == "/login"
    assert client.get("/login/enrol").headers["Location"] == "/login"


def test_a_session_begun_without_the_second_factor_does_not_sign_in_a_role_that_needs_it(client, session, make_user):
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    key = user_sessions.start_session(session, dc, second_factor=False)
    session.commit()
    with client.session_transaction() as flask_session:
        flask_session.update({"_user_id": dc.get_id(), "_fresh": True, "session_key": key})

    assert client.get("/inbox").status_code == 302


# Officers choose; the others must ------------------------------------------------------------------

def test_an_officer_signs_in_with_a_password_until_choosing_a_second_factor(app, client, session, make_user, box):
    officer = make_user(Role.DISTRICT_OFFICER)
    assert password_step(client, officer).headers["Location"] == "/inbox"  # no second factor yet
    assert "Set up a second factor" in text_of(client.get("/account"))

    html = client.get("/account/second-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret" dir="ltr">([A-Z2-7]+)</code>', html).group(1)
    codes_page = client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now()})
    assert codes_page.status_code == 200 and codes_page.get_data(as_text=True).count("<li><code>") == 10

    later = app.test_client()
    assert password_step(later, officer).headers["Location"] == "/login/code"
    assert later.post("/login/code", data={"code": code_at(pyotp.TOTP(secret), 1)}).status_code == 302

    with time_machine.travel(utcnow() + timedelta(seconds=90), tick=False):  # a code later than the last one
        off = client.post("/account/second-factor/off", data={"code": pyotp.TOTP(secret).now()})
        assert off.status_code == 302 and not second_factor.enrolled(session, fresh(session, User, officer.id))
        assert password_step(app.test_client(), officer).headers["Location"] == "/inbox"


def test_staff_who_must_use_it_cannot_turn_it_off(client, session, make_user, box):
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    authenticator, _ = enrolled(session, box, dc)
    login(client, dc)

    page = text_of(client.get("/account"))
    assert "10 recovery codes are left." in page and "Turn off the second factor" not in page
    assert client.post("/account/second-factor/off", data={"code": code_at(authenticator, 1)}).status_code == 403
    with pytest.raises(NotAllowed):
        second_factor.turn_off(session, fresh(session, User, dc.id), code_at(authenticator, 1), box, address=None)
    session.rollback()


def test_new_recovery_codes_replace_the_old_ones(client, session, make_user, box):
    analyst = make_user(Role.ANALYST)
    authenticator, old_codes = enrolled(session, box, analyst)
    login(client, analyst)

    made = client.post("/account/second-factor/recovery-codes", data={"code": code_at(authenticator, 1)})

    new_codes = re.findall(r"<li><code>([^<]+)</code></li>", made.get_data(as_text=True))
    assert made.status_code == 200 and len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    with pytest.raises(second_factor.Invalid):
        second_factor.prove(session, fresh(session, User, analyst.id), old_codes[0], box, address=None)
    session.rollback()
    refused = client.post("/account/second-factor/recovery-codes", data={"code": "12"})
    assert refused.status_code == 400


def test_citizens_have_no_second_factor(client, make_user):
    citizen = make_user(Role.CITIZEN)
    login(client, citizen)
    assert "Second factor" not in text_of(client.get("/account"))
    assert client.get("/account/second-factor").status_code == 404


# The administrator's reset ------------------------------------------------------------------------

def test_an_administrator_resets_a_lost_second_factor_and_it_is_audited(app, client, session, make_user, box):
    admin, dc = make_user(Role.ADMIN), make_user(Role.DEPUTY_COMMISSIONER)
    enrolled(session, box, dc)
    dc_browser = app.test_client()
    login(dc_browser, dc)
    login(client, admin)
    listing = text_of(client.get("/admin/second-factors"))
    assert dc.full_name in listing and "set up" in listing

    reset = client.post(f"/admin/second-factors/{dc.id}/reset", data={"reason": "phone stolen, ticket 42"})

    assert reset.status_code == 302
    assert not second_factor.enrolled(session, fresh(session, User, dc.id))
    assert dc_browser.get("/inbox").status_code == 302  # signed out everywhere
    (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "second_factor.reset")).all()
    assert (entry.actor_id, entry.target_user_id, entry.details) == (admin.id, dc.id, {"reason": "phone stolen, ticket 42"})
    assert password_step(app.test_client(), dc).headers["Location"] == "/login/code"  # and then enrols again


@pytest.mark.parametrize("role", [Role.DEPUTY_COMMISSIONER, Role.ANALYST, Role.DISTRICT_OFFICER, Role.CITIZEN])
def test_only_administrators_reset(client, session, make_user, box, role):
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    enrolled(session, box, dc)
    login(client, make_user(role))
    assert client.post(f"/admin/second-factors/{dc.id}/reset").status_code == 403
    assert client.get("/admin/second-factors").status_code == 403
    assert second_factor.enrolled(session, fresh(session, User, dc.id))


# The API --------------------------------------------------------------------------------------------

def api_sign_in(client, user, **extra):
    return client.post("/api/v1/auth/token", json={"login": user.username or user.cnic, "password": PASSWORD, **extra})


def test_the_api_asks_staff_for_their_code(client, session, make_user, box):
    dc = make_user(Role.DEPUTY_COMMISSIONER)

    not_set_up = api_sign_in(client, dc)
    assert not_set_up.status_code == 403 and not_set_up.json["second_factor"] == "not_set_up"
    assert "Sign in on the website once" in not_set_up.json["detail"]

    authenticator, _ = enrolled(session, box, dc)
    missing = api_sign_in(client, dc)
    assert missing.status_code == 401 and missing.json["second_factor"] == "code_required"
    assert "totp" in missing.json["errors"] and missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = api_sign_in(client, dc, totp="000000" if code_at(authenticator, 1) != "000000" else "111111")
    assert wrong.status_code == 401 and wrong.json["second_factor"] == "code_wrong"

    signed = api_sign_in(client, dc, totp=code_at(authenticator, 1))
    assert signed.status_code == 200 and signed.json["token"]


def test_the_api_throttles_codes_and_leaves_citizens_alone(client, session, make_user, box):
    admin, citizen = make_user(Role.ADMIN), make_user(Role.CITIZEN)
    authenticator, _ = enrolled(session, box, admin)
    with time_machine.travel(utcnow() + timedelta(seconds=second_factor.WINDOW_SECONDS), tick=False):
        wrong = "123456" if authenticator.now() != "123456" else "654321"
        for _ in range(second_factor.CODES_PER_ACCOUNT):
            assert api_sign_in(client, admin, totp=wrong).status_code == 401
        refused = api_sign_in(client, admin, totp=authenticator.now())
        assert refused.status_code == 429 and refused.headers["Retry-After"]

        assert api_sign_in(client, citizen).status_code == 200


# Settings ------------------------------------------------------------------------------------------

def test_production_needs_keys_for_the_secrets():
    settings = {"SECRET_KEY": "x", "DATABASE_URL": "postgresql+psycopg://db/portal", "REDIS_URL": "redis://r/0",
                "MAP_TILE_URL": "", "SMS_DISABLED": True}
    with pytest.raises(ConfigError, match="SECOND_FACTOR_KEYS"):
        ProductionConfig.check(settings)
    ProductionConfig.check({**settings, "SECOND_FACTOR_KEYS": Fernet.generate_key().decode()})
    with pytest.raises(ConfigError, match="DEMO_SECOND_FACTOR"):
        ProductionConfig.check({**settings, "SECOND_FACTOR_KEYS": Fernet.generate_key().decode(),
                                "DEMO_SECOND_FACTOR": True})


def test_the_code_page_speaks_urdu(client, session, make_user, box):
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    enrolled(session, box, dc)
    password_step(client, dc)
    client.set_cookie(i18n.COOKIE, "ur")
    page = client.get("/login/code").get_data(as_text=True)
    assert '<html lang="ur" dir="rtl"' in page and "Code from your authenticator app" not in page
    assert "آپ کی آتھنٹیکیٹر ایپ کا کوڈ" in page


# The demo ---------------------------------------------------------------------------------------------

def test_demo_staff_share_the_known_secret_and_the_cli_prints_its_code(app, session, make_user, box):
    from app.services.demo import seed as demo

    dc, officer = make_user(Role.DEPUTY_COMMISSIONER), make_user(Role.DISTRICT_OFFICER)
    demo._enrol_demo_staff(session, box)
    session.commit()

    factor = second_factor.factor_of(session, dc)
    assert factor is not None and box.decrypt(factor.secret_encrypted) == demo.DEMO_TOTP_SECRET
    assert second_factor.factor_of(session, officer) is None  # officers choose for themselves
    assert "flask demo totp-code" in demo.demo_logins(with_second_factor=True)
    refused = app.test_cli_runner().invoke(args=["demo", "totp-code"])  # testing: no demo second factor
    assert refused.exit_code != 0 and "only in development" in refused.output
    app.config["DEMO_SECOND_FACTOR"] = True
    printed = app.test_cli_runner().invoke(args=["demo", "totp-code"]).output.strip()
    assert printed.isdigit() and len(printed) == 6
