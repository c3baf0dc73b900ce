"""Texts made in Python reach people in their language: made lazily, rendered where they are shown.

The real catalogues are translated later by others, so these tests bring a small
Urdu (and Pashto) catalogue of their own: a text in it comes out in Urdu, which
shows the mechanism (the locale chosen, and the text rendered in it, not when
it was made).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from app import create_app, i18n
from app.models import Channel, ComplaintEvent, Notification, Role, User, utcnow
from app.services.errors import Invalid
from app.services.interop import api_tokens
from app.services.notifications import outbox
from app.web import days_left, pk_date, pk_time
from tests.api.helpers import PREFIX
from tests.app.helpers import assign, fresh, lodge, text_of
from tests.conftest import login

URDU = {
    "Send an access token: Authorization: Bearer <token> (from POST /api/v1/auth/token).": "رسائی کا ٹوکن بھیجیں۔",
    "A CNIC has 13 digits, e.g. 17301-1234567-1.": "شناختی کارڈ نمبر 13 ہندسوں کا ہوتا ہے۔",
    "Choose your district.": "اپنا ضلع منتخب کریں۔",
    "Commissioner": "کمشنر",
    "Assigned to %(officer)s. Instruction: %(instruction)s": "%(officer)s کو سونپی گئی۔ ہدایت: %(instruction)s",
    "Assigned": "سونپی گئی",
    "There is no such thing, or it is not yours to see.": "ایسی کوئی چیز نہیں، یا آپ اسے نہیں دیکھ سکتے۔",
}
PASHTO = {"Commissioner": "کمشنر (پښتو)"}
CNIC_URDU = URDU["A CNIC has 13 digits, e.g. 17301-1234567-1."]


@pytest.fixture()
def translated(app, db_url, tmp_path):
    """The portal with the test's own catalogues (the `app` fixture cleans the database after)."""
    for language, texts in (("ur", URDU), ("ps", PASHTO)):
        catalogue = Catalog(locale=language)
        for english, translation in texts.items():
            catalogue.add(english, translation)
        folder = tmp_path / "translations" / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        with (folder / "messages.mo").open("wb") as file:
            write_mo(file, catalogue)
    made = create_app({"TESTING": True, "DATABASE_URL": db_url, "UPLOAD_DIR": str(tmp_path / "uploads"),
                       "WTF_CSRF_ENABLED": False, "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path / "translations")})
    # Flask-Babel caches loaded catalogues per process (one app per process in production): forget the
    # real ones other tests' apps loaded, and these after.
    with made.app_context():
        translations_cache = i18n.babel.domain_instance.cache
    translations_cache.clear()
    yield made
    translations_cache.clear()
    made.extensions["db_engine"].dispose()


# The API ------------------------------------------------------------------------

def test_the_api_answers_in_the_accept_language_when_nobody_is_signed_in(translated):
    response = translated.test_client().get(f"{PREFIX}/me", headers={"Accept-Language": "ur-PK,ur;q=0.9"})

    assert response.status_code == 401 and response.headers["Content-Language"] == "ur"
    assert response.get_json()["detail"] == URDU[
        "Send an access token: Authorization: Bearer <token> (from POST /api/v1/auth/token)."]
    english = translated.test_client().get(f"{PREFIX}/me", headers={"Accept-Language": "fr, en;q=0.5"})
    assert english.headers["Content-Language"] == "en" and english.get_json()["detail"].startswith("Send an access")


def test_the_token_users_saved_language_beats_accept_language_and_the_pages_session(translated, session, make_user):
    urdu = make_user(Role.CITIZEN)
    urdu.language = "ur"
    pashto = make_user(Role.CITIZEN)
    pashto.language = "ps"
    token = api_tokens.issue_token(session, urdu, lifetime=timedelta(days=1)).token
    session.commit()
    client = translated.test_client()
    login(client, pashto)  # a page session in the same browser: the API never reads it
    client.set_cookie(i18n.COOKIE, "ps")

    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    me = client.get(f"{PREFIX}/me", headers=headers)
    missing = client.get(f"{PREFIX}/complaints/999999", headers=headers)

    assert me.status_code == 200 and me.headers["Content-Language"] == "ur"
    assert missing.status_code == 404 and missing.headers["Content-Language"] == "ur"
    assert missing.get_json()["detail"] == URDU["There is no such thing, or it is not yours to see."]


def test_the_locale_chosen_inside_an_api_request(translated, session, make_user):
    citizen = make_user(Role.CITIZEN)
    citizen.language = "ps"
    session.commit()
    with translated.test_request_context(f"{PREFIX}/me", headers={"Accept-Language": "ur"}):
        assert str(get_locale()) == "ur"
        i18n.set_reader(citizen)  # what token_required does once the token names its user
        assert str(get_locale()) == "ps"
    with translated.test_request_context(f"{PREFIX}/me"):
        assert str(get_locale()) == "en"


def test_a_services_field_errors_come_in_the_users_language(translated):
    body = {"full_name": "Bilal Khan", "cnic": "123", "mobile": "0300-1234567", "district_id": 1,
            "password": "correct-horse-1"}
    response = translated.test_client().post(f"{PREFIX}/auth/register", json=body, headers={"Accept-Language": "ur"})

    assert response.status_code == 422 and response.headers["Content-Language"] == "ur"
    assert response.get_json()["errors"]["cnic"] == [CNIC_URDU]


# Services' errors are rendered when shown -----------------------------------------

def test_an_error_made_outside_any_request_is_rendered_in_the_readers_language(translated):
    error = Invalid({"district_id": [_l("Choose your district.")]})  # as a service raises it, no request around

    with translated.test_request_context("/", headers={"Accept-Language": "ur"}):
        assert str(error) == f"district_id: {URDU['Choose your district.']}"
        assert error.messages() == [URDU["Choose your district."]]
    with translated.test_request_context("/"):
        assert str(error) == "district_id: Choose your district."


def test_the_registration_page_shows_the_services_errors_in_urdu(translated):
    response = translated.test_client().post("/register", data={"cnic": "1"}, headers={"Accept-Language": "ur"})

    assert response.status_code == 400 and CNIC_URDU in text_of(response)


# Messages -------------------------------------------------------------------------

def escalation(language: str) -> Notification:
    context = {"tracking_number": "KP-2612-0000001", "district": "Peshawar", "role": "commissioner", "level": 1,
               "complaint_subject": "Broken streetlight", "department": "Local Government", "path": "/complaints/1"}
    return Notification(template="complaint_escalated_staff", language=language, channel=Channel.SMS, context=context)


def test_a_message_names_roles_in_its_readers_language_whoever_sends_it(translated):
    # A Pashto speaker's request (or a job) renders messages for an Urdu and an English reader.
    with translated.test_request_context("/", headers={"Accept-Language": "ps"}):
        _, urdu = outbox.render(escalation("ur"), base_url="https://portal.kp.example")
        _, english = outbox.render(escalation("en"), base_url="https://portal.kp.example")
        assert str(get_locale()) == "ps"  # the request's own language is back afterwards

    assert "شکایت KP-2612-0000001" in urdu and URDU["Commissioner"] in urdu  # from complaint_escalated_staff.ur.txt
    assert "escalated to the Commissioner (level 1)" in english
    assert urdu.endswith("https://portal.kp.example/complaints/1")


def test_a_language_without_its_message_file_gets_the_english_one_all_in_english(translated, tmp_path, monkeypatch):
    # A message whose Pashto file is missing (every shipped message has one: look in a folder with English only).
    english_only = tmp_path / "messages"
    english_only.mkdir()
    name = "complaint_escalated_staff.en.txt"
    (english_only / name).write_text((outbox.MESSAGES_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(outbox, "MESSAGES_DIR", english_only)
    with translated.app_context():
        subject, body = outbox.render(escalation("ps"))

    assert subject == "Escalated: complaint KP-2612-0000001 to the Commissioner"
    assert "escalated to the Commissioner (level 1)" in body and PASHTO["Commissioner"] not in body


def test_an_sms_for_an_urdu_reader_comes_from_the_urdu_file_with_urdu_month_names(translated):
    deadline = datetime(2026, 12, 6, 20, 0, tzinfo=timezone.utc)  # 7 December in Pakistan
    context = {"tracking_number": "KP-2612-0000001", "district": "Peshawar", "deadline": deadline.isoformat(),
               "days_left": 3, "path": "/complaints/1"}
    reminder = Notification(template="escalation_reminder", language="ur", channel=Channel.SMS, context=context)

    with translated.app_context():
        subject, body = outbox.render(reminder)
        reminder.language = "en"
        _, english = outbox.render(reminder)

    assert subject.startswith("یاد دہانی") and "07 دسمبر 2026" in body
    assert "escalates on 07 Dec 2026, in 3 days" in english


def test_the_renderer_takes_pashto(translated):
    assert "ps" in outbox.LANGUAGES


# Pages ----------------------------------------------------------------------------

def test_a_timeline_line_is_made_when_shown_in_the_readers_language(translated, session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    officer = make_user(Role.DISTRICT_OFFICER, name="Inspector Gul Khan")
    complaint = lodge(session, citizen, places["peshawar"])
    assign(session, complaint, dc, fresh(session, User, officer.id))
    (assigned,) = [e for e in session.query(ComplaintEvent).filter_by(complaint_id=complaint.id) if e.kind == "assigned"]
    assert (assigned.note, assigned.details) == ("Please fix", {"officer": "Inspector Gul Khan"})  # no sentence stored

    client = translated.test_client()
    login(client, citizen)
    english = text_of(client.get(f"/complaints/{complaint.id}"))
    citizen = fresh(session, User, citizen.id)
    citizen.language = "ur"
    session.commit()
    urdu = text_of(client.get(f"/complaints/{complaint.id}"))

    assert "Assigned to Inspector Gul Khan. Instruction: Please fix" in english
    assert "Inspector Gul Khan کو سونپی گئی۔ ہدایت: Please fix" in urdu and f"<strong>{URDU['Assigned']}</strong>" in urdu


def test_a_line_written_before_events_had_details_shows_its_note(translated, session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    complaint = lodge(session, citizen, places["peshawar"])
    session.add(ComplaintEvent(complaint_id=complaint.id, kind="escalated", created_at=utcnow(),
                               note="Escalated to the Deputy Commissioner for review (level 1)"))
    session.commit()
    client = translated.test_client()
    login(client, citizen)

    page = text_of(client.get(f"/complaints/{complaint.id}", headers={"Accept-Language": "ur"}))

    assert "Escalated to the Deputy Commissioner for review (level 1)" in page


def test_dates_and_deadlines_in_the_readers_language(translated):
    moment = datetime(2026, 12, 6, 9, 5, tzinfo=timezone.utc)  # 14:05 in Pakistan
    # Days left are Pakistan calendar days: pinned to mid-afternoon there, so "a day and an hour"
    # never crosses two midnights (the test failed when CI ran after 23:00 in Pakistan).
    with translated.test_request_context("/"), time_machine.travel(moment, tick=False):
        assert (pk_date(moment), pk_time(moment)) == ("06 Dec 2026", "06 Dec 2026, 14:05")
        assert days_left(utcnow() + timedelta(days=1, hours=1)) == "1 day left"
        assert days_left(utcnow() + timedelta(days=3, hours=1)) == "3 days left"
        assert days_left(utcnow() - timedelta(hours=1)) == "deadline passed"
        with force_locale("ur"):
            assert (pk_date(moment), pk_time(moment)) == ("06 دسمبر 2026", "06 دسمبر 2026 14:05")
        with force_locale("ps"):
            assert pk_date(moment) == "06 دسمبر 2026"
