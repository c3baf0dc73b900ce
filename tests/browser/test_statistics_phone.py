"""The public statistics on a 360 px phone, in a real Chromium: readable headline cards, charts
first, long tables folded, and a page of reasonable length.

Before, the headline figures sat in a two-column list whose label column took
the whole width, so each number wrapped a character per line and the page was
about 15,800 px long. A full-page screenshot of each page is kept under
tests/browser/screenshots/ (not committed) for a person to look at.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journey import check_page, click_through, visit

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
MAX_HEIGHT = 5_000

# Each headline figure's rendered height in lines of its own line height.
FIGURE_LINES = """() => [...document.querySelectorAll('.figure-card .figure')].map(e => ({
    text: e.textContent.trim(),
    lines: e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)}))"""
# Whether every chart comes before the first folded table.
CHARTS_FIRST = """() => {
    const first = document.querySelector('details.numbers');
    return [...document.querySelectorAll('figure.chart')].every(
        f => f.compareDocumentPosition(first) & Node.DOCUMENT_POSITION_FOLLOWING);
}"""


def check_statistics_page(page: Page, name: str) -> None:
    check_page(page)  # no wider than 360 px
    figures = page.evaluate(FIGURE_LINES)
    assert len(figures) >= 10
    wrapped = [f for f in figures if f["lines"] > 1.2]
    assert wrapped == [], f"headline figures wrap on {page.url}: {wrapped}"
    assert page.evaluate(CHARTS_FIRST), "a chart comes after the folded tables"
    folded = page.locator("details.numbers")
    assert folded.count() >= 2 and page.locator("details.numbers[open]").count() == 0
    assert page.locator("table").count() == page.locator("details.numbers table").count()
    height = page.evaluate("document.documentElement.scrollHeight")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-360.png", full_page=True)
    assert height < MAX_HEIGHT, f"{page.url} is {height} px long at 360 px"


def test_the_province_statistics_read_well_on_a_phone(phone: Page):
    visit(phone, "statistics")
    expect(phone.get_by_role("heading", name="What the words mean")).to_be_visible()
    check_statistics_page(phone, "statistics")

    # A folded table opens on a tap and still fits the phone (it scrolls inside itself).
    phone.locator("details.numbers summary").filter(has_text="Districts").click()
    expect(phone.locator("details.numbers[open] table a").filter(has_text="Peshawar")).to_be_visible()
    check_page(phone)


def test_an_area_page_reads_well_on_a_phone(phone: Page):
    visit(phone, "statistics")
    phone.locator("details.numbers summary").filter(has_text="Divisions").click()
    click_through(phone, phone.locator("a[href*='/statistics/division/']").filter(has_text="Peshawar").first)
    expect(phone.get_by_role("heading", name="Complaints: Peshawar division")).to_be_visible()
    check_statistics_page(phone, "statistics-division")
