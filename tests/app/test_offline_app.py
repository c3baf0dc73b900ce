"""The installable app, seen from the server: manifest and service worker, which pages a phone may keep
(a citizen's and public ones, never staff pages), sign-out and sign-in clearing the phone, and the lodge
form's Idempotency-Key and JSON answers for the phone's outbox (a complaint sent twice is lodged once)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.models import Complaint, Role
from tests.app.helpers import category, complaint_form, jpeg_bytes, post_with_files
from tests.conftest import login

OUTBOX = {"Accept": "application/json"}


@pytest.fixture()
def citizen(make_user):
    return make_user(Role.CITIZEN, name="Shabana Gul")


def lodged(session, subject: str) -> list[Complaint]:
    session.expire_all()
    return list(session.scalars(select(Complaint).where(Complaint.subject == subject)))


def status_of(client, url: str) -> int:
    with client.get(url) as response:  # a file is streamed: closing the response closes it
        return response.status_code


def test_the_manifest_names_the_app_in_the_readers_language(client):
    manifest = client.get("/manifest.webmanifest", headers={"Accept-Language": "ur"})
    assert manifest.status_code == 200
    assert manifest.mimetype == "application/manifest+json"
    body = json.loads(manifest.get_data(as_text=True))
    assert body["lang"] == "ur" and body["dir"] == "rtl"
    assert body["name"] != "Citizen's Portal · Khyber Pakhtunkhwa"  # translated
    assert body["display"] == "standalone" and body["scope"] == "/"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in body["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in body["icons"]:
        assert status_of(client, icon["src"]) == 200


def test_the_service_worker_looks_after_the_whole_site_and_is_never_cached(client):
    worker = client.get("/service-worker.js")
    assert worker.status_code == 200
    assert worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/"
    assert worker.headers["Cache-Control"] == "no-cache"
    script = worker.get_data(as_text=True)
    settings = json.loads(script.split("const PORTAL = ", 1)[1].split(";\n", 1)[0])
    assert settings["lodge"] == "/my/complaints/new"
    for url in settings["keep"] + [settings["offline"], settings["outbox"]]:
        assert status_of(client, url) == 200, url  # nothing it keeps at install may be missing
    assert len(settings["version"]) == 12


def test_a_citizens_pages_may_be_kept_on_the_phone_staff_pages_never(client, app, citizen, make_user, session, places):
    login(client, citizen)
    complaint_id = client.post("/my/complaints/new", data=complaint_form(category(session), places["peshawar"]),
                               headers=OUTBOX).get_json()["url"]
    for path in ("/my/complaints", "/my/complaints/new", complaint_id, "/notifications", "/statistics", "/"):
        page = client.get(path, follow_redirects=True)
        assert page.status_code == 200
        assert page.headers.get("Portal-Offline") == "keep", path
    assert "Portal-Offline" not in client.get("/account").headers  # not marked: forms only

    staff = app.test_client()
    login(staff, make_user(Role.DEPUTY_COMMISSIONER))
    for path in ("/inbox", "/complaints", complaint_id, "/statistics"):
        page = staff.get(path)
        assert page.status_code == 200
        assert "Portal-Offline" not in page.headers, path
    assert app.test_client().get("/statistics").headers.get("Portal-Offline") == "keep"  # signed out


def test_signing_out_clears_the_phone_and_signing_in_clears_the_last_persons_pages(client, citizen):
    from tests.conftest import PASSWORD

    signed_in = client.post("/login", data={"login": citizen.mobile, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in.headers["Clear-Site-Data"] == '"cache"'
    signed_out = client.post("/logout")
    assert signed_out.status_code == 302
    assert signed_out.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_the_lodge_page_gives_each_complaint_a_key_and_names_whose_outbox_it_is(client, citizen, make_user):
    login(client, citizen)
    page = client.get("/my/complaints/new").get_data(as_text=True)
    assert 'name="idempotency_key" value=""' in page  # the page script fills it in
    other = make_user(Role.CITIZEN)
    from app.offline import outbox_key

    with client.application.test_request_context():
        mine, theirs = outbox_key(citizen), outbox_key(other)
    assert f'name="outbox_user" value="{mine}"' in page
    assert mine != theirs and len(mine) == 24


def test_a_complaint_sent_twice_with_one_key_is_lodged_once(client, citizen, session, places):
    login(client, citizen)
    form = complaint_form(category(session), places["peshawar"], subject="Hand pump broken in Chamkani",
                          idempotency_key="3f1c2a9e-phone-key")
    photo = [("photos", "pump.jpg", jpeg_bytes())]
    first = post_with_files(client, "/my/complaints/new", form, photo)
    assert first.status_code == 302
    again = post_with_files(client, "/my/complaints/new", form, photo)  # the answer was lost; the form sent again
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    by_outbox = post_with_files(client, "/my/complaints/new", {**form, "idempotency_key": ""}, photo,
                                headers={**OUTBOX, "Idempotency-Key": "3f1c2a9e-phone-key"})
    assert by_outbox.status_code == 201
    assert by_outbox.get_json()["replayed"] is True
    assert by_outbox.get_json()["url"] == first.headers["Location"]
    assert len(lodged(session, "Hand pump broken in Chamkani")) == 1


def test_the_outbox_gets_json_the_tracking_number_or_the_fields_to_correct(client, citizen, session, places):
    login(client, citizen)
    good = complaint_form(category(session), places["peshawar"], subject="Garbage heap at Tehkal bus stop")
    answer = client.post("/my/complaints/new", data=good, headers={**OUTBOX, "Idempotency-Key": "k-1"})
    assert answer.status_code == 201
    body = answer.get_json()
    [complaint] = lodged(session, "Garbage heap at Tehkal bus stop")
    assert body["tracking_number"] == complaint.tracking_number and body["replayed"] is False
    assert answer.headers["Cache-Control"] == "no-store"

    citizen.language = "ur"  # the language the citizen chose
    session.merge(citizen)
    session.commit()
    bad = client.post("/my/complaints/new", data={**good, "subject": ""}, headers={**OUTBOX, "Idempotency-Key": "k-2"})
    assert bad.status_code == 400
    errors = bad.get_json()["errors"]
    assert list(errors) == ["subject"] and errors["subject"][0].isascii() is False  # in the citizen's language


def test_the_outbox_is_not_asked_is_it_one_of_these(client, citizen, make_user, session, places):
    """The citizen wrote it without signal and is not there to answer: it is lodged (the page asks online)."""
    neighbour = make_user(Role.CITIZEN)
    login(client, neighbour)
    near = {"latitude": "34.0151", "longitude": "71.5249"}
    form = complaint_form(category(session), places["peshawar"], **near)
    assert client.post("/my/complaints/new", data=form).status_code == 302
    login(client, citizen)
    online = client.post("/my/complaints/new", data={**form, "subject": "Same drain"})
    assert online.status_code == 200 and "Is it one of these?" in online.get_data(as_text=True)
    offline = client.post("/my/complaints/new", data={**form, "subject": "Same drain"}, headers=OUTBOX)
    assert offline.status_code == 201


def test_a_citizen_whose_number_is_unconfirmed_is_told_so_in_json(client, make_user, session, places):
    citizen = make_user(Role.CITIZEN)
    citizen.mobile_confirmed_at = None
    session.merge(citizen)
    session.commit()
    login(client, citizen)
    answer = client.post("/my/complaints/new", data=complaint_form(category(session), places["peshawar"]),
                         headers=OUTBOX)
    assert answer.status_code == 403
    assert "Confirm your mobile number" in answer.get_json()["errors"][""][0]


def test_the_offline_page_asks_nothing_and_shows_nothing_personal(client):
    page = client.get("/offline")
    assert page.status_code == 200
    assert "No signal" in page.get_data(as_text=True)
