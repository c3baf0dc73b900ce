"""Idempotency-Key on lodging: a retry gets the first complaint back, never a second one."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.models import Complaint, IdempotencyKey, Role
from app.services.casework import complaints
from app.services.interop import idempotency
from tests.app.helpers import category, jpeg_bytes, reread

from .helpers import assert_documented, assert_problem

KEY = "6f1c1d2e-8a4b-4f7e-9a51-0d2f4b8c9e10"


def body(session, places, **overrides):
    form = {
        "category_id": category(session).id,
        "district_id": places["peshawar"].id,
        "subject": "Overflowing drain",
        "description": "The drain on Main Bazaar road overflows every time it rains.",
    }
    form.update(overrides)
    return form


def complaint_count(session) -> int:
    reread(session)
    return session.scalar(select(func.count()).select_from(Complaint))


def test_a_retry_with_the_same_key_returns_the_first_complaint(api, session, make_user, places):
    as_citizen = api.as_(make_user(Role.CITIZEN))

    first = as_citizen.post("/complaints", json=body(session, places), headers={"Idempotency-Key": KEY})
    retry = as_citizen.post("/complaints", json=body(session, places), headers={"Idempotency-Key": KEY})

    assert first.status_code == retry.status_code == 201
    assert retry.get_json() == first.get_json()
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert_documented(retry)
    assert complaint_count(session) == 1


def test_the_same_complaint_as_multipart_is_the_same_request(api, session, make_user, places):
    as_citizen = api.as_(make_user(Role.CITIZEN))
    photo = jpeg_bytes()
    first = as_citizen.post_multipart("/complaints", body(session, places), photo, headers={"Idempotency-Key": KEY})

    retry = as_citizen.post_multipart("/complaints", body(session, places), photo, headers={"Idempotency-Key": KEY})

    assert retry.status_code == 201 and retry.get_json()["id"] == first.get_json()["id"]
    assert len(retry.get_json()["attachments"]) == 1
    assert complaint_count(session) == 1


def test_the_same_key_with_another_body_is_422(api, session, make_user, places):
    as_citizen = api.as_(make_user(Role.CITIZEN))
    as_citizen.post("/complaints", json=body(session, places), headers={"Idempotency-Key": KEY})

    response = as_citizen.post(
        "/complaints", json=body(session, places, subject="Another drain"), headers={"Idempotency-Key": KEY}
    )

    assert "different complaint" in assert_problem(response, 422, field="Idempotency-Key")["errors"]["Idempotency-Key"][0]
    assert_documented(response)
    assert complaint_count(session) == 1


def test_the_same_key_with_another_photo_is_422(api, session, make_user, places):
    as_citizen = api.as_(make_user(Role.CITIZEN))
    as_citizen.post_multipart("/complaints", body(session, places), jpeg_bytes(), headers={"Idempotency-Key": KEY})

    response = as_citizen.post_multipart("/complaints", body(session, places), headers={"Idempotency-Key": KEY})

    assert_problem(response, 422, field="Idempotency-Key")


def test_keys_belong_to_one_user(api, session, make_user, places):
    one, other = api.as_(make_user(Role.CITIZEN)), api.as_(make_user(Role.CITIZEN))

    first = one.post("/complaints", json=body(session, places), headers={"Idempotency-Key": KEY})
    second = other.post("/complaints", json=body(session, places), headers={"Idempotency-Key": KEY})

    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] != second.get_json()["id"] and "Idempotent-Replayed" not in second.headers


def test_without_a_key_each_request_lodges(api, session, make_user, places):
    as_citizen = api.as_(make_user(Role.CITIZEN))

    as_citizen.post("/complaints", json=body(session, places))
    as_citizen.post("/complaints", json=body(session, places))

    assert complaint_count(session) == 2


def test_a_failed_submission_does_not_use_up_the_key(api, session, make_user, places):
    as_citizen = api.as_(make_user(Role.CITIZEN))
    refused = as_citizen.post("/complaints", json=body(session, places, subject="Hi"), headers={"Idempotency-Key": KEY})
    assert_problem(refused, 422, field="subject")

    fixed = as_citizen.post("/complaints", json=body(session, places, subject="Hi there"), headers={"Idempotency-Key": KEY})

    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed.headers


@pytest.mark.parametrize("key", ["", "x" * 201, "has space", "ünïcode"])
def test_a_malformed_key_is_400(api, session, make_user, places, key):
    response = api.as_(make_user(Role.CITIZEN)).post(
        "/complaints", json=body(session, places), headers={"Idempotency-Key": key.encode().decode("latin-1")}
    )

    assert_problem(response, 400, field="Idempotency-Key")
    assert complaint_count(session) == 0


def test_replays_do_not_count_against_the_rate_limit(app, api, session, make_user, places):
    app.config["API_SUBMIT_LIMIT"] = 1
    as_citizen = api.as_(make_user(Role.CITIZEN))
    as_citizen.post("/complaints", json=body(session, places), headers={"Idempotency-Key": KEY})

    retries = [as_citizen.post("/complaints", json=body(session, places), headers={"Idempotency-Key": KEY}) for _ in range(3)]

    assert [r.status_code for r in retries] == [201, 201, 201]
    assert_problem(as_citizen.post("/complaints", json=body(session, places, subject="A new one")), 429)


def test_a_key_stored_meanwhile_turns_the_submission_into_a_replay(session, make_user, places, monkeypatch):
    """The service's answer when the unique (user, key) constraint fires: roll back, return the stored complaint."""
    citizen = make_user(Role.CITIZEN)
    data = complaints.ComplaintInput(category(session).id, places["peshawar"].id, "Overflowing drain", "x" * 30)
    fingerprint = idempotency.request_hash({"n": 1}, [])
    first = idempotency.submit_once(session, citizen, KEY, fingerprint, data)
    session.commit()
    # A twin request that looked before the first one committed: it finds no key and goes ahead.
    looks = []
    find = idempotency.find_replay
    monkeypatch.setattr(idempotency, "find_replay", lambda *a: looks.append(a) or (find(*a) if len(looks) > 1 else None))

    twin = idempotency.submit_once(session, citizen, KEY, fingerprint, data)
    session.commit()

    assert twin.replayed and twin.complaint.id == first.complaint.id and len(looks) == 2
    assert complaint_count(session) == 1
    assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1


def test_two_concurrent_requests_with_one_key_lodge_once(app, session, make_user, places, token_of, monkeypatch):
    """Both requests look for the key before either has stored it (the looks are held at a barrier), so
    both lodge; the unique constraint makes the second wait for the first, fail, and answer the first's complaint."""
    citizen = make_user(Role.CITIZEN)
    token = token_of(citizen)
    form = body(session, places)
    find, together, looks = idempotency.find_replay, threading.Barrier(2, timeout=20), threading.local()

    every_look = []

    def look_together(*args):
        every_look.append(args)
        looks.count = getattr(looks, "count", 0) + 1
        if looks.count == 1:  # the view's look (the service trusts it), in both requests at once
            together.wait()
        return find(*args)

    monkeypatch.setattr(idempotency, "find_replay", look_together)
    answers = []

    def submit():
        answers.append(app.test_client().post(
            "/api/v1/complaints", json=form, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": KEY}))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [201, 201], [a.get_json() for a in answers]
    assert answers[0].get_json() == answers[1].get_json()
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert len(every_look) == 3  # the second request looked again, after the constraint refused its key
    assert complaint_count(session) == 1
