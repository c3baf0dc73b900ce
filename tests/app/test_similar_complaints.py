"""Before lodging, a citizen sees the open complaints of the same category close by ("is it one of
these?") and can add their voice to one instead: counted once, never to their own, told of its
resolution; staff see the count, the public the total."""
from __future__ import annotations

import math
import re

import pytest
from sqlalchemy import select

from app.models import Channel, Complaint, ComplaintStatus, ComplaintSupporter, Notification, Role
from app.services.casework import complaints, similar
from app.services.errors import Conflict, NotAllowed, NotFound
from tests.app.helpers import (
    DESCRIPTION,
    assign,
    category,
    complaint_form,
    complete,
    count,
    fresh,
    jpeg_bytes,
    post_with_photo,
    reread,
    text_of,
)
from tests.conftest import login

PIN = (34.0151, 71.5249)  # Gulbahar, Peshawar


def north(metres: float) -> tuple[float, float]:
    return PIN[0] + metres / similar.METRES_PER_DEGREE, PIN[1]


def east(metres: float) -> tuple[float, float]:
    return PIN[0], PIN[1] + metres / (similar.METRES_PER_DEGREE * math.cos(math.radians(PIN[0])))


def lodge_at(session, citizen, district, where=None, *, department_index=0, subject="Broken streetlight",
             address=""):
    latitude, longitude = where if where else (None, None)
    complaint = complaints.submit_complaint(session, citizen, complaints.ComplaintInput(
        category(session, department_index).id, district.id, subject, DESCRIPTION, address, latitude, longitude))
    session.commit()
    return complaint


@pytest.fixture()
def street(session, make_user, places):
    """Complaints of one category around PIN by several neighbours, and the citizen about to lodge."""
    neighbour = make_user(Role.CITIZEN, name="Gul Bibi")
    peshawar = places["peshawar"]
    made = {
        "150 m north": lodge_at(session, neighbour, peshawar, north(150), subject="Streetlight dark for a week"),
        "190 m east": lodge_at(session, neighbour, peshawar, east(190), subject="Lamp post fallen over"),
        "300 m north": lodge_at(session, neighbour, peshawar, north(300), subject="Streetlight flickering"),
        # Inside the search box but outside the circle: about 212 m away.
        "box corner": lodge_at(session, neighbour, peshawar, (north(150)[0], east(150)[1]), subject="Corner light"),
        "other category": lodge_at(session, neighbour, peshawar, north(50), department_index=1,
                                   subject="Water pipe burst"),
        "closed": lodge_at(session, neighbour, peshawar, north(20), subject="Old streetlight case"),
        "other district": lodge_at(session, neighbour, places["nowshera"], north(30), subject="Across the border"),
    }
    made["closed"].status = ComplaintStatus.CLOSED
    session.commit()
    citizen = make_user(Role.CITIZEN, name="Bilal Ahmad")
    return {"complaints": made, "citizen": citizen, "neighbour": neighbour, "category": category(session)}


def names(street, found) -> list[str]:
    by_id = {c.id: name for name, c in street["complaints"].items()}
    return [by_id[c.id] for c in found]


def test_candidates_are_the_open_ones_of_the_category_within_200_m_nearest_first(session, street):
    found = similar.similar_complaints(session, street["citizen"], street["category"].id,
                                       latitude=PIN[0], longitude=PIN[1])
    assert names(street, found) == ["150 m north", "190 m east"]
    assert [round(c.distance_m) for c in found] == [150, 190]
    assert not any(c.supported for c in found)


def test_the_radius_is_measured_from_the_pin_not_from_the_box(session, street):
    assert similar.distance_m(PIN[0], PIN[1], *north(300)) == pytest.approx(300, abs=0.5)
    assert similar.distance_m(PIN[0], PIN[1], north(150)[0], east(150)[1]) == pytest.approx(212, abs=1)
    moved = north(120)  # 30 m from "150 m north", 153 m from the corner, 180 m from "300 m north", 225 m from "190 m east"
    found = similar.similar_complaints(session, street["citizen"], street["category"].id,
                                       latitude=moved[0], longitude=moved[1])
    assert names(street, found) == ["150 m north", "box corner", "300 m north"]


def test_own_complaints_are_no_candidates(session, street):
    found = similar.similar_complaints(session, street["neighbour"], street["category"].id,
                                       latitude=PIN[0], longitude=PIN[1])
    assert found == []


