"""The app's side of "is it one of these?": similar open complaints before lodging, adding one's voice,
and searching one's own complaints with `q`."""
from __future__ import annotations

import pytest

from app.models import ComplaintStatus, Role
from app.services.casework import similar
from tests.app.helpers import category, lodge
from tests.app.test_similar_complaints import PIN, lodge_at, north

from .helpers import assert_documented, assert_problem


@pytest.fixture()
def street(session, make_user, places):
    neighbour = make_user(Role.CITIZEN, name="Gul Bibi")
    near = lodge_at(session, neighbour, places["peshawar"], north(120), subject="Streetlight dark for a week")
    far = lodge_at(session, neighbour, places["peshawar"], north(400), subject="Streetlight flickering")
    closed = lodge_at(session, neighbour, places["peshawar"], north(10), subject="Old streetlight case")
    closed.status = ComplaintStatus.CLOSED
    session.commit()
    return {"neighbour": neighbour, "near": near, "far": far, "closed": closed, "citizen": make_user(Role.CITIZEN),
            "category": category(session)}


def similar_to(api, street, **args):
    query = {"category_id": street["category"].id, "latitude": PIN[0], "longitude": PIN[1], **args}
    return api.as_(street["citizen"]).get("/complaints/similar", query_string=query)


def test_similar_lists_the_open_ones_close_by_with_subject_date_and_status_only(api, street):
    response = similar_to(api, street)

    assert response.status_code == 200
    assert_documented(response)
    (item,) = response.get_json()["items"]
    assert set(item) == {"id", "subject", "created_at", "status", "status_label", "supported", "support_url"}
    assert (item["id"], item["subject"], item["status"], item["supported"]) == (
        street["near"].id, "Streetlight dark for a week", "submitted", False)
    assert item["support_url"] == f"/api/v1/complaints/{street['near'].id}/support"


def test_similar_without_a_pin_goes_by_address(api, session, street, places):
    at_bazaar = lodge_at(session, street["neighbour"], places["peshawar"], subject="Bazaar light out",
                         address="Main Bazaar, Peshawar")
    response = api.as_(street["citizen"]).get(
        "/complaints/similar", query_string={"category_id": street["category"].id, "address": "main bazaar"})
    assert [item["id"] for item in response.get_json()["items"]] == [at_bazaar.id]


@pytest.mark.parametrize("query", [
    {},  # no category
    {"category_id": "0"},
    {"category_id": "x"},
    {"category_id": "1", "latitude": "34.01"},  # no longitude
    {"category_id": "1", "latitude": "91", "longitude": "71"},
    {"category_id": "1", "latitude": "nan", "longitude": "71"},
    {"category_id": "1", "address": "x" * 301},
])
def test_similar_refuses_what_it_cannot_read(api, street, query):
    response = api.as_(street["citizen"]).get("/complaints/similar", query_string=query)
    assert_problem(response, 400)
    assert_documented(response)


def test_similar_and_support_are_for_citizens(api, street, make_user):
    dc = api.as_(make_user(Role.DEPUTY_COMMISSIONER))
    assert_problem(dc.get("/complaints/similar", query_string={"category_id": street["category"].id}), 403)
    assert_problem(dc.post(f"/complaints/{street['near'].id}/support"), 403)
    assert_problem(api.post(f"/complaints/{street['near'].id}/support"), 401)


def test_support_counts_once(api, session, street):
    citizen = api.as_(street["citizen"])
    path = f"/complaints/{street['near'].id}/support"

    first, again = citizen.post(path), citizen.post(path)

    assert (first.status_code, again.status_code) == (201, 200)
    assert_documented(first)
    assert_documented(again)
    assert first.get_json() == {"complaint_id": street["near"].id, "supported": True, "added": True}
    assert again.get_json()["added"] is False
    assert similar.supporter_counts(session, [street["near"].id]) == {street["near"].id: 1}
    assert similar_to(api, street).get_json()["items"][0]["supported"] is True


def test_support_is_refused_for_ones_own_a_closed_and_another_districts_complaint(api, session, street, make_user,
                                                                                   places):
    elsewhere = lodge(session, make_user(Role.CITIZEN, district=places["mardan"]), places["mardan"])
    for who, complaint, status in ((street["neighbour"], street["near"], 403),
                                   (street["citizen"], street["closed"], 409),
                                   (street["citizen"], elsewhere, 404)):
        response = api.as_(who).post(f"/complaints/{complaint.id}/support")
        assert_problem(response, status)
        assert_documented(response)
    assert similar.supporter_counts(session, [street["near"].id, street["closed"].id, elsewhere.id]) == {}


def test_my_complaints_can_be_searched(api, session, street):
    mine = api.as_(street["neighbour"])

    def subjects(**query):
        response = mine.get("/complaints", query_string=query)
        assert response.status_code == 200
        assert_documented(response)
        return sorted(item["subject"] for item in response.get_json()["items"])

    assert subjects(q="streetlight") == ["Old streetlight case", "Streetlight dark for a week", "Streetlight flickering"]
    assert subjects(q="streetlight dark") == ["Streetlight dark for a week"]
    assert subjects(q="streetlight", status="open") == ["Streetlight dark for a week", "Streetlight flickering"]
    assert subjects(q=street["far"].tracking_number.lower().replace("-", " ")) == ["Streetlight flickering"]
    assert subjects(q="?!") == subjects()
    # Someone else's complaint is no match, by words or by number.
    other = api.as_(street["citizen"]).get("/complaints", query_string={"q": street["near"].tracking_number})
    assert other.get_json()["items"] == [] and other.get_json()["total"] == 0
    assert api.as_(street["citizen"]).get("/complaints", query_string={"q": "streetlight"}).get_json()["total"] == 0


def test_an_overlong_search_is_refused(api, street):
    assert_problem(api.as_(street["citizen"]).get("/complaints", query_string={"q": "x" * 201}), 400)
