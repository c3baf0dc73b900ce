"""Lodging, listing, reading and rating complaints through the API."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.models import Attachment, Complaint, ComplaintStatus, Role
from tests.app.helpers import DESCRIPTION, assign, category, complete, fresh, jpeg_bytes, lodge, png_bytes

from .helpers import assert_documented, assert_problem


def new_complaint(session, district, **overrides):
    body = {
        "category_id": category(session).id,
        "district_id": district.id,
        "subject": "Overflowing drain",
        "description": "The drain on Main Bazaar road overflows every time it rains.",
        "address": "Main Bazaar, near the mosque",
        "latitude": 34.0151,
        "longitude": 71.5249,
    }
    body.update(overrides)
    return body


@pytest.fixture()
def citizen(make_user):
    return make_user(Role.CITIZEN, name="Bilal Ahmad")


def test_lodge_as_json(api, session, citizen, places):
    response = api.as_(citizen).post("/complaints", json=new_complaint(session, places["peshawar"]))

    assert response.status_code == 201
    assert_documented(response)
    body = response.get_json()
    complaint = session.get(Complaint, body["id"])
    assert complaint.citizen_id == citizen.id and complaint.latitude == 34.0151
    assert response.headers["Location"] == f"/api/v1/complaints/{complaint.id}"
    assert "Idempotent-Replayed" not in response.headers
    assert body["tracking_number"] == complaint.tracking_number and body["status"] == "submitted"
    assert [e["kind"] for e in body["timeline"]] == ["lodged"]
    assert [s["role"] for s in body["current_step"]] == ["deputy_commissioner"]
    assert body["current_step"][0]["name"] and body["my_task"] is None


def test_lodge_as_multipart_with_a_photo(api, session, citizen, places):
    as_citizen = api.as_(citizen)
    photo = jpeg_bytes()

    response = as_citizen.post_multipart("/complaints", new_complaint(session, places["peshawar"]), photo)

    assert response.status_code == 201, response.get_json()
    assert_documented(response)
    (attachment,) = response.get_json()["attachments"]
    assert attachment["content_type"] == "image/jpeg" and attachment["kind"] == "photo"
    assert attachment["added_by"] == {"role": "citizen", "role_label": "Citizen", "name": "Bilal Ahmad"}
    image = as_citizen.get(attachment["url"].removeprefix("/api/v1"))
    image.get_data(), image.close()  # send_file streams the stored file: read it, then close it
    assert image.status_code == 200 and image.mimetype == "image/jpeg" and len(image.data) == attachment["size"]
    assert Image.open(io.BytesIO(image.data)).size == Image.open(io.BytesIO(photo)).size  # re-encoded, same picture
    assert_documented(image)


def test_the_district_defaults_to_the_citizens_own(api, session, citizen, places):
    body = new_complaint(session, places["peshawar"])
    del body["district_id"], body["latitude"], body["longitude"]

    response = api.as_(citizen).post_multipart("/complaints", body)

    assert response.status_code == 201 and response.get_json()["district"]["id"] == citizen.district_id


def test_a_photo_that_is_not_an_image_is_422_and_lodges_nothing(api, session, citizen, places):
    response = api.as_(citizen).post_multipart("/complaints", new_complaint(session, places["peshawar"]), b"%PDF-1.4 not a photo")

    message = assert_problem(response, 422, field="photo")["errors"]["photo"][0]
    assert message == "photo.jpg: Only photos can be attached here (JPEG, PNG or HEIC)."
    assert session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_the_services_checks_come_back_per_field(api, session, citizen, places):
    response = api.as_(citizen).post(
        "/complaints", json=new_complaint(session, places["peshawar"], subject="Hi", description="short", latitude=91.0)
    )

    body = assert_problem(response, 422, field="subject")
    assert set(body["errors"]) == {"subject", "description", "latitude"}
    assert_documented(response)


def test_wrong_types_are_422(api, session, citizen, places):
    response = api.as_(citizen).post(
        "/complaints", json=new_complaint(session, places["peshawar"], category_id="water", latitude="north")
    )

    body = assert_problem(response, 422, field="category_id")
    assert body["errors"]["latitude"] == ["Must be a decimal number, e.g. 34.0151."]


def test_an_unknown_category_is_a_field_error(api, session, citizen, places):
    response = api.as_(citizen).post("/complaints", json=new_complaint(session, places["peshawar"], category_id=2**40))

    assert assert_problem(response, 422, field="category_id")["errors"]["category_id"] == ["Choose a category."]


def test_only_citizens_lodge(api, session, make_user, places):
    response = api.as_(make_user(Role.DEPUTY_COMMISSIONER)).post("/complaints", json=new_complaint(session, places["peshawar"]))

    assert_problem(response, 403)
    assert_documented(response)


def test_list_my_complaints_newest_first_in_pages(api, session, citizen, make_user, places):
    for n in range(3):
        lodge(session, citizen, places["peshawar"], subject=f"Complaint number {n}")
    lodge(session, make_user(Role.CITIZEN), places["peshawar"], subject="Somebody else's")
    as_citizen = api.as_(citizen)

    first = as_citizen.get("/complaints?per_page=2")
    second = as_citizen.get("/complaints", query_string={"per_page": 2, "page": 2})

    assert_documented(first)
    assert [c["subject"] for c in first.get_json()["items"]] == ["Complaint number 2", "Complaint number 1"]
    assert [c["subject"] for c in second.get_json()["items"]] == ["Complaint number 0"]
    assert {k: first.get_json()[k] for k in ("page", "per_page", "total", "pages")} == {
        "page": 1, "per_page": 2, "total": 3, "pages": 2}


def test_list_filters_by_status(api, session, citizen, places):
    lodge(session, citizen, places["peshawar"])

    open_ones = api.as_(citizen).get("/complaints?status=open").get_json()
    closed = api.as_(citizen).get("/complaints?status=closed").get_json()

    assert open_ones["total"] == 1 and closed["total"] == 0 and closed["items"] == []


@pytest.mark.parametrize("query", ["page=0", "per_page=101", "per_page=ten", "status=lost"])
def test_bad_list_parameters_are_400(api, citizen, query):
    response = api.as_(citizen).get(f"/complaints?{query}")

    assert_problem(response, 400, field=query.split("=")[0])
    assert_documented(response)


def test_one_complaint_with_timeline_and_current_step(api, session, citizen, make_user, places):
    complaint = lodge(session, citizen, places["peshawar"])
    dc = make_user(Role.DEPUTY_COMMISSIONER, name="Deputy Commissioner Khan")
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id, name="Officer Gul")
    assign(session, complaint, dc, officer)

    as_citizen = api.as_(citizen).get(f"/complaints/{complaint.id}")
    as_dc = api.as_(dc).get(f"/complaints/{complaint.id}")

    assert_documented(as_citizen)
    body = as_citizen.get_json()
    assert body["description"] == DESCRIPTION and body["status"] == "in_progress"
    assert [e["kind"] for e in body["timeline"]] == ["lodged", "assigned"]
    (step,) = body["current_step"]
    assert step["role"] == "district_officer"
    # Citizens see staff by role, never by name (as on the pages); staff see names.
    assert body["timeline"][1]["actor"] == {"role": "deputy_commissioner", "role_label": "Deputy Commissioner", "name": None}
    assert step["assignee"]["name"] is None
    assert body["timeline"][0]["actor"]["name"] == "Bilal Ahmad"
    staff_view = as_dc.get_json()
    assert staff_view["timeline"][1]["actor"]["name"] == "Deputy Commissioner Khan"
    assert staff_view["current_step"][0]["assignee"]["name"] == "Officer Gul"


def resolved(session, citizen, make_user, places):
    """A complaint the officer resolved: the citizen's rating step is open."""
    complaint = lodge(session, citizen, places["peshawar"])
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, dc, officer)
    complete(session, complaint, officer, outcome="resolved", action_taken="Replaced the bulb and the fuse.")
    return complaint