def test_without_a_pin_the_same_district_and_address_find_candidates(session, street, places):
    neighbour = street["neighbour"]
    bazaar = lodge_at(session, neighbour, places["peshawar"], subject="Bazaar light out",
                      address="Main Bazaar, near the Mahabat Khan mosque")
    lodge_at(session, neighbour, places["peshawar"], department_index=1, subject="Bazaar drain",
             address="Main Bazaar")
    citizen, kind = street["citizen"], street["category"].id

    def by_address(address, district=places["peshawar"]):
        return [c.id for c in similar.similar_complaints(session, citizen, kind, district_id=district.id,
                                                         address=address)]

    assert by_address("main bazaar") == [bazaar.id]
    assert by_address("  MAIN   Bazaar, near the Mahabat Khan mosque ") == [bazaar.id]
    assert by_address("Main Bazaar near the Mahabat Khan mosque, shop 4") == [bazaar.id]
    assert by_address("Main Bazar") == []  # another place, as far as text can tell
    locality = lodge_at(session, neighbour, places["peshawar"], subject="Street dark", address="House 12, Gulbahar")
    assert by_address("Gulbahar") == [locality.id]  # a locality named alone
    assert by_address("12") == []  # too short to tell a place by
    assert by_address("Gulbahar, Peshawar") == [locality.id]
    lodge_at(session, neighbour, places["peshawar"], subject="Somewhere", address="Peshawar")
    assert by_address("University Road, Peshawar") == []  # the district's name alone is no place
    assert by_address("Main Bazaar", places["nowshera"]) == []


def test_support_is_counted_once_and_shows_as_supported(session, street):
    citizen, target = street["citizen"], street["complaints"]["150 m north"]

    assert similar.support_complaint(session, citizen, target.id)[1] is True
    session.commit()
    assert similar.support_complaint(session, citizen, target.id)[1] is False
    session.commit()

    assert similar.supporter_counts(session, [target.id, street["complaints"]["190 m east"].id]) == {target.id: 1}
    found = similar.similar_complaints(session, citizen, street["category"].id, latitude=PIN[0], longitude=PIN[1])
    assert [(names(street, [c])[0], c.supported) for c in found] == [("150 m north", True), ("190 m east", False)]


def test_support_is_refused_for_ones_own_another_districts_and_a_closed_complaint(session, street, make_user,
                                                                                   places):
    made = street["complaints"]
    with pytest.raises(NotAllowed):
        similar.support_complaint(session, street["neighbour"], made["150 m north"].id)
    with pytest.raises(NotFound):
        similar.support_complaint(session, street["citizen"], made["other district"].id)
    with pytest.raises(NotFound):
        similar.support_complaint(session, street["citizen"], 2**31 - 1)
    with pytest.raises(Conflict):
        similar.support_complaint(session, street["citizen"], made["closed"].id)
    with pytest.raises(NotAllowed):
        similar.support_complaint(session, make_user(Role.DEPUTY_COMMISSIONER), made["150 m north"].id)
    session.rollback()
    assert count(session, ComplaintSupporter) == 0


# The lodge page ------------------------------------------------------------------

def signed_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


def lodge_form(street, where=PIN, **more):
    return complaint_form(street["category"], street["citizen"].district, latitude=str(where[0]),
                          longitude=str(where[1]), **more)


def test_lodging_near_open_complaints_asks_first_and_keeps_what_was_typed(app, session, street):
    client = signed_in(app, street["citizen"])
    before = count(session, Complaint)

    response = client.post("/my/complaints/new", data=lodge_form(street))

    assert response.status_code == 200
    page = text_of(response)
    assert "Is it one of these?" in page and "Nothing is lodged yet." in page
    near = street["complaints"]["150 m north"]
    assert near.subject in page and street["complaints"]["190 m east"].subject in page
    assert "Streetlight flickering" not in page and "Water pipe burst" not in page  # 300 m; another category
    assert "Old streetlight case" not in page and "Across the border" not in page  # closed; another district
    assert "Gul Bibi" not in page and DESCRIPTION not in page and near.tracking_number not in page
    assert "Awaiting assignment" in page
    assert f'action="/complaints/{near.id}/support"' in page
    assert 'name="none_of_these"' in page
    assert 'value="Overflowing drain"' in page  # the form's values are kept
    assert count(session, Complaint) == before


