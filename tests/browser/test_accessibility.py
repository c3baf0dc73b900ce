"""WCAG 2.2 AA on every page type, checked by axe-core in a real Chromium against a real, seeded portal.

Each role signs in once (one context, one page, reused): its pages are audited in Urdu and in
English, each at 1280 px and then, resized in place, at 360 px. axe-core comes from npm
(node_modules/axe-core, a dev dependency the portal never serves) and is injected into the page
under test; the contexts bypass the Content-Security-Policy only so that injected copy can run
(test_error_summary_takes_focus checks the portal's own script under the real policy).

The test prints a table of every page visited and fails on any violation of impact "serious" or
"critical", naming the rule, its impact, the elements and axe's help text. Beside axe, every page
must open with the skip link as its first focusable element (shown when focused), have one <main>
and one <h1>, and fit its width without sideways scrolling.
"""
from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, demo_totp_code
from tests.browser.test_journey import CODE_LABEL, PASSWORD, PASSWORD_LABEL

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING = ("critical", "serious")
IMPACTS = ("critical", "serious", "moderate", "minor")
WIDTHS = (1280, 360)
LANGUAGES = ("ur", "en")  # English last: the seeded accounts keep the language they had
HEIGHT = 800

RUN_AXE = """async tags => {
    const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        targets: v.nodes.map(n => n.target.join(' '))}));
}"""
# What the keyboard meets first (the focus, or the first focusable element when a script moved the focus),
# whether it is shown, and the page's landmarks and headings.
STRUCTURE = r"""pressed => {
    const focusable = 'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])';
    const first = pressed ? document.activeElement : document.querySelector(focusable);
    const box = first.getBoundingClientRect();
    return {
        first: first.tagName.toLowerCase() + (first.className ? '.' + first.className : ''),
        firstHref: first.getAttribute('href'), firstText: first.textContent.trim(),
        shown: box.width > 1 && box.height > 1 && box.bottom > 0 && box.top < innerHeight,
        target: /^#[\w-]+$/.test(first.getAttribute('href') || '') && !!document.querySelector(first.getAttribute('href')),
        mains: document.querySelectorAll('main').length,
        h1s: document.querySelectorAll('h1').length,
    };
}"""


@dataclass
class Audit:
    role: str
    name: str
    language: str
    width: int
    violations: list[dict]

    def count(self, impact: str) -> int:
        return sum(1 for v in self.violations if v["impact"] == impact)