def test_rate_a_resolution_closes_it(api, session, citizen, make_user, places):
    complaint = resolved(session, citizen, make_user, places)
    as_citizen = api.as_(citizen)
    before = as_citizen.get(f"/complaints/{complaint.id}").get_json()
    assert before["status"] == "resolved" and before["my_task"]["form_key"] == "citizen_rating"

    response = as_citizen.post(f"/complaints/{complaint.id}/rating", json={"rating": 5, "satisfied": True})

    assert response.status_code == 200, response.get_json()
    assert_documented(response)
    body = response.get_json()
    assert body["status"] == "closed" and body["rating"] == 5 and body["satisfied"] is True
    assert body["timeline"][-2]["kind"] == "rated" and body["my_task"] is None
    assert fresh(session, Complaint, complaint.id).status is ComplaintStatus.CLOSED


def test_not_satisfied_needs_a_comment_as_on_the_page(api, session, citizen, make_user, places):
    complaint = resolved(session, citizen, make_user, places)
    as_citizen = api.as_(citizen)

    refused = as_citizen.post(f"/complaints/{complaint.id}/rating", json={"rating": 2, "satisfied": False})
    reopened = as_citizen.post(
        f"/complaints/{complaint.id}/rating", json={"rating": 2, "satisfied": False, "comment": "Still dark at night."}
    )

    assert "what is still wrong" in assert_problem(refused, 422, field="comment")["errors"]["comment"][0]
    assert_documented(refused)
    assert reopened.status_code == 200 and reopened.get_json()["reopen_count"] == 1
    assert reopened.get_json()["current_step"][0]["role"] == "deputy_commissioner"


