"""Lodging next to an open complaint of the same kind, on a 360 px phone: the portal asks "is it one
of these?" first; "none of these" (a button outside the form, tied to it) lodges with what was typed,
"add my voice" counts the citizen behind the other complaint, and the DC finds it by a word."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journey import click_through, posts, sign_in, sign_out, visit  # noqa: F401  (posts: a fixture)

pytestmark = pytest.mark.browser

DRAINS = "Blocked or overflowing drains and nullahs"
FIRST = "Nullah choked with plastic at Gulbahar chowk"
SECOND = "Drain water standing in Gulbahar street"
PIN = ("34.0301", "71.5601")  # away from the other browser tests' complaints (the portal is shared)
NEAR = ("34.0305", "71.5603")  # about 50 m away


def register(page: Page, name: str, cnic: str, mobile: str, password: str, sms_code) -> None:
    """Register, sign in and confirm the number with the SMS code, as a new citizen does."""
    visit(page, "register")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("CNIC").fill(cnic)
    page.get_by_label("Mobile number").fill(mobile)
    page.get_by_label("Your district").select_option(label="Peshawar")
    page.get_by_label(re.compile(r"^Password\W*$")).fill(password)
    page.get_by_label("Password again").fill(password)
    click_through(page, page.get_by_role("button", name="Register"))
    expect(page.locator(".flash[role=status]")).to_contain_text("We sent a code by SMS")
    page.get_by_label(re.compile(r"^Password\W*$")).fill(password)
    click_through(page, page.get_by_role("button", name="Sign in"))
    page.get_by_label("Code from the SMS").fill(sms_code(re.sub(r"\D", "", mobile)))
    click_through(page, page.get_by_role("button", name="Confirm the number"))
    expect(page.locator(".flash[role=status]")).to_contain_text("is confirmed")


def fill_complaint(page: Page, subject: str, where: tuple[str, str]) -> None:
    click_through(page, page.get_by_role("link", name="Lodge a complaint").first)
    page.get_by_label("What is it about?").select_option(label=DRAINS)
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Describe the problem").fill("Water has stood in the street for five days and smells.")
    page.get_by_label("Latitude").fill(where[0])
    page.get_by_label("Longitude").fill(where[1])


def test_one_of_these_or_none_of_these_on_a_phone(phone: Page, posts, sms_code):  # noqa: F811
    page = phone
    register(page, "Zarina Bibi", "17301-2468024-6", "0333-2468024", "zarina-pass-2026", sms_code)
    fill_complaint(page, FIRST, PIN)
    click_through(page, page.get_by_role("button", name="Lodge complaint"))
    expect(page.locator(".flash[role=status]")).to_contain_text("Tracking number")
    sign_out(page)

    register(page, "Hamid Ullah", "17301-1357913-5", "0333-1357913", "hamid-pass-2026", sms_code)
    fill_complaint(page, SECOND, NEAR)
    click_through(page, page.get_by_role("button", name="Lodge complaint"))
    expect(page.get_by_role("heading", name="Is it one of these?")).to_be_visible()
    candidate = page.locator("section.similar li").filter(has_text=FIRST)
    expect(candidate).to_have_count(1)
    expect(candidate).not_to_contain_text("Zarina")
    expect(page.get_by_label("Subject")).to_have_value(SECOND)

    click_through(page, page.get_by_role("button", name="None of these — lodge my complaint"))
    expect(page.locator(".flash[role=status]")).to_contain_text("Tracking number")
    expect(page.get_by_role("heading", name=SECOND)).to_be_visible()

    fill_complaint(page, "Same drain again", NEAR)
    click_through(page, page.get_by_role("button", name="Lodge complaint"))
    expect(page.locator("section.similar li")).to_have_count(1)  # not his own
    click_through(page, page.locator("section.similar li").filter(has_text=FIRST)
                  .get_by_role("button", name="Add my voice to this one"))
    expect(page).to_have_url(re.compile(r"/my/complaints$"))
    expect(page.locator(".flash[role=status]")).to_contain_text(f"Your voice is added to “{FIRST}”")
    sign_out(page)

    sign_in(page, "dc.peshawar")
    visit(page, "complaints")
    page.get_by_label("Search").fill("choked plastic")
    click_through(page, page.get_by_role("button", name="Filter"))
    card = page.locator("ul.cards li")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(FIRST)
    expect(card).to_contain_text("1 citizen added their voice")
    sign_out(page)