def test_none_of_these_lodges_the_complaint(app, session, street):
    client = signed_in(app, street["citizen"])

    response = client.post("/my/complaints/new", data=lodge_form(street, none_of_these="1"))

    assert response.status_code == 302
    lodged = session.scalar(select(Complaint).where(Complaint.subject == "Overflowing drain"))
    assert response.headers["Location"] == f"/complaints/{lodged.id}"


def test_lodging_far_from_open_complaints_lodges_at_once(app, session, street):
    client = signed_in(app, street["citizen"])
    response = client.post("/my/complaints/new", data=lodge_form(street, north(1000)))
    assert response.status_code == 302


def test_a_chosen_photo_must_be_chosen_again(app, street):
    client = signed_in(app, street["citizen"])
    response = post_with_photo(client, "/my/complaints/new", lodge_form(street), jpeg_bytes())
    assert response.status_code == 200 and "Your photo was not kept" in text_of(response)
    plain = client.post("/my/complaints/new", data=lodge_form(street))
    assert "Your photo was not kept" not in text_of(plain)


def test_adding_ones_voice_from_the_page(app, session, street):
    client = signed_in(app, street["citizen"])
    near = street["complaints"]["150 m north"]

    first = client.post(f"/complaints/{near.id}/support")
    again = client.post(f"/complaints/{near.id}/support")

    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == "/my/complaints"
    assert similar.supporter_counts(session, [near.id]) == {near.id: 1}
    shown = text_of(client.get("/my/complaints"))
    assert "You have already added your voice to “Streetlight dark for a week”." in shown
    page = text_of(client.post("/my/complaints/new", data=lodge_form(street)))
    assert "You have already added your voice to this one." in page
    assert f'action="/complaints/{near.id}/support"' not in page


def test_the_page_refuses_ones_own_and_other_districts_complaints(app, session, street):
    made = street["complaints"]
    assert signed_in(app, street["neighbour"]).post(f"/complaints/{made['150 m north'].id}/support").status_code == 403
    citizen = signed_in(app, street["citizen"])
    assert citizen.post(f"/complaints/{made['other district'].id}/support").status_code == 404
    assert citizen.post(f"/complaints/{made['closed'].id}/support").status_code == 409
    assert count(session, ComplaintSupporter) == 0


# Who sees the support --------------------------------------------------------------

def test_staff_see_the_count_on_the_list_and_the_complaint_the_public_the_total(app, session, street, make_user):
    near = street["complaints"]["150 m north"]
    for supporter in (street["citizen"], make_user(Role.CITIZEN)):
        similar.support_complaint(session, supporter, near.id)
    session.commit()
    dc = signed_in(app, make_user(Role.DEPUTY_COMMISSIONER))

    listing = text_of(dc.get("/complaints"))
    card = re.search(rf"{near.tracking_number}.*?</li>", listing, re.S).group(0)
    assert "2 citizens added their voice" in card
    assert "added their voice" not in re.search(
        rf"{street['complaints']['190 m east'].tracking_number}.*?</li>", listing, re.S).group(0)
    assert "2 other citizens added their voice to this complaint" in text_of(dc.get(f"/complaints/{near.id}"))
    owner_view = text_of(signed_in(app, street["neighbour"]).get(f"/complaints/{near.id}"))
    assert "added their voice" not in owner_view
    assert "2 citizens added their voice to an existing complaint" in text_of(app.test_client().get("/statistics"))
    assert app.test_client().get("/api/public/stats").get_json()["supporters"] == 2


def test_supporters_hear_of_the_resolution_in_app_without_a_link(app, session, street, make_user):
    near = street["complaints"]["150 m north"]
    similar.support_complaint(session, street["citizen"], near.id)
    session.commit()
    officer = make_user(Role.DISTRICT_OFFICER, department_id=near.department_id)
    assign(session, near, make_user(Role.DEPUTY_COMMISSIONER), officer)

    complete(session, fresh(session, Complaint, near.id), officer, outcome="resolved", action_taken="New bulb fitted")

    reread(session)
    (notice,) = session.scalars(select(Notification).where(Notification.user_id == street["citizen"].id,
                                                           Notification.template == "supported_complaint_resolved"))
    assert notice.channel is Channel.IN_APP and "path" not in notice.context
    assert "Streetlight dark for a week" in notice.body and "marked resolved" in notice.body
    page = signed_in(app, street["citizen"]).get("/notifications").get_data(as_text=True)
    assert "A complaint you support is resolved" in page and f"/complaints/{near.id}" not in page