@pytest.mark.parametrize("body, field", [({"rating": 6, "satisfied": True}, "rating"), ({"rating": 4}, "satisfied"),
                                         ({"rating": "4", "satisfied": True}, "rating")])
def test_a_wrong_rating_is_422(api, session, citizen, make_user, places, body, field):
    complaint = resolved(session, citizen, make_user, places)

    assert_problem(api.as_(citizen).post(f"/complaints/{complaint.id}/rating", json=body), 422, field=field)


def test_rating_before_resolution_is_409(api, session, citizen, places):
    complaint = lodge(session, citizen, places["peshawar"])

    response = api.as_(citizen).post(f"/complaints/{complaint.id}/rating", json={"rating": 5, "satisfied": True})

    assert "not awaiting your rating" in assert_problem(response, 409)["detail"]
    assert_documented(response)


def test_staff_cannot_rate(api, session, citizen, make_user, places):
    complaint = resolved(session, citizen, make_user, places)
    dc = make_user(Role.DEPUTY_COMMISSIONER)

    assert_problem(api.as_(dc).post(f"/complaints/{complaint.id}/rating", json={"rating": 5, "satisfied": True}), 403)


def test_a_png_photo_stored_before_re_encoding_is_served_with_its_type(api, session, citizen, places, app):
    from tests.app.helpers import store_of

    complaint = lodge(session, citizen, places["peshawar"])
    store = store_of(app)
    key = store.put(png_bytes(), "png")
    session.add(Attachment(complaint_id=complaint.id, uploaded_by_id=citizen.id, purpose="complaint",
                           content_type="image/png", size=len(png_bytes()), sha256=key[3:67], storage_key=key))
    session.commit()
    attachment = session.scalar(select(Attachment).where(Attachment.complaint_id == complaint.id))

    for path in (f"/attachments/{attachment.id}", f"/attachments/{attachment.id}/thumbnail"):
        response = api.as_(citizen).get(path)
        response.get_data(), response.close()
        assert response.status_code == 200 and response.mimetype == "image/png" and response.data == png_bytes()
        assert response.headers["Cache-Control"] == "private, max-age=3600"
        assert_documented(response)


@pytest.mark.parametrize("with_photo", [False, True])
def test_the_answer_to_a_lodging_is_what_reading_it_gives(api, session, citizen, places, with_photo):
    """The 201 answer is made from what the lodging wrote, not read back: it must be what a read gives,
    as must the answer to a replay of the same request (which reads it)."""
    as_citizen = api.as_(citizen)
    body = new_complaint(session, places["peshawar"])
    key = {"Idempotency-Key": f"same-answer-{with_photo}"}
    if with_photo:
        lodged = as_citizen.post_multipart("/complaints", body, jpeg_bytes(), headers=key)
        replayed = as_citizen.post_multipart("/complaints", body, jpeg_bytes(), headers=key)
    else:
        lodged = as_citizen.post("/complaints", json=body, headers=key)
        replayed = as_citizen.post("/complaints", json=body, headers=key)

    assert lodged.status_code == replayed.status_code == 201
    assert replayed.headers["Idempotent-Replayed"] == "true"
    read = as_citizen.get(f"/complaints/{lodged.get_json()['id']}")
    assert lodged.get_json() == read.get_json() == replayed.get_json()
    assert len(lodged.get_json()["attachments"]) == int(with_photo)
