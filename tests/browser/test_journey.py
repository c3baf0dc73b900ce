"""One complaint's life on a 360 px phone, through a real Chromium and a real server.

A new citizen registers, confirms the number with the SMS code and lodges a complaint with a photo (whose GPS
position is offered, and used only on a click); the DC assigns it;
the officer resolves it with a PDF report and a photo; the citizen sees them and rates it, is refused a "not satisfied"
without a comment, then reopens it, and it is back with the DC. A DC of
another district gets the 404 page. Every page visited must fit 360 px, and
every POST form must carry (and every POST must send) a csrf_token: the server
runs with CSRF on, so each successful submission proves it.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, Request, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.app.media import pdf, phone_jpeg
from tests.browser.conftest import demo_totp_code

pytestmark = pytest.mark.browser

PASSWORD = "demo-pass-2026"  # app.services.demo.seed.DEMO_PASSWORD
NEW_PASSWORD = "phone-pass-2026"
PHONE_WIDTH = 360
CODE_LABEL = re.compile(r"^Code\W*$")
PASSWORD_LABEL = re.compile(r"^Password\W*$")  # not "Password again"; the "*" is aria-hidden
SUBJECT = "Sewage overflowing onto Dalazak Road"

OVERFLOW_REPORT = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
    .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
        + ' right=' + Math.round(e.getBoundingClientRect().right))"""
FORMS_WITHOUT_TOKEN = """() => [...document.forms]
    .filter(f => f.method === 'post')
    .filter(f => !f.querySelector('input[type=hidden][name=csrf_token]')?.value)
    .map(f => f.outerHTML.slice(0, 160))"""


def check_page(page: Page) -> None:
    """The page fits a 360 px phone and its POST forms carry a CSRF token."""
    page.wait_for_load_state()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} is {width} px wide: {page.evaluate(OVERFLOW_REPORT)}"
    assert page.evaluate(FORMS_WITHOUT_TOKEN) == [], f"POST form without csrf_token on {page.url}"


@pytest.fixture()
def posts(phone):
    """Every POST the phone sends, to check that each carried the CSRF token."""
    sent: list[Request] = []
    phone.on("request", lambda request: sent.append(request) if request.method == "POST" else None)
    yield sent
    for request in sent:
        if request.headers.get("x-csrftoken"):
            continue  # a script's fetch (the photo's position) sends the page's token in a header
        body = request.post_data_buffer or b""
        if not body and request.headers.get("content-type", "").startswith("multipart/form-data"):
            continue  # Chromium does not report a body holding a file; check_page saw the form's token
        assert b"csrf_token=" in body or b'name="csrf_token"' in body, f"POST {request.url} without csrf_token"


# What a page that did not go on after a click looks like: why a browser would hold a form back (a field it
# finds invalid, a disabled button, the lodge form's status line, no signal, no service worker in control).
STUCK_REPORT = """() => ({
    url: location.href, ready: document.readyState, online: navigator.onLine,
    serviceWorker: navigator.serviceWorker && navigator.serviceWorker.controller
        ? navigator.serviceWorker.controller.state : null,
    invalid: [...document.querySelectorAll(':invalid')].filter(e => e.name)
        .map(e => e.name + ': ' + e.validationMessage),
    disabled: [...document.querySelectorAll('button:disabled')].map(e => e.textContent.trim()),
    status: [...document.querySelectorAll('[role=status], .flash')].map(e => e.textContent.trim()),
})"""
# Waiting for the next page: as long as an assertion waits (conftest.py), for the same reason (the two CI passes
# share two cores).
NEXT_PAGE_MS = 15_000


def click_through(page: Page, target: Locator) -> None:
    """Click a link or submit button and wait for the next page, even one at the same URL."""
    page.evaluate("window.leaving = true")
    target.click()
    try:
        page.wait_for_function("() => !window.leaving", timeout=NEXT_PAGE_MS)
    except PlaywrightTimeout:
        raise AssertionError(f"no next page {NEXT_PAGE_MS} ms after clicking {target}: "
                             f"{page.evaluate(STUCK_REPORT)}") from None
    check_page(page)


