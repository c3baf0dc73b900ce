"""Where a pin lies: the suggested district (nearest district centre), refusing points outside the province,
the data file behind it, the lookup the lodge page's script calls, and the lodge page itself."""
from __future__ import annotations

import json
import math
import re
from html import unescape

import pytest
from sqlalchemy import select

from app import create_app
from app.geo import build_places
from app.models import Complaint, District, Role
from app.organisation_data import DIVISIONS
from app.services.casework import complaints
from app.services.casework import places as place_service
from app.services.errors import Invalid
from app.settings import ConfigError
from tests.app.helpers import category, complaint_form, field_value, snapshot, text_of
from tests.conftest import login

# Known points (decimal degrees) and the district each must suggest.
KNOWN = {
    "Peshawar, Qissa Khwani": ((34.008, 71.578), "Peshawar"),
    "Peshawar University": ((34.0006, 71.4915), "Peshawar"),
    "Abbottabad": ((34.1463, 73.2117), "Abbottabad"),
    "Mingora": ((34.7717, 72.3602), "Swat"),
    "Saidu Sharif": ((34.7500, 72.3500), "Swat"),
    "Matta, Upper Swat": ((34.9400, 72.4200), "Upper Swat"),
    "Mardan": ((34.1980, 72.0450), "Mardan"),
    "Dera Ismail Khan": ((31.8300, 70.9000), "Dera Ismail Khan"),
    "Bannu": ((32.9850, 70.6040), "Bannu"),
    "Wana": ((32.2990, 69.5730), "Lower South Waziristan"),
    "Chitral": ((35.8500, 71.7860), "Lower Chitral"),
}
OUTSIDE = {
    "Lahore": (31.5497, 74.3436),
    "Kabul": (34.5553, 69.2075),
    "Islamabad": (33.6844, 73.0479),
    "Quetta": (30.1798, 66.9750),
    "Karachi": (24.8607, 67.0011),
    "Arabian Sea": (20.0000, 65.0000),
}


@pytest.mark.parametrize(("point", "district"), KNOWN.values(), ids=KNOWN.keys())
def test_a_pin_suggests_the_district_whose_centre_is_nearest(session, point, district):
    suggestion = place_service.suggest_district(session, *point)

    assert suggestion.district.name == district
    assert suggestion.location.inside and suggestion.location.refusal is None


@pytest.mark.parametrize("point", OUTSIDE.values(), ids=OUTSIDE.keys())
def test_a_pin_outside_the_province_is_refused(point):
    location = place_service.locate(*point)

    assert not location.inside
    assert "outside Khyber Pakhtunkhwa" in str(location.refusal)


def test_the_refusal_names_the_nearest_town_across_the_border():
    lahore, kabul = place_service.locate(*OUTSIDE["Lahore"]), place_service.locate(*OUTSIDE["Kabul"])

    assert lahore.nearest_town.name == "Lahore" and lahore.nearest_town.region == "PK-PB"
    assert "the nearest town we know, Lahore, is not in the province" in str(lahore.refusal)
    assert kabul.nearest_town.name == "Kabul" and kabul.nearest_town.region == "AF"


def test_a_pin_far_from_every_town_of_the_province_is_refused_even_when_its_nearest_town_is_one():
    # In the mountains east of Upper Chitral (Gilgit-Baltistan): the nearest town of the list is Booni, the
    # centre of Upper Chitral, but it is more than OUTSIDE_KM away.
    location = place_service.locate(36.45, 72.95)

    assert location.nearest_town.region == "KP" and location.nearest_kp_km > place_service.OUTSIDE_KM
    assert not location.inside
    assert "more than 60 km from any town of the province" in str(location.refusal)


@pytest.mark.parametrize("point", [(91, 71), (34, 181), (-91, 0), (math.nan, 71), (34, math.inf)])
def test_coordinates_out_of_range_give_no_suggestion(session, point):
    assert not place_service.valid_coordinates(*point)
    assert place_service.suggest_district(session, *point) is None


