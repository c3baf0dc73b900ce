"""The complaint list on a map (/complaints/map and its markers, /complaints/map.json), and one complaint's place.

Each reader gets exactly the located complaints their list would show: a DC their district, a Commissioner
their division, the Chief Secretary the province; with the list's filters; capped at the newest N.
"""
from __future__ import annotations

import pytest

from app import create_app
from app.models import Role
from app.services.casework import complaints
from tests.app.helpers import DESCRIPTION, assign, category, complete, text_of
from tests.conftest import login

PESHAWAR, NOWSHERA, MARDAN = (34.008, 71.578), (34.0158, 71.9812), (34.198, 72.045)


def located(session, citizen, district, point, subject="Broken streetlight"):
    complaint = complaints.submit_complaint(session, citizen, complaints.ComplaintInput(
        category(session).id, district.id, subject, DESCRIPTION, latitude=point[0], longitude=point[1]))
    session.commit()
    return complaint


@pytest.fixture()
def world(session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    made = {
        "peshawar": located(session, citizen, places["peshawar"], PESHAWAR, "Peshawar drain"),
        "nowshera": located(session, citizen, places["nowshera"], NOWSHERA, "Nowshera road"),
        "mardan": located(session, citizen, places["mardan"], MARDAN, "Mardan school"),
    }
    unlocated = complaints.submit_complaint(session, citizen, complaints.ComplaintInput(
        category(session).id, places["peshawar"].id, "Peshawar without a pin", DESCRIPTION))
    session.commit()
    made["unlocated"] = unlocated
    return made


def markers(client, query=""):
    response = client.get(f"/complaints/map.json{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.mark.parametrize(("role", "district", "expected"), [
    (Role.DEPUTY_COMMISSIONER, "peshawar", {"peshawar"}),
    (Role.DEPUTY_COMMISSIONER, "mardan", {"mardan"}),
    (Role.COMMISSIONER, "peshawar", {"peshawar", "nowshera"}),
    (Role.COMMISSIONER, "mardan", {"mardan"}),
    (Role.CHIEF_SECRETARY, "peshawar", {"peshawar", "nowshera", "mardan"}),
], ids=["dc-peshawar", "dc-mardan", "commissioner-peshawar", "commissioner-mardan", "chief-secretary"])
def test_each_reader_gets_the_located_complaints_of_their_scope(client, make_user, places, world, role, district,
                                                                expected):
    login(client, make_user(role, district=places[district]))

    body = markers(client)

    assert {c["id"] for c in body["complaints"]} == {world[name].id for name in expected}
    assert body["capped"] is False and "note" not in body
    assert world["unlocated"].id not in {c["id"] for c in body["complaints"]}


def test_a_marker_carries_id_point_status_and_subject_only(client, make_user, world):
    login(client, make_user(Role.DEPUTY_COMMISSIONER))

    (marker,) = markers(client)["complaints"]

    assert marker == {"id": world["peshawar"].id, "lat": PESHAWAR[0], "lon": PESHAWAR[1], "status": "submitted",
                      "subject": "Peshawar drain"}


def test_the_list_filters_apply_to_the_map(client, session, make_user, places, world):
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    officer = make_user(Role.DISTRICT_OFFICER, department_id=world["peshawar"].department_id)
    second = located(session, world["peshawar"].citizen, places["peshawar"], (34.01, 71.56), "Peshawar garbage")
    assign(session, second, dc, officer)
    complete(session, second, officer, outcome="resolved", action_taken="Collected the garbage.")
    login(client, make_user(Role.CHIEF_SECRETARY))

    assert {c["id"] for c in markers(client, f"?district_id={places['peshawar'].id}")["complaints"]} == {
        world["peshawar"].id, second.id}
    assert {c["id"] for c in markers(client, "?status=resolved")["complaints"]} == {second.id}
    assert {c["id"] for c in markers(client, f"?officer_id={officer.id}")["complaints"]} == {second.id}
    # A district outside the reader's scope narrows to nothing, as on the list.
    login(client, dc)
    assert markers(client, f"?district_id={places['mardan'].id}")["complaints"] == []


def test_the_map_is_capped_at_the_newest_with_a_note(app, db_url, tmp_path, session, make_user, places, world):
    capped_app = create_app({"TESTING": True, "DATABASE_URL": db_url, "UPLOAD_DIR": str(tmp_path),
                             "COMPLAINT_MAP_LIMIT": 2})
    client = capped_app.test_client()
    login(client, make_user(Role.CHIEF_SECRETARY))
    try:
        body = markers(client)
    finally:
        capped_app.extensions["db_engine"].dispose()

    newest = sorted((world[n] for n in ("peshawar", "nowshera", "mardan")), key=lambda c: (c.created_at, c.id))[-2:]
    assert [c["id"] for c in body["complaints"]] == [c.id for c in reversed(newest)]
    assert body["capped"] is True and body["limit"] == 2
    assert body["note"] == "Only the newest 2 complaints are shown: narrow the filters to see the others."


def test_the_map_page_keeps_the_filters_of_the_list(client, make_user, places, world):
    login(client, make_user(Role.CHIEF_SECRETARY))
    query = f"status=open&district_id={places['peshawar'].id}"

    listing = client.get(f"/complaints?{query}").get_data(as_text=True)
    page = client.get(f"/complaints/map?{query}")
    html = page.get_data(as_text=True)

    assert f'href="/complaints/map?status=open&amp;district_id={places["peshawar"].id}"' in listing
    assert page.status_code == 200
    assert f'data-points-url="/complaints/map.json?status=open&amp;district_id={places["peshawar"].id}"' in html
    assert f'href="/complaints?status=open&amp;district_id={places["peshawar"].id}"' in html
    assert "leaflet.markercluster.js" in html and "/static/map/maps.js" in html
    assert "&#34;submitted&#34;: &#34;Awaiting assignment&#34;" in html  # the status labels for the popups


def test_citizens_have_no_map_of_complaints(client, world):
    login(client, world["peshawar"].citizen)

    assert client.get("/complaints/map").status_code == 403
    assert client.get("/complaints/map.json").status_code == 403


def test_the_complaint_page_shows_its_place_on_a_small_map_only_when_located(client, make_user, world):
    login(client, make_user(Role.DEPUTY_COMMISSIONER))

    with_pin = client.get(f"/complaints/{world['peshawar'].id}").get_data(as_text=True)
    without = client.get(f"/complaints/{world['unlocated'].id}").get_data(as_text=True)

    assert 'data-map="place"' in with_pin and f'data-lat="{PESHAWAR[0]}"' in with_pin
    assert "34.00800, 71.57800" in text_of(client.get(f"/complaints/{world['peshawar'].id}"))
    assert 'data-map="place"' not in without and "leaflet.js" not in without
