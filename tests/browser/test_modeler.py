"""The analyst workbench in a real Chromium against a real, seeded portal.

The demo analyst opens the modeler on the shipped diagram, shortens the
15-day escalation timer to 10 days through the side panel, validates (no
errors), simulates an unassigned complaint (it escalates on day 10), deploys,
and sees version 2 listed as the default; the deployed XML carries the new
timer. A file from another modeler opens and keeps its extensions. Staff open a complaint's process view from its page;
the citizen's "where is my complaint" view (milestones, no diagram) fits a
360 px phone and names no staff. No page may break the Content-Security-Policy.
"""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import demo_totp_code
from tests.browser.test_journey import CODE_LABEL, PASSWORD, PASSWORD_LABEL, check_page, sign_in, sign_out

pytestmark = pytest.mark.browser

DESK = {"viewport": {"width": 1400, "height": 1000}}
# Every violation of the Content-Security-Policy the page reports (init scripts are not subject to it).
WATCH_CSP = """window.cspViolations = [];
document.addEventListener('securitypolicyviolation',
    e => window.cspViolations.push(e.violatedDirective + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));"""
DEMO_STAFF_NAMES = ("Deputy Commissioner Peshawar", "Bilal Ahmad", "Dr. Nadia Shah", "Sana Process Analyst")


@pytest.fixture()
def desk(browser, portal):
    """A desktop-sized page: the modeler is a tool for a wide screen."""
    context = browser.new_context(base_url=portal, **DESK)
    context.set_default_timeout(15_000)
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"script errors: {errors}"


def sign_in_at_desk(page: Page, login: str) -> None:
    """As test_journey.sign_in, without its 360 px check (this page is wide on purpose)."""
    page.goto("login")
    page.get_by_label("Mobile number, CNIC or staff username").fill(login)
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if page.url.endswith("/login/code"):  # staff with a second factor: the demo app's code
        page.get_by_label(CODE_LABEL).fill(demo_totp_code(login))
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def csp_violations(page: Page) -> list[str]:
    return page.evaluate("() => window.cspViolations")


def diagram_ready(page: Page, selector: str) -> None:
    expect(page.locator(f"{selector}[data-ready=true]")).to_be_attached()


def test_change_a_timer_validate_deploy_and_see_the_new_version(desk: Page):
    sign_in_at_desk(desk, "analyst")
    desk.goto("analyst")
    shipped = desk.locator("table.versions tbody tr").filter(has_text="v1")
    expect(shipped.get_by_text("Default")).to_be_visible()
    shipped.get_by_role("link", name="Edit a copy").click()
    diagram_ready(desk, "#workbench")

    desk.locator('[data-element-id="unresolved_15_days"]').first.click()
    timer = desk.get_by_label("Timer expression")
    expect(timer).to_have_value('f"P{commissioner_days}D"')  # the days of the decision table (bpmn/sla.dmn)
    expect(desk.get_by_label("Timer kind")).to_have_value("timeDuration")
    timer.fill('"P10D"')
    timer.press("Tab")

    desk.get_by_role("button", name="Validate").click()
    expect(desk.locator("#problems-summary")).to_have_text("No errors: it can be deployed")

    # "With this diagram, a complaint left unassigned goes to the Commissioner on day 10."
    desk.locator("#sim-dc_triage-0-outcome").select_option(label="Leave it waiting (never completed)")
    desk.get_by_role("button", name="Run the simulation").click()
    escalation = desk.locator("#simulation-steps tr").filter(has_text="Timer fires").filter(has_text="unresolved_15_days")
    expect(escalation.locator("td").first).to_have_text("10")
    review = desk.locator("#simulation-steps tr").filter(has_text="Task opens").filter(has_text="commissioner_review")
    expect(review.locator("td").first).to_have_text("10")

    desk.get_by_label("Make it the default for new complaints").check()
    desk.get_by_role("button", name="Deploy as a new version").click()
    expect(desk.locator("#modeler-status")).to_have_text("Say why this version is deployed: a note is required.")
    desk.get_by_label("Why this version (required)").fill("ten days, as the province asked")
    desk.get_by_role("button", name="Deploy as a new version").click()
    # The browser tests share one portal: another test may have deployed a version before this one.
    status = desk.locator("#modeler-status")
    expect(status).to_contain_text(re.compile(r"Deployed complaint version \d+, now the default"))
    version = re.search(r"version (\d+)", status.inner_text()).group(1)
    assert int(version) >= 2
    assert csp_violations(desk) == []

    desk.get_by_role("link", name="See all versions").click()
    newest = desk.locator("table.versions tbody tr").first
    expect(newest).to_contain_text(f"v{version}")
    expect(newest).to_contain_text("by Sana Process Analyst")
    expect(newest).to_contain_text("ten days, as the province asked")
    expect(newest.get_by_text("Default")).to_be_visible()
    expect(desk.locator("table.versions tbody tr").filter(has_text="v1").get_by_role("button", name="Make default")).to_be_visible()
    deployed = desk.request.get(newest.get_by_role("link", name="Download").get_attribute("href")).text()
    assert '"P10D"' in deployed and 'f"P{commissioner_days}D"' not in deployed
    assert 'spiffworkflow:property name="formKey" value="dc_triage"' in deployed

    # What changed from version 1: the timer, listed and marked on the diagram with what changed.
    newest.get_by_role("link", name="Changes").click()
    diagram_ready(desk, "#diagram")
    expect(desk.locator('.djs-element.changed[data-element-id="unresolved_15_days"]')).to_have_count(1)
    expect(desk.locator('[data-container-id="unresolved_15_days"] .diagram-label.changed')).to_have_text("timer")
    expect(desk.locator("#changed")).to_contain_text("unresolved_15_days")
    assert csp_violations(desk) == []