def visit(page: Page, path: str):
    response = page.goto(path)
    check_page(page)
    return response


def sign_in(page: Page, login: str, password: str = PASSWORD) -> None:
    visit(page, "login")
    page.get_by_label("Mobile number, CNIC or staff username").fill(login)
    page.get_by_label(PASSWORD_LABEL).fill(password)
    click_through(page, page.get_by_role("button", name="Sign in"))
    if page.url.endswith("/login/code"):  # staff with a second factor: the demo app's code
        page.get_by_label(CODE_LABEL).fill(demo_totp_code(login))
        click_through(page, page.get_by_role("button", name="Sign in"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page: Page) -> None:
    click_through(page, page.get_by_role("button", name="Sign out"))
    expect(page.locator(".flash[role=status]")).to_have_text("You are signed out.")


def open_inbox_task(page: Page, subject: str) -> None:
    """From the inbox (the staff home page), open the task of the complaint."""
    expect(page).to_have_url(re.compile(r"/inbox$"))
    card = page.get_by_role("listitem").filter(has_text=subject)
    expect(card).to_have_count(1)
    click_through(page, card.get_by_role("link"))
    expect(page).to_have_url(re.compile(r"/tasks/\d+$"))
    expect(page.get_by_role("heading", name=subject)).to_be_visible()


def complete(page: Page) -> None:
    click_through(page, page.get_by_role("button", name="Complete"))


def test_complaint_journey_on_a_phone(phone: Page, posts, tmp_path, sms_code):
    page = phone
    photo = tmp_path / "drain.jpg"  # taken sideways in Peshawar: EXIF orientation 6 and GPS
    photo.write_bytes(phone_jpeg((64, 48)))
    report = tmp_path / "Drain inspection.pdf"
    report.write_bytes(pdf(pages=1))

    # 1. A new citizen registers; a wrong CNIC is refused without losing what was typed.
    visit(page, "")
    click_through(page, page.get_by_role("link", name="Register"))
    page.get_by_label("Full name").fill("Gul Rehman")
    page.get_by_label("CNIC").fill("17301-12345")
    page.get_by_label("Mobile number").fill("0345-7654321")
    page.get_by_label("Your district").select_option(label="Peshawar")
    page.get_by_label(PASSWORD_LABEL).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill(NEW_PASSWORD)
    click_through(page, page.get_by_role("button", name="Register"))
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields")
    expect(page.locator("#cnic-error")).to_have_text(re.compile("13 digits"))
    expect(page.get_by_label("CNIC")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Full name")).to_have_value("Gul Rehman")
    expect(page.get_by_label("Mobile number")).to_have_value("0345-7654321")
    expect(page.get_by_label("Your district")).to_have_value(re.compile(r"\d+"))
    page.get_by_label("CNIC").fill("17301-7654321-9")
    page.get_by_label(PASSWORD_LABEL).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill(NEW_PASSWORD)
    click_through(page, page.get_by_role("button", name="Register"))
    expect(page.locator(".flash[role=status]")).to_contain_text("We sent a code by SMS to 0345•••4321.")

    # ... signs in, and confirms the number with the code of the SMS ...
    expect(page.get_by_label("Mobile number, CNIC or staff username")).to_have_value("17301-7654321-9")
    page.get_by_label(PASSWORD_LABEL).fill(NEW_PASSWORD)
    click_through(page, page.get_by_role("button", name="Sign in"))
    expect(page).to_have_url(re.compile(r"/account/verify$"))
    page.get_by_label("Code from the SMS").fill(sms_code("03457654321"))
    click_through(page, page.get_by_role("button", name="Confirm the number"))
    expect(page.locator(".flash[role=status]")).to_contain_text("Your mobile number 03457654321 is confirmed.")

    # ... and lodges a complaint with a photo.
    expect(page).to_have_url(re.compile(r"/my/complaints/new$"))
    page.get_by_label("What is it about?").select_option(label="Blocked or overflowing drains and nullahs")
    expect(page.get_by_label("District where it happens")).to_have_value(re.compile(r"\d+"))
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Describe the problem").fill("The sewer line near the Dalazak Road bridge has overflowed for a week.")
    page.get_by_label("Address or landmark").fill("Dalazak Road bridge, Peshawar")
    expect(page.get_by_label("Latitude")).to_have_value("")
    page.get_by_label("Photos").set_input_files(photo)
    # The photo knows where it was taken: offered, and put in the form only when the citizen says so.
    offer = page.locator("#photo-position")
    expect(offer).to_contain_text("Use the place where the photo was taken (34.01510, 71.52490)?")
    expect(page.get_by_label("Latitude")).to_have_value("")
    offer.get_by_role("button", name="Use it").click()
    expect(offer).to_be_hidden()
    expect(page.get_by_label("Latitude")).to_have_value("34.0151")
    expect(page.get_by_label("Longitude")).to_have_value("71.5249")
    click_through(page, page.get_by_role("button", name="Lodge complaint"))
    flash = page.locator(".flash[role=status]")
    expect(flash).to_contain_text(re.compile(r"Tracking number: KP-\d{4}-\d{7}"))
    tracking = re.search(r"KP-\d{4}-\d{7}", flash.inner_text()).group()
    expect(page).to_have_url(re.compile(r"/complaints/\d+$"))
    complaint_url = page.url
    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    expect(page.get_by_text("34.01510, 71.52490")).to_be_visible()
    image = page.locator(".attachment-list img")
    expect(image).to_have_count(1)
    image.scroll_into_view_if_needed()
    # The thumbnail, turned upright: 48 wide, 64 high.
    page.wait_for_function("img => img.complete && img.naturalWidth === 48 && img.naturalHeight === 64",
                           arg=image.element_handle())
    sign_out(page)

    # 2. The DC of Peshawar finds it in the inbox and assigns it with an instruction.
    sign_in(page, "dc.peshawar")
    open_inbox_task(page, SUBJECT)
    expect(page.get_by_text(tracking)).to_be_visible()
    page.get_by_label("Assign to a District Officer").check()
    officer = page.get_by_label("Officer", exact=True)
    officer.select_option(officer.locator("option", has_text="Bilal Ahmad").get_attribute("value"))
    page.get_by_label("Instruction to the officer").fill("Get the line cleared within 48 hours.")
    complete(page)
    expect(page.locator(".flash[role=status]")).to_have_text("Done. The complaint has moved on.")
    expect(page.get_by_role("listitem").filter(has_text=SUBJECT)).to_have_count(0)
    sign_out(page)

    # 3. The officer records the action as resolved.
    sign_in(page, "officer.lg.peshawar")
    open_inbox_task(page, SUBJECT)
    expect(page.get_by_text("Get the line cleared within 48 hours.")).to_be_visible()
    page.get_by_label("Resolved", exact=True).check()
    page.get_by_label("Action taken").fill("The sewer line was jetted and the manhole rebuilt.")
    page.get_by_label("Evidence").set_input_files([report, photo])
    complete(page)
    expect(page.locator(".flash[role=status]")).to_have_text("Done. The complaint has moved on.")
    sign_out(page)

    # 4. The citizen is asked to rate; "not satisfied" needs a comment, then it reopens.
    sign_in(page, "03457654321", NEW_PASSWORD)
    card = page.get_by_role("listitem").filter(has_text=SUBJECT)
    expect(card).to_contain_text("Please rate the resolution.")
    click_through(page, card.get_by_role("link", name=SUBJECT))
    expect(page.get_by_role("heading", name="Rate the resolution")).to_be_visible()
    expect(page.get_by_role("link", name="Drain inspection.pdf")).to_be_visible()
    expect(page.locator(".attachment-list li", has_text="Drain inspection.pdf")).to_contain_text(
        "Added by District Officer")
    page.get_by_label("2", exact=True).check()
    page.get_by_label("No, reopen it").check()
    click_through(page, page.get_by_role("button", name="Send"))
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields")
    expect(page.locator("#comment-error")).to_have_text(re.compile("Tell us what is still wrong"))
    expect(page.get_by_label("2", exact=True)).to_be_checked()
    expect(page.get_by_label("No, reopen it")).to_be_checked()
    page.get_by_label("Comment").fill("The drain overflowed again two days later.")
    complete(page)
    expect(page).to_have_url(complaint_url)
    expect(page.locator(".flash[role=status]")).to_have_text("Done. The complaint has moved on.")
    timeline = page.locator("ol.timeline")
    for kind in ("Lodged", "Assigned", "Resolved", "Reopened"):
        expect(timeline.get_by_text(kind, exact=True)).to_be_visible()
    expect(timeline).to_contain_text("Rated 2/5: The drain overflowed again two days later.")
    expect(page.get_by_role("heading", name="Rate the resolution")).to_have_count(0)
    sign_out(page)

    # 6. A DC of another district gets the 404 page for it.
    sign_in(page, "dc.mardan")
    response = visit(page, complaint_url)
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text(SUBJECT)).to_have_count(0)
    sign_out(page)

    # Reopened: back with the DC of Peshawar.
    sign_in(page, "dc.peshawar")
    open_inbox_task(page, SUBJECT)
    expect(page.locator("ol.timeline")).to_contain_text("Reopened")


FILTERS_BEYOND_DEPARTMENT = {
    "dc.peshawar": ["officer_id"],
    "commissioner.peshawar": ["district_id", "officer_id"],
    "cs": ["division_id", "district_id", "officer_id"],
    "officer.lg.peshawar": [],
}


@pytest.mark.parametrize("login", list(FILTERS_BEYOND_DEPARTMENT))
def test_staff_pages_fit_a_phone(phone: Page, posts, login):
    """Every page of the staff navigation, and a complaint from each list, fits 360 px."""
    page = phone
    sign_in(page, login)
    links = page.locator("header nav a")
    paths = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert paths
    for path in paths:
        visit(page, path)
        first = page.locator("ul.cards li a").first
        if first.count():
            click_through(page, first)
    # The list's filter form, with every select this reader is offered, fits too.
    visit(page, "complaints?status=open&age=23%2B")
    selects = page.locator("form.filters select")
    names = [selects.nth(i).get_attribute("name") for i in range(selects.count())]
    assert names == ["status", "age", "department_id", "category_id", *FILTERS_BEYOND_DEPARTMENT[login]]
    for i in range(selects.count()):
        expect(selects.nth(i)).to_be_visible()
    expect(page.locator("select[name=age] option:checked")).to_have_text("Over 22 days")
    sign_out(page)


def test_public_statistics_and_an_area_page_fit_a_phone(phone: Page):
    """No sign-in: the province figures, then a district's own page; the charts' numbers are folded tables."""
    page = phone
    visit(page, "statistics")
    expect(page.get_by_role("heading", name="Complaints in Khyber Pakhtunkhwa")).to_be_visible()
    expect(page.locator("figure svg").first).to_be_visible()
    page.locator("details.numbers summary").filter(has_text="Districts").click()
    click_through(page, page.locator("a[href*='/statistics/district/']").filter(has_text="Peshawar").first)
    expect(page).to_have_url(re.compile(r"/statistics/district/\d+$"))
    expect(page.get_by_role("heading", name="Complaints: Peshawar district")).to_be_visible()
    assert page.locator("figure svg").count() >= 2
    assert page.locator("details.numbers table").count() >= 2 and page.locator("details[open]").count() == 0
