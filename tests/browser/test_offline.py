"""The citizen's pages on a weak signal, in a real Chromium phone with the portal's service worker:
a complaint written offline waits on the phone ("waiting to send") and is lodged exactly once when the signal
returns; pages already seen open offline, read-only; a photo is made smaller on the phone before it leaves;
signing out leaves nothing of the citizen on the phone. The database is read to count what was lodged."""
from __future__ import annotations

import sqlite3

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import PHONE
from tests.browser.test_journey import click_through, sign_in, sign_out, visit

pytestmark = pytest.mark.browser

CITIZEN = "03001234567"  # the demo citizen (app/services/demo/seed.py)
CATEGORY = "Blocked or overflowing drains and nullahs"
PIN = ("34.0101", "71.5901")  # away from the other browser tests' complaints (the portal is shared)

CONTROLLED = "() => navigator.serviceWorker.controller !== null"
LODGE_KEPT = """async () => {
  const pages = await caches.open("portal-pages");
  return !!(await pages.match(new URL("/my/complaints/new", location.href).href));
}"""
PHONE_STORAGE = """async () => {
  const kept = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      kept.push({url: request.url, text: await (await cache.match(request)).text()});
    }
  }
  return {kept, outbox: (await indexedDB.databases()).map((db) => db.name)};
}"""


@pytest.fixture()
def citizen_phone(browser, portal):
    context: BrowserContext = browser.new_context(base_url=portal, **PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield context, page
    context.close()


def lodged(portal_database, subject: str) -> list[str]:
    with sqlite3.connect(portal_database) as connection:
        return [row[0] for row in connection.execute(
            "SELECT tracking_number FROM complaints WHERE subject = ?", (subject,))]


def installed(page: Page) -> None:
    """Signed in, the service worker controls the page and has kept the lodge page."""
    page.wait_for_function(CONTROLLED)
    page.wait_for_function(LODGE_KEPT)


def write_complaint(page: Page, subject: str) -> None:
    page.get_by_label("What is it about?").select_option(label=CATEGORY)
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Describe the problem").fill("The drain by the mosque has overflowed since Friday.")
    page.get_by_label("Latitude").fill(PIN[0])
    page.get_by_label("Longitude").fill(PIN[1])


def test_a_complaint_written_offline_is_lodged_once_when_the_signal_returns(citizen_phone, portal_database):
    context, page = citizen_phone
    subject = "Drain overflowing by the Mohallah Jangi mosque"
    sign_in(page, CITIZEN)
    visit(page, "my/complaints/new")
    installed(page)

    context.set_offline(True)
    write_complaint(page, subject)
    page.get_by_role("button", name="Lodge complaint").click()

    status = page.locator("#lodge-status")
    expect(status).to_contain_text("kept on this phone")
    expect(status).to_be_focused()
    waiting = page.locator("#outbox")
    expect(waiting.get_by_role("heading")).to_have_text("Waiting to send: 1")
    expect(waiting.get_by_role("listitem")).to_contain_text(subject)
    expect(waiting.get_by_role("listitem")).to_contain_text("sent when the signal returns")
    expect(page.get_by_label("Subject")).to_have_value("")  # the form is ready for another one
    assert lodged(portal_database, subject) == []

    context.set_offline(False)  # the browser says "online": the page sends what waits
    sent = page.locator("#outbox-sent")
    expect(sent).to_contain_text(f"Your complaint “{subject}” has been sent. Tracking number: KP-")
    expect(waiting).to_be_hidden()
    numbers = lodged(portal_database, subject)
    assert len(numbers) == 1
    expect(sent).to_contain_text(numbers[0])

    # Sending it again (another page, the service worker's background sync) never lodges it twice.
    visit(page, "my/complaints")
    page.evaluate("() => PortalOutboxView.send()")
    assert len(lodged(portal_database, subject)) == 1
    expect(page.get_by_role("link", name=subject)).to_have_count(1)


def test_pages_already_seen_open_offline_read_only_and_others_say_no_signal(citizen_phone):
    context, page = citizen_phone
    sign_in(page, CITIZEN)
    visit(page, "my/complaints")
    installed(page)
    visit(page, "my/complaints")  # now controlled: this visit is kept

    context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="My complaints")).to_be_visible()
    banner = page.locator("#offline-banner")
    expect(banner).to_contain_text("No signal: this is the page as it was on")
    assert page.evaluate("document.documentElement.hasAttribute('data-offline-copy')")
    expect(page.get_by_role("button", name="Sign out")).to_be_disabled()

    page.goto("my/complaints/new")  # never opened, but kept for this moment
    expect(page.get_by_label("Subject")).to_be_enabled()

    page.goto("complaints/map")  # not a citizen's page: never kept
    expect(page.get_by_role("heading", name="No signal")).to_be_visible()
    context.set_offline(False)