def test_a_broken_timer_is_shown_on_its_element(desk: Page):
    sign_in_at_desk(desk, "analyst")
    desk.goto("analyst/modeler")
    diagram_ready(desk, "#workbench")

    desk.locator('[data-element-id="unresolved_15_days"]').first.click()
    desk.get_by_label("Timer expression").fill("P10D")
    expect(desk.locator("#timer-expression-warning")).to_contain_text('Write it in quotes: "P10D"')
    desk.get_by_label("Timer expression").press("Tab")
    desk.get_by_role("button", name="Validate").click()

    expect(desk.locator("#problems-summary")).to_have_text("Errors: 1. It cannot be deployed.")
    expect(desk.locator(".problems.errors li")).to_contain_text("unresolved_15_days")
    expect(desk.locator('.djs-element.has-error[data-element-id="unresolved_15_days"]')).to_have_count(1)

    # A lane's name is its role: the panel offers the roles.
    desk.evaluate("""() => { const m = window.workbenchModeler;
        m.get('selection').select(m.get('elementRegistry').get('lane_commissioner')); }""")
    expect(desk.get_by_label("Role (the lane's name)")).to_have_value("commissioner")


def test_a_form_defined_as_data_is_checked_with_the_diagram(desk: Page):
    """The forms box under the diagram is sent with Validate: a label missing in Urdu and Pashto is an error."""
    sign_in_at_desk(desk, "analyst")
    desk.goto("analyst/modeler")
    diagram_ready(desk, "#workbench")
    form = {"site_visit": {"title": {"en": "Site visit", "ur": "موقع کا معائنہ", "ps": "د موقع کتنه"},
                           "schema": {"type": "object", "properties": {"findings": {"type": "string"}}},
                           "ui": {"fields": {"findings": {"label": {"en": "Findings"}}}}}}

    desk.get_by_label("Forms of this version (JSON)").fill(json.dumps(form, ensure_ascii=False))
    desk.get_by_role("button", name="Validate").click()

    expect(desk.locator("#problems-summary")).to_have_text("Errors: 1. It cannot be deployed.")
    expect(desk.locator(".problems.errors li")).to_contain_text(
        "form 'site_visit': the label of field 'findings' has no text in ur and ps")
    assert csp_violations(desk) == []


def test_open_a_file_made_in_another_modeler(desk: Page, tmp_path):
    sign_in_at_desk(desk, "analyst")
    desk.goto("analyst")
    download = desk.locator("table.versions tbody tr").filter(has_text="v1").get_by_role("link", name="Download")
    shipped = desk.request.get(download.get_attribute("href")).text()
    # What Camunda Modeler adds: its own namespace and attributes, which must survive an edit; and its own process id.
    drawn_elsewhere = shipped.replace('id="complaint"', 'id="Process_1abc"').replace(
        'processRef="complaint"', 'processRef="Process_1abc"').replace(
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"',
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"',
    ).replace('<bpmn:userTask id="dc_triage" name="Assign to an officer or transfer">',
              '<bpmn:userTask id="dc_triage" name="Triage the complaint" camunda:asyncBefore="true">')
    assert "Triage the complaint" in drawn_elsewhere
    draft = tmp_path / "camunda-draft.bpmn"
    draft.write_text(drawn_elsewhere)
    desk.goto("analyst/modeler")
    diagram_ready(desk, "#workbench")

    desk.locator("#upload").set_input_files(str(draft))

    expect(desk.locator("#draft-name")).to_have_text("camunda-draft.bpmn")
    desk.locator('[data-element-id="dc_triage"]').first.click()
    expect(desk.get_by_label("Form (formKey)")).to_have_value("dc_triage")
    desk.get_by_label("Status the citizen sees").select_option("in_progress")
    desk.get_by_role("button", name="Validate").click()
    expect(desk.locator("#problems-summary")).to_have_text("Errors: 1. It cannot be deployed.")
    expect(desk.locator(".problems.errors li")).to_contain_text("deploy it as a version of 'complaint'")

    # Deploying refuses it and offers the fix; ticking "as a version of complaint" validates it as it would deploy.
    desk.get_by_label("Why this version (required)").fill("drawn in Camunda")
    desk.get_by_role("button", name="Deploy as a new version").click()
    expect(desk.locator("#modeler-status")).to_contain_text("Not deployed")
    expect(desk.get_by_role("button", name="Deploy it as a version of complaint")).to_be_visible()
    desk.get_by_label("Deploy as a version of complaint (renames the file's process)").check()
    desk.get_by_role("button", name="Validate").click()
    expect(desk.locator("#problems-summary")).to_have_text("No errors: it can be deployed")
    saved = desk.evaluate("() => window.workbenchModeler.saveXML({format: true}).then(r => r.xml)")
    assert 'name="Triage the complaint" camunda:asyncBefore="true"' in saved
    assert '<spiffworkflow:property name="status" value="in_progress" />' in saved
    assert "<spiffworkflow:payloadExpression>" in saved  # the signal's payload survives the round trip