@dataclass
class Report:
    audits: list[Audit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # skip link, landmarks, headings
    seconds: dict[tuple, float] = field(default_factory=dict)

    def table(self) -> str:
        lines = [f"{'role':<16} {'page':<22} {'lang':<4} {'width':>5}  "
                 + " ".join(f"{i:>8}" for i in IMPACTS) + f"  {'s':>4}  rules"]
        for a in self.audits:
            rules = ",".join(sorted({v["id"] for v in a.violations}))
            seconds = self.seconds.get((a.role, a.name, a.language), 0)
            lines.append(f"{a.role:<16} {a.name:<22} {a.language:<4} {a.width:>5}  "
                         + " ".join(f"{a.count(i):>8}" for i in IMPACTS) + f"  {seconds:4.1f}  {rules}")
        totals = Counter(v["impact"] for a in self.audits for v in a.violations)
        lines.append(f"{len(self.audits)} audits of {len({(a.role, a.name) for a in self.audits})} pages; "
                     + ", ".join(f"{i} {totals.get(i, 0)}" for i in IMPACTS))
        return "\n".join(lines)

    def failures(self) -> str:
        """Each failing rule once per element, with the pages it was found on."""
        found: dict[tuple, list[str]] = defaultdict(list)
        for a in self.audits:
            for v in a.violations:
                if v["impact"] in FAILING:
                    for target in v["targets"]:
                        found[(v["id"], v["impact"], v["help"], target)].append(
                            f"{a.role}/{a.name} {a.language} {a.width}px")
        return "\n".join(f"{rule} ({impact}) {target}: {help_}\n    on {', '.join(sorted(set(where))[:6])}"
                         + (f" and {len(set(where)) - 6} more" if len(set(where)) > 6 else "")
                         for (rule, impact, help_, target), where in found.items())


class Auditor:
    """One role's page: visits, audits at both widths, checks the skip link, landmarks and reflow."""

    def __init__(self, page: Page, role: str, report: Report):
        self.page, self.role, self.report = page, role, report
        self.language = "en"

    def audit(self, name: str, go: str | Callable[[Page], None], ready: str | None = None) -> None:
        page = self.page
        started = time.monotonic()
        page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
        if isinstance(go, str):
            response = page.goto(go)
            assert response.ok, f"{self.role}: {go} answered {response.status}"
        else:
            go(page)
        page.wait_for_load_state()
        if ready:
            expect(page.locator(ready)).to_be_attached()
        assert page.evaluate("document.documentElement.lang") == self.language, f"{name} is not in {self.language}"
        self.check_structure(name)
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": HEIGHT})
            violations = page.evaluate(RUN_AXE, TAGS)
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:  # WCAG 1.4.10: reading needs no sideways scrolling (wide tables scroll inside)
                self.report.problems.append(f"{self.role}/{name} ({self.language}) is {wide} px wide at {width} px")
            self.report.audits.append(Audit(self.role, name, self.language, width, violations))
        self.report.seconds[(self.role, name, self.language)] = time.monotonic() - started

    def check_structure(self, name: str) -> None:
        """The skip link comes first (a rejected form's summary holds the focus instead), and is shown when focused."""
        page = self.page
        where = f"{self.role}/{name} ({self.language})"
        summary = page.evaluate("document.activeElement.matches('.error-summary')")
        if page.locator(".error-summary").count() and not summary:
            self.report.problems.append(f"{where}: the error summary did not take the focus")
        if summary:
            page.evaluate("document.querySelector('.skip-link').focus()")
        else:
            page.keyboard.press("Tab")
        s = page.evaluate(STRUCTURE, not summary)
        if not (s["firstHref"] == "#main" and s["target"]):
            self.report.problems.append(f"{where}: the first focusable element is {s['first']} "
                                        f"({s['firstText'][:40]!r}), not the skip link to #main")
        elif not s["shown"]:
            self.report.problems.append(f"{where}: the skip link is not visible when focused")
        if s["mains"] != 1 or s["h1s"] != 1:
            self.report.problems.append(f"{where}: {s['mains']} <main> and {s['h1s']} <h1>")
        page.evaluate("document.activeElement.blur()")  # axe audits the page at rest

    def switch_language(self, code: str, signed_in: bool) -> None:
        if signed_in:  # the saved choice wins over the cookie: use the switch, which saves it
            with self.page.expect_navigation():
                self.page.locator(f".language-switch button[value={code}]").click()
        else:
            origin = re.match(r"https?://[^/]+", self.page.url).group()
            self.page.context.add_cookies([{"name": "lang", "value": code, "url": origin + "/"}])
        self.language = code


def href(page: Page, path: str, selector: str) -> str:
    page.goto(path)
    link = page.locator(selector).first
    expect(link).to_be_attached()
    return link.get_attribute("href")


def rejected(path: str, form: str = "main form.form") -> Callable[[Page], None]:
    """Open the page and send its form empty: the portal answers with the form and its errors."""
    def go(page: Page) -> None:
        page.goto(path)
        with page.expect_navigation():
            page.locator(f"{form} button[type=submit]").last.click()
        expect(page.locator(".error-summary")).to_be_attached()
    return go


def sign_in(page: Page, login: str) -> None:
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


def public_pages(page: Page) -> list:
    area = href(page, "statistics", "a[href*='/statistics/district/']")
    return [("landing", ""), ("sign-in", "login"), ("register", "register"),
            ("register (rejected)", rejected("register")), ("statistics", "statistics"),
            ("area statistics", area), ("password forgot", "password/forgot")]


def citizen_pages(page: Page) -> list:
    complaint = href(page, "my/complaints", "main .cards a[href*='/complaints/']")
    return [("my complaints", "my/complaints"), ("lodge", "my/complaints/new"),
            ("lodge (rejected)", rejected("my/complaints/new")), ("complaint page", complaint),
            ("notifications", "notifications")]


def officer_pages(page: Page) -> list:
    task = href(page, "inbox", "main .cards a[href*='/tasks/']")
    complaint = href(page, task, "main a[href*='/complaints/']")
    return [("inbox", "inbox"), ("task page", task), ("task (rejected)", rejected(task)),
            ("complaint page", complaint)]


def dc_pages(page: Page) -> list:
    reveal = href(page, "district/citizens", "main a[href*='/personal-data']").lstrip("/")
    return [("inbox", "inbox"), ("list with filters", "complaints?status=open&age=16-22&escalated=1"),
            ("dashboard", "dashboard"), ("officers", "district/officers"), ("citizens", "district/citizens"),
            ("personal data request", reveal), ("personal data request (rejected)", rejected(reveal))]


def analyst_pages(page: Page) -> list:
    version = href(page, "analyst", "main a[href*='/analyst/versions/']:not([href$='/xml'])")
    return [("processes", "analyst"), ("version", (version, "#diagram[data-ready=true]")),
            ("forms", "analyst/forms"), ("modeler", ("analyst/modeler", "#workbench[data-ready=true]")),
            ("migrate", "analyst/migrate"), ("incidents", "analyst/incidents"),
            ("changes", version.rstrip("/") + "/changes")]
    # The decision table editor (dmn-js) is audited by test_the_decision_table_page_meets_wcag_22_aa below.


DECISION_TABLES = ("decision tables", ("analyst/decisions", "#decisions[data-ready=true]"))



def admin_pages(page):
    page.goto("admin/staff")
    member = page.locator("tbody th a").first.get_attribute("href").lstrip("/")
    return [("staff", "admin/staff"), ("staff member", member), ("audit log", "admin/audit"),
            ("API keys", "admin/api-keys"), ("delivery", "admin/notifications"),
            ("personal data log", "admin/personal-data-access"), ("closures", "admin/closures")]


ROLES = [
    ("public", None, public_pages),
    ("citizen", "03001234567", citizen_pages),
    ("officer", "officer.lg.peshawar", officer_pages),
    ("dc", "dc.peshawar", dc_pages),
    ("commissioner", "commissioner.peshawar", lambda page: [("dashboard", "dashboard"), ("list", "complaints")]),
    ("chief secretary", "cs", lambda page: [("dashboard", "dashboard")]),
    ("analyst", "analyst", analyst_pages),
    ("admin", "admin", lambda page: admin_pages(page)),
]


def test_every_page_type_meets_wcag_22_aa(browser, portal, capsys):
    audit_roles(browser, portal, capsys, ROLES)


def test_the_decision_table_page_meets_wcag_22_aa(browser, portal, capsys):
    """dmn-js draws its own controls (the "Add rule" +, the cells' context buttons); analyst.css sizes them.

    Its own test, so that `-k decision` audits it alone; run with the others, it adds one page to the table."""
    audit_roles(browser, portal, capsys, [("analyst", "analyst", lambda page: [DECISION_TABLES])])


def audit_roles(browser, portal, capsys, roles) -> None:
    assert AXE.is_file(), f"no {AXE}: run `make install` (npm ci installs axe-core)"
    report = Report()
    for role, login, pages_of in roles:
        context = browser.new_context(base_url=portal, bypass_csp=True,
                                      viewport={"width": WIDTHS[0], "height": HEIGHT})
        context.set_default_timeout(15_000)
        page = context.new_page()
        auditor = Auditor(page, role, report)
        try:
            if login:
                sign_in(page, login)
            pages = pages_of(page)
            for language in LANGUAGES:
                auditor.switch_language(language, signed_in=bool(login))
                for name, target in pages:
                    go, ready = target if isinstance(target, tuple) else (target, None)
                    auditor.audit(name, go, ready)
        finally:
            if login and auditor.language != "en":
                auditor.switch_language("en", signed_in=True)
            context.close()

    with capsys.disabled():
        print("\n" + report.table())
    failures = report.failures()
    assert not failures and not report.problems, (
        "\n".join(report.problems) + "\n" + failures + "\n\n" + report.table())


def test_error_summary_takes_focus(browser, portal):
    """Under the real Content-Security-Policy, the rejected form's summary takes the focus and the title says Error."""
    context = browser.new_context(base_url=portal, **PHONE)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.goto("register")
        page.get_by_label("CNIC").fill("17301-12345")
        with page.expect_navigation():
            page.get_by_role("button", name="Register").click()
        summary = page.locator(".error-summary")
        expect(summary).to_be_focused()
        expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
        expect(page).to_have_title(re.compile(r"^Error: Register"))
        summary.get_by_role("link").filter(has_text="13 digits").click()
        expect(page.get_by_label("CNIC")).to_be_focused()
        assert violations == []
    finally:
        context.close()