HOLD_BACK = """() => {
  const form = document.getElementById('complaint-form');
  form.submit = () => {  // the page's script posts the form with submit() once the photos are ready
    const file = form.elements.photos.files[0];
    window.sent = createImageBitmap(file).then((b) => ({size: file.size, type: file.type, width: b.width, height: b.height}));
  };
}"""


def test_a_photo_is_made_smaller_on_the_phone_before_it_is_sent(citizen_phone, portal_database, tmp_path):
    context, page = citizen_phone
    subject = "Open manhole outside the Hashtnagri school gate"
    photo = tmp_path / "camera.jpg"
    Image.effect_noise((4000, 3000), 60).convert("RGB").save(photo, quality=95)  # 12 megapixels, hard to compress
    original = photo.stat().st_size

    sign_in(page, CITIZEN)
    visit(page, "my/complaints/new")
    write_complaint(page, subject)
    page.locator("#photos").set_input_files(str(photo))
    page.evaluate(HOLD_BACK)  # look at what the form would send, instead of sending it
    page.get_by_role("button", name="Lodge complaint").click()
    page.wait_for_function("() => window.sent")
    sent = page.evaluate("() => window.sent")
    assert sent["type"] == "image/jpeg"
    assert (sent["width"], sent["height"]) == (2048, 1536)
    assert sent["size"] < original / 2, f"{sent['size']} bytes of a {original}-byte photo would be sent"

    page.evaluate("() => delete document.getElementById('complaint-form').submit")
    click_through(page, page.get_by_role("button", name="Lodge complaint"))
    expect(page.locator(".flash[role=status]")).to_contain_text("Tracking number")
    assert len(lodged(portal_database, subject)) == 1


def test_signing_out_leaves_nothing_of_the_citizen_on_the_phone(citizen_phone):
    context, page = citizen_phone
    sign_in(page, CITIZEN)
    visit(page, "my/complaints")
    installed(page)
    before = page.evaluate(PHONE_STORAGE)
    assert any("Ayesha Khan" in item["text"] for item in before["kept"])  # the demo citizen's pages were kept

    sign_out(page)
    page.wait_for_function(CONTROLLED)  # the worker comes back for the public pages
    left = page.evaluate(PHONE_STORAGE)
    assert [item["url"] for item in left["kept"] if "Ayesha Khan" in item["text"] or "/my/" in item["url"]] == []
    assert "portal-outbox" not in left["outbox"]

    context.set_offline(True)
    page.goto("my/complaints")
    expect(page.get_by_role("heading", name="My complaints")).to_have_count(0)
    context.set_offline(False)


def test_a_complaint_whose_sending_fails_on_a_weak_signal_waits_on_the_phone(citizen_phone, portal_database):
    """The browser believes it is online, but the form's post never reaches the portal: the service worker
    keeps the complaint and shows the lodge page; the page sends it once the portal can be reached."""
    context, page = citizen_phone
    subject = "Streetlights dark on the whole of Warsak Road"
    sign_in(page, CITIZEN)
    visit(page, "my/complaints/new")
    installed(page)

    def signal_lost(route):
        if route.request.method == "POST":
            route.abort("internetdisconnected")
        else:
            route.continue_()

    context.route("**/my/complaints/new", signal_lost)
    write_complaint(page, subject)
    click_through(page, page.get_by_role("button", name="Lodge complaint"))
    waiting = page.locator("#outbox")
    expect(waiting.get_by_role("listitem")).to_contain_text(subject)
    assert lodged(portal_database, subject) == []

    context.unroute("**/my/complaints/new")
    page.get_by_role("button", name="Try to send now").click()
    expect(page.locator("#outbox-sent")).to_contain_text(f"Your complaint “{subject}” has been sent.")
    assert len(lodged(portal_database, subject)) == 1