def test_staff_open_the_process_view_from_the_complaint_page(desk: Page):
    sign_in_at_desk(desk, "dc.peshawar")
    desk.goto("complaints")
    desk.get_by_role("link", name="Garbage not collected in Hayatabad Phase 3").click()
    desk.get_by_role("link", name="Process diagram").click()
    diagram_ready(desk, "#diagram")

    expect(desk.locator(".djs-element.done").first).to_be_attached()
    expect(desk.locator('.djs-element.open[data-element-id="officer_action"]')).to_have_count(1)
    expect(desk.locator("main")).to_contain_text("Bilal Ahmad (TMO)")
    assert csp_violations(desk) == []


def test_the_citizen_sees_where_the_complaint_is_on_a_phone(phone: Page):
    phone.add_init_script(WATCH_CSP)
    sign_in(phone, "03001234567")
    phone.get_by_role("link", name="Garbage not collected in Hayatabad Phase 3").click()
    phone.get_by_role("link", name="Where is my complaint?").click()
    check_page(phone)

    # Milestones in plain words, not the diagram: no drawing, no task names, no staff names.
    expect(phone.locator("ol.milestones li[aria-current=step]")).to_contain_text("With an officer of")
    expect(phone.locator("#diagram")).to_have_count(0)
    text = phone.locator("main").inner_text()
    assert "Received" in text and "Record the action taken" not in text
    assert not [name for name in DEMO_STAFF_NAMES if name in text]
    assert csp_violations(phone) == []
    sign_out(phone)


ARABIC_SCRIPT = r"[\u0600-\u06FF]"
EASTERN_DIGITS = r"[\u0660-\u0669\u06F0-\u06F9]"


def switch_language(page: Page, code: str) -> None:
    """The header's switch, which saves the choice for the signed-in analyst."""
    with page.expect_navigation():
        page.locator(f".language-switch button[value={code}]").click()


@pytest.mark.parametrize("language", ["ur", "ps"])
def test_the_modeler_speaks_the_analysts_language(desk: Page, language):
    """bpmn-js's palette and the workbench's own scripts (panel, validation, simulation) in Urdu and Pashto."""
    sign_in_at_desk(desk, "analyst")
    switch_language(desk, language)
    try:
        desk.goto("analyst/modeler")
        diagram_ready(desk, "#workbench")
        assert desk.evaluate("document.documentElement.lang") == language

        # bpmn-js's own texts, through its translate module.
        start = desk.locator('.djs-palette [data-action="create.start-event"]')
        assert re.search(ARABIC_SCRIPT, start.get_attribute("aria-label")), start.get_attribute("aria-label")
        # The side panel and the simulation form, built by the portal's scripts.
        expect(desk.locator("#properties p.meta")).to_have_text(re.compile(ARABIC_SCRIPT))
        desk.locator('[data-element-id="unresolved_15_days"]').first.click()
        expect(desk.locator("label[for=timer-expression]")).to_have_text(re.compile(ARABIC_SCRIPT))
        desk.locator("#timer-expression").fill("P10D")
        expect(desk.locator("#timer-expression-warning")).to_have_text(re.compile(ARABIC_SCRIPT))
        desk.locator("#timer-expression").press("Tab")

        # Validation: the summary from the script, the message from the server, both in the language.
        desk.locator("#validate").click()
        expect(desk.locator("#problems-summary")).to_have_text(re.compile(ARABIC_SCRIPT))
        problem = desk.locator(".problems.errors li").first
        expect(problem).to_contain_text("unresolved_15_days")
        expect(problem).to_have_text(re.compile(ARABIC_SCRIPT))
        assert not re.search("does not evaluate|line ", problem.inner_text())

        # The simulation of the shipped draft: headers, kinds and details in the language, days in Latin digits.
        desk.locator("#timer-expression").fill('"P10D"')
        desk.locator("#timer-expression").press("Tab")
        desk.locator("#simulate").click()
        table = desk.locator("#simulation-steps")
        expect(table).to_be_visible()
        headers = table.locator("thead th").all_inner_texts()
        assert all(re.search(ARABIC_SCRIPT, h) for h in headers), headers
        body = table.locator("tbody").inner_text()
        assert "Task opens" not in body and "no answer in the scenario" not in body
        assert not re.search(EASTERN_DIGITS, body + desk.locator("#simulation-summary").inner_text())
        assert re.search(ARABIC_SCRIPT, desk.locator("#simulation-summary").inner_text())
        assert csp_violations(desk) == []
    finally:
        switch_language(desk, "en")
