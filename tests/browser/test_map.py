"""The maps in a real Chromium on a 360 px phone, with map tiles from a local stub server (never the internet).

A citizen in Peshawar taps "Use my location" (the browser context grants geolocation at Qissa Khwani): the pin
fills the latitude and longitude, the portal suggests Peshawar, and the complaint is lodged with that point.
The tiles come from a tiny HTTP server in this test, allowed by the Content-Security-Policy because
MAP_TILE_URL names it. The same page without any tile server shows the district centres instead. Screenshots
go to tests/browser/screenshots/ (not committed) to be looked at.
"""
from __future__ import annotations

import io
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from .conftest import PHONE, serve_portal
from .test_journey import check_page, click_through, sign_in, visit

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
QISSA_KHWANI = {"latitude": 34.008, "longitude": 71.578}
TILE_PATH = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


class TileStub:
    """Serves one 256 px PNG for every /z/x/y.png and remembers what was asked."""

    def __init__(self):
        picture = Image.new("RGB", (256, 256), (222, 235, 214))
        draw = ImageDraw.Draw(picture)
        draw.rectangle((0, 0, 255, 255), outline=(170, 190, 160))
        draw.line((0, 128, 255, 128), fill=(240, 214, 150), width=6)  # a "road", so tiles show in screenshots
        buffer = io.BytesIO()
        picture.save(buffer, "PNG")
        self.png, self.requests = buffer.getvalue(), []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                stub.requests.append(self.path)
                if not TILE_PATH.match(self.path):
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(stub.png)))
                self.end_headers()
                self.wfile.write(stub.png)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def tiles():
    with TileStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def tiled_portal(tmp_path_factory, tiles):
    with serve_portal(tmp_path_factory.mktemp("tiled-portal"), MAP_TILE_URL=tiles.url,
                      MAP_ATTRIBUTION="Test tiles") as base:
        yield base


@pytest.fixture()
def located_phone(browser, tiled_portal):
    """A 360 px phone whose browser shares its location (Qissa Khwani, Peshawar) with the portal."""
    context = browser.new_context(base_url=tiled_portal, geolocation=QISSA_KHWANI, **PHONE)
    context.grant_permissions(["geolocation"])
    context.set_default_timeout(10_000)
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()
    assert refused == [], refused


def settled(page: Page) -> None:
    """Wait until the map has stopped zooming and its clusters have stopped moving."""
    page.wait_for_function("""() => !document.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim')""")
    page.wait_for_timeout(300)  # the clusters' fade (CSS transition, no class to wait on)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_use_my_location_suggests_peshawar_and_the_complaint_keeps_the_point(located_phone: Page, tiles):
    page = located_phone
    sign_in(page, "03001234567")  # the demo citizen (Peshawar)
    visit(page, "my/complaints/new")
    expect(page.locator("#lodge-map .leaflet-tile-loaded").first).to_be_visible()
    assert any(TILE_PATH.match(path) for path in tiles.requests)
    district = page.get_by_label("District where it happens")
    district.select_option(label="Mardan")  # the citizen's own choice, which the pin then corrects

    page.get_by_role("button", name="Use my location").click()

    status = page.locator("#place-status")
    expect(status).to_contain_text("Suggested district: Peshawar")
    expect(status).to_contain_text("nearest to the pin")
    expect(page.get_by_label("Latitude (optional)")).to_have_value("34.00800")
    expect(page.get_by_label("Longitude (optional)")).to_have_value("71.57800")
    expect(district.locator("option:checked")).to_have_text("Peshawar")
    expect(page.locator("#lodge-map .leaflet-marker-icon")).to_have_count(1)
    check_page(page)
    screenshot(page, "lodge-map-360.png")

    page.get_by_label("What is it about?").select_option(label="Blocked or overflowing drains and nullahs")
    page.get_by_label("Subject").fill("Drain overflowing in Qissa Khwani")
    page.get_by_label("Describe the problem").fill("The drain beside the Qissa Khwani bazaar overflows every evening.")
    click_through(page, page.get_by_role("button", name="Lodge complaint"))

    expect(page).to_have_url(re.compile(r"/complaints/\d+$"))
    expect(page.get_by_text("34.00800, 71.57800")).to_be_visible()
    expect(page.locator('[data-map="place"] .leaflet-marker-icon')).to_have_count(1)
    screenshot(page, "complaint-place-360.png")

    # The DC of Peshawar finds it on the map of the complaint list, and the marker opens it.
    click_through(page, page.get_by_role("button", name="Sign out"))
    sign_in(page, "dc.peshawar")
    visit(page, "complaints")
    click_through(page, page.get_by_role("link", name="Show these complaints on a map"))
    expect(page.locator("#complaints-map")).to_have_attribute("data-loaded", re.compile(r"^[1-9]"))
    expect(page.locator("#complaints-map-note")).to_contain_text("with a location")
    settled(page)
    screenshot(page, "complaints-map-360.png")
    answer = page.request.get("complaints/map.json").json()
    ours = [c for c in answer["complaints"] if c["subject"] == "Drain overflowing in Qissa Khwani"]
    assert [(c["lat"], c["lon"]) for c in ours] == [(34.008, 71.578)]


def test_a_pin_in_lahore_is_refused_on_the_page(located_phone: Page):
    page = located_phone
    sign_in(page, "03001234567")
    visit(page, "my/complaints/new")

    page.get_by_label("Latitude (optional)").fill("31.5497")
    page.get_by_label("Longitude (optional)").fill("74.3436")
    page.get_by_label("Longitude (optional)").dispatch_event("change")

    expect(page.locator("#place-status")).to_contain_text("outside Khyber Pakhtunkhwa")
    expect(page.locator("#place-status")).to_contain_text("Lahore")


def test_without_tiles_the_map_shows_the_district_centres_and_still_takes_a_pin(browser, portal):
    context = browser.new_context(base_url=portal, **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, "03001234567")
        visit(page, "my/complaints/new")
        expect(page.locator("#lodge-map.map-blank")).to_be_visible()
        expect(page.locator("#lodge-map .leaflet-tile")).to_have_count(0)
        expect(page.locator("#lodge-map path.leaflet-interactive")).to_have_count(40)  # the district centres
        expect(page.get_by_role("button", name="Use my location")).to_be_visible()

        page.locator("#lodge-map").tap()  # a finger on the middle of the map

        expect(page.locator("#place-status")).to_contain_text(re.compile("Suggested district|outside"))
        expect(page.get_by_label("Latitude (optional)")).to_have_value(re.compile(r"^\d+\.\d{5}$"))
        check_page(page)
        screenshot(page, "lodge-map-no-tiles-360.png")

        visit(page, "statistics")
        expect(page.locator("#public-map")).to_have_attribute("data-loaded", "40")
        page.locator("#public-map").scroll_into_view_if_needed()
        screenshot(page, "statistics-map-360.png")
    finally:
        context.close()