def test_lodging_refuses_a_point_outside_the_province_on_the_latitude(session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    data = complaints.ComplaintInput(category(session).id, places["peshawar"].id, "Broken streetlight",
                                     "The streetlight in front of house 12 has been broken for weeks.",
                                     latitude=OUTSIDE["Lahore"][0], longitude=OUTSIDE["Lahore"][1])

    with pytest.raises(Invalid) as refused:
        complaints.submit_complaint(session, citizen, data)

    assert list(refused.value.errors) == ["latitude"]
    assert "outside Khyber Pakhtunkhwa" in str(refused.value.errors["latitude"][0])


def test_lodging_keeps_a_point_inside_the_province(session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    data = complaints.ComplaintInput(category(session).id, places["peshawar"].id, "Broken streetlight",
                                     "The streetlight in front of house 12 has been broken for weeks.",
                                     latitude=34.008, longitude=71.578)

    complaint = complaints.submit_complaint(session, citizen, data)

    assert (complaint.latitude, complaint.longitude) == (34.008, 71.578)


# The data file --------------------------------------------------------------------------------

def test_every_seeded_district_has_one_centre_that_is_its_own_nearest(session):
    seeded = {d["code"]: d["name"] for division in DIVISIONS for d in division["districts"]}
    centres = place_service.places().centres

    assert {c.code: c.name for c in centres} == seeded
    assert len(centres) == 40
    for centre in centres:
        location = place_service.locate(centre.lat, centre.lon)
        assert location.centre == centre and location.inside, centre.name
    assert len(place_service.district_centres(session)) == 40


def test_the_data_file_says_where_it_comes_from_and_under_which_licence():
    data = json.loads(place_service.PLACES_FILE.read_text(encoding="utf-8"))
    readme = (place_service.PLACES_FILE.parent / "README.md").read_text(encoding="utf-8")

    assert "countries-states-cities 1.0.6" in data["source"] and "dr5hn" in data["source"]
    assert data["licence"].startswith("ODbL-1.0")
    assert "ODbL" in readme and "MIT" in readme and "nearest district centre" in readme
    hand_placed = [d["name"] for d in data["districts"] if d["how"] == "placed by hand"]
    assert hand_placed and all(name in readme for name in hand_placed)


def test_the_data_file_is_what_the_build_script_makes_from_the_npm_package():
    """app/geo/places.json is committed; rebuilding it from node_modules must give the same file."""
    # `make install` runs npm ci, which installs the package (a devDependency): missing means a broken setup.
    assert build_places.CITIES.is_file(), "run `make install`: countries-states-cities is not in node_modules"
    cities = json.loads(build_places.CITIES.read_text(encoding="utf-8"))
    places, _report = build_places.build(cities)

    assert build_places._compact(places) == place_service.PLACES_FILE.read_text(encoding="utf-8")


# The lookup the lodge page's script calls ----------------------------------------------------

def test_the_lookup_suggests_peshawar_for_a_point_in_peshawar(client, session, places):
    response = client.get("/places/district?lat=34.008&lon=71.578")

    assert response.status_code == 200
    assert response.get_json() == {"district_id": places["peshawar"].id, "name": "Peshawar", "inside": True,
                                   "method": "nearest district centre", "message": None}
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("city", ["Lahore", "Kabul"])
def test_the_lookup_says_outside_for_lahore_and_kabul(client, city):
    lat, lon = OUTSIDE[city]

    body = client.get(f"/places/district?lat={lat}&lon={lon}").get_json()

    assert body["inside"] is False and body["district_id"] is None and body["name"] is None
    assert "outside Khyber Pakhtunkhwa" in body["message"]
    assert body["method"] == "nearest district centre"


@pytest.mark.parametrize("query", ["", "lat=34&lon=", "lat=north&lon=71", "lat=91&lon=71", "lat=34&lon=-181",
                                   "lat=nan&lon=71", "lat=inf&lon=71"])
def test_the_lookup_refuses_what_is_not_a_point(client, query):
    response = client.get(f"/places/district?{query}")

    assert response.status_code == 400
    assert "decimal degrees" in response.get_json()["error"]


def test_the_lookup_is_rate_limited_per_address(app, db_url, tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "UPLOAD_DIR": str(tmp_path),
                      "PLACES_LOOKUP_LIMIT": 2, "PLACES_LOOKUP_WINDOW_SECONDS": 60})
    client = app.test_client()
    try:
        answers = [client.get("/places/district?lat=34.008&lon=71.578") for _ in range(3)]
        other = client.get("/places/district?lat=34.008&lon=71.578", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    finally:
        app.extensions["db_engine"].dispose()

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert other.status_code == 200


def test_the_lookup_names_the_district_in_the_readers_language(client):
    """The district's own Urdu or Pashto name (seeded from app/organisation_data.py, editable at /admin/places)."""
    urdu = client.get("/places/district?lat=34.008&lon=71.578", headers={"Accept-Language": "ur"}).get_json()
    pashto = client.get("/places/district?lat=34.198&lon=72.045", headers={"Accept-Language": "ps"}).get_json()
    english = client.get("/places/district?lat=34.008&lon=71.578", headers={"Accept-Language": "en"}).get_json()

    assert (urdu["name"], pashto["name"], english["name"]) == ("پشاور", "مردان", "Peshawar")


# The lodge page -----------------------------------------------------------------------------

def test_the_lodge_page_has_the_map_the_button_and_the_coordinate_fields(client, make_user):
    login(client, make_user(Role.CITIZEN))

    response = client.get("/my/complaints/new")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert 'id="lodge-map"' in html and 'data-suggest-url="/places/district"' in html
    assert 'id="use-my-location"' in html and "Use my location" in html
    assert 'name="latitude"' in html and 'name="longitude"' in html
    assert "nearest district centre" in html  # the small print says how the district is suggested
    assert '/vendor/leaflet/-/dist/leaflet.js' in html and "/static/citizen/lodge-map.js" in html
    assert "<script>" not in html  # the Content-Security-Policy forbids inline script
    # Without tiles configured the map draws the district centres: all 40 travel with the page.
    centres = json.loads(_attribute(html, "lodge-map", "data-centres"))
    assert len(centres) == 40 and {"id", "name", "lat", "lon"} <= centres[0].keys()
    assert _attribute(html, "lodge-map", "data-tiles") == ""


def test_the_lodge_page_refuses_a_pin_outside_the_province_and_keeps_what_was_typed(client, session, make_user,
                                                                                   places):
    login(client, make_user(Role.CITIZEN))
    kabul = OUTSIDE["Kabul"]
    form = complaint_form(category(session), places["peshawar"], latitude=str(kabul[0]), longitude=str(kabul[1]))
    before = snapshot(session)

    response = client.post("/my/complaints/new", data=form)

    assert response.status_code == 400
    assert "This point seems to be outside Khyber Pakhtunkhwa: the nearest town we know, Kabul" in text_of(response)
    assert 'id="latitude-error"' in response.get_data(as_text=True)
    assert field_value(response, "latitude") == str(kabul[0]) and field_value(response, "longitude") == str(kabul[1])
    assert snapshot(session) == before


def test_the_lodge_page_works_with_the_coordinate_fields_alone(client, session, make_user, places):
    """No script, no tiles: a citizen types the coordinates and the complaint carries them."""
    citizen = make_user(Role.CITIZEN)
    login(client, citizen)
    form = complaint_form(category(session), places["peshawar"], latitude="34.00800", longitude="71.57800")

    response = client.post("/my/complaints/new", data=form)

    assert response.status_code == 302
    complaint = session.scalar(select(Complaint).where(Complaint.citizen_id == citizen.id))
    assert (complaint.latitude, complaint.longitude) == (34.008, 71.578)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-map="place"' in page and 'data-lat="34.008"' in page


# Settings and what the portal serves --------------------------------------------------------

def test_without_a_tile_server_the_policy_allows_no_other_image_host(client):
    policy = client.get("/login").headers["Content-Security-Policy"]

    assert "img-src 'self' data:;" in policy


def test_a_tile_server_is_allowed_for_images_and_nothing_else(db_url, tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "UPLOAD_DIR": str(tmp_path),
                      "MAP_TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                      "MAP_ATTRIBUTION": "© OpenStreetMap contributors"})
    try:
        response = app.test_client().get("/login")
    finally:
        app.extensions["db_engine"].dispose()

    policy = response.headers["Content-Security-Policy"]
    assert policy == ("default-src 'self'; img-src 'self' data: https://tile.openstreetmap.org; "
                      "frame-ancestors 'none'")


@pytest.mark.parametrize("template", ["ftp://tiles.example/{z}/{x}/{y}.png", "https://tiles.example/tiles.png",
                                      "https://user@tiles.example/{z}/{x}/{y}.png"])
def test_an_unusable_tile_url_stops_the_app_from_starting(db_url, template):
    with pytest.raises(ConfigError, match="MAP_TILE_URL"):
        create_app({"TESTING": True, "DATABASE_URL": db_url, "MAP_TILE_URL": template})


@pytest.mark.parametrize(("package", "name", "content_type"), [
    ("leaflet", "dist/leaflet.js", "text/javascript"),
    ("leaflet", "dist/leaflet.css", "text/css"),
    ("leaflet", "dist/images/marker-icon.png", "image/png"),
    ("leaflet", "dist/images/marker-shadow.png", "image/png"),
    ("leaflet.markercluster", "dist/leaflet.markercluster.js", "text/javascript"),
    ("leaflet.markercluster", "dist/MarkerCluster.Default.css", "text/css"),
])
def test_leaflet_is_served_from_node_modules(client, package, name, content_type):
    with client.get(f"/vendor/{package}/-/{name}") as response:
        assert response.status_code == 200 and response.mimetype == content_type
        assert "immutable" in response.headers["Cache-Control"]


def test_only_the_allowed_leaflet_files_are_served(client):
    assert client.get("/vendor/leaflet/-/package.json").status_code == 404
    assert client.get("/vendor/countries-states-cities/-/dist/lib/cities.json").status_code == 404


def _attribute(html: str, element_id: str, name: str) -> str:
    tag = re.search(rf'<div id="{element_id}"[^>]*>', html, re.S).group(0)
    return unescape(re.search(rf'{name}="([^"]*)"', tag).group(1))


def test_seeded_districts_have_codes_the_data_file_knows(session):
    codes = set(session.scalars(select(District.code)))

    assert codes == {c.code for c in place_service.places().centres}
