"""The public map (/api/public/map and the map on /statistics): open and resolved complaints per district at its
centre, and per cell of about 1 km where complaints have a location; counts only, cached like the figures."""
from __future__ import annotations

import json

import pytest

from app.services.casework import places as place_service

from .conftest import ADDRESS, PEOPLE

CELL_A = [(34.0012, 71.5049), (34.0049, 71.5001)]  # both round to the cell (34.00, 71.50)
CELL_B = (34.0151, 71.5249)  # (34.02, 71.52)
CELL_C = (34.1980, 72.0420)  # (34.20, 72.04), in Mardan


@pytest.fixture()
def pinned(session, known):
    """Two closed resolutions share a cell; the open escalated complaint and Mardan's systemic one have their own."""
    for complaint, (lat, lon) in zip(known["resolved"][:2], CELL_A):
        complaint.latitude, complaint.longitude = lat, lon
    known["open"].latitude, known["open"].longitude = CELL_B
    known["systemic"].latitude, known["systemic"].longitude = CELL_C
    session.commit()
    return known


def test_each_district_has_its_open_and_resolved_counts_at_its_centre(client, pinned, places):
    body = client.get("/api/public/map").get_json()
    districts = {d["name"]: d for d in body["districts"]}
    centre = next(c for c in place_service.places().centres if c.name == "Peshawar")

    assert len(districts) == 40
    assert districts["Peshawar"] == {"id": places["peshawar"].id, "name": "Peshawar", "lat": centre.lat,
                                     "lon": centre.lon, "open": 1, "resolved": 4}
    assert (districts["Mardan"]["open"], districts["Mardan"]["resolved"]) == (1, 0)
    assert (districts["Nowshera"]["open"], districts["Nowshera"]["resolved"]) == (0, 0)
    assert body["method"] == "nearest district centre"


def test_located_complaints_are_counted_per_cell_of_about_a_kilometre(client, pinned):
    body = client.get("/api/public/map").get_json()

    assert body["cell_decimals"] == 2 and body["cell_fields"] == ["lat", "lon", "open", "resolved"]
    assert body["cells"] == [[34.0, 71.5, 0, 2], [34.02, 71.52, 1, 0], [34.2, 72.04, 1, 0]]


def test_the_map_shows_no_person_no_complaint_and_no_exact_point(client, pinned):
    body = client.get("/api/public/map").get_data(as_text=True)

    for name, cnic, mobile in PEOPLE:
        for secret in (name, cnic, cnic.replace("-", ""), mobile, mobile.replace("-", "")):
            assert secret not in body
    assert ADDRESS not in body and "Broken water pipe" not in body
    assert pinned["resolved"][0].tracking_number not in body
    assert "34.0012" not in body and "71.5049" not in body and "34.0151" not in body
    assert '"id"' not in json.dumps(json.loads(body)["cells"])


def test_the_map_is_public_and_cached_like_the_figures(app, client, pinned, session, places):
    response = client.get("/api/public/map")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Access-Control-Allow-Origin"] == "*"

    pinned["resolved"][2].latitude, pinned["resolved"][2].longitude = CELL_B
    session.commit()
    assert client.get("/api/public/map").get_json()["cells"][1] == [34.02, 71.52, 1, 0]  # the snapshot
    app.extensions["public_map"].expires = 0  # its age passed: this visitor still gets it...
    client.get("/api/public/map")
    app.extensions["public_map"].thread.join(10)  # ...while a thread recounts for the next
    assert client.get("/api/public/map").get_json()["cells"][1] == [34.02, 71.52, 2, 1]


def test_the_statistics_page_has_the_map_in_the_readers_words(client, pinned):
    html = client.get("/statistics").get_data(as_text=True)

    assert 'data-map="public"' in html and 'data-url="/api/public/map"' in html
    assert "Open complaints" in html and "Resolved complaints" in html
    assert "no single complaint is shown" in html
    assert "{district}: {open} open, {resolved} resolved" in html  # the tooltip the script fills
    assert "<script>" not in html
