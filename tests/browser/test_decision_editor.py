"""The decision table editor (dmn-js) in a real Chromium against a real, seeded portal.

The demo analyst opens the current version's escalation table (bpmn/sla.dmn), changes the days before the
Commissioner from 15 to 10 in its last row, validates (no errors) and deploys: version 2 holds the same
diagram with the edited table. No page may break the Content-Security-Policy.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_modeler import DESK, WATCH_CSP, csp_violations, diagram_ready, sign_in_at_desk

pytestmark = pytest.mark.browser


@pytest.fixture()
def desk(browser, portal):
    """A desktop-sized page, as the modeler's test has it: CSP violations and script errors are watched."""
    context = browser.new_context(base_url=portal, **DESK)
    context.set_default_timeout(15_000)
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"script errors: {errors}"


def test_the_analyst_edits_the_escalation_days_and_deploys_them_with_the_diagram(desk: Page):
    sign_in_at_desk(desk, "analyst")
    desk.goto("analyst/decisions")
    diagram_ready(desk, "#decisions")
    table = desk.locator("#dmn-canvas .tjs-table")
    expect(table).to_be_visible()
    expect(table).to_contain_text("Days before the Commissioner")
    expect(desk.locator("#table-file")).to_have_value("0")

    cell = table.get_by_role("cell", name="15", exact=True).get_by_role("textbox")
    cell.click()
    desk.keyboard.press("Control+A")
    desk.keyboard.type("10")
    desk.locator("h1").click()  # leave the cell
    saved = desk.evaluate("() => window.decisionModeler.saveXML({format: true}).then(r => r.xml)")
    assert "<text>10</text>" in saved and "<text>15</text>" not in saved

    desk.get_by_role("button", name="Validate").click()
    expect(desk.locator("#problems-summary")).to_have_text("No errors: it can be deployed")

    desk.get_by_label("Why this version (required)").fill("Escalation after 10 days")
    desk.get_by_role("button", name="Deploy as a new version").click()
    # The browser tests share one portal: another test may have deployed a version before this one.
    status = desk.locator("#decisions-status")
    expect(status).to_contain_text(re.compile(r"Deployed complaint version \d+, now the default"))
    version = re.search(r"version (\d+)", status.inner_text()).group(1)
    assert csp_violations(desk) == []

    # The new version opens with the edited table.
    desk.goto("analyst/decisions")
    diagram_ready(desk, "#decisions")
    expect(desk.locator("#dmn-canvas .tjs-table").get_by_role("cell", name="10", exact=True)).to_be_visible()
    expect(desk.locator(".meta").filter(has_text=f"version {version}")).to_be_visible()
