"""What makes the pages usable with a screen reader and a keyboard, read from the HTML the portal sends.

A rejected form opens with an error summary ("There is a problem", a link to each field with an error,
focused by a script file, never an inline script) and its page title starts with "Error:"; each field
names its hint and its error in aria-describedby and is aria-invalid while wrong; every page starts
with a skip link to its one <main>. axe-core checks the rendered pages in a browser
(tests/browser/test_accessibility.py).
"""
from __future__ import annotations

import pytest
from lxml import html as lxml_html

from app.models import Role
from tests.app.helpers import (
    category, complaint_form, lodge, open_tasks, post_with_photo, snapshot,
)
from tests.conftest import login

SUMMARY = "//div[contains(concat(' ', @class, ' '), ' error-summary ')]"


def parse(response):
    return lxml_html.fromstring(response.get_data(as_text=True))


def ids_of(doc) -> set[str]:
    return set(doc.xpath("//@id"))


def check_error_summary(response, fields: list[str], links: dict[str, str] | None = None) -> None:
    """The rejected page: status 400, "Error:" title, a summary linking each field to an element there.

    `links` maps a field to the id its link must reach when that is not the field's name (a radio group).
    """
    assert response.status_code == 400
    doc = parse(response)
    assert doc.findtext(".//title").startswith("Error: ")
    (summary,) = doc.xpath(SUMMARY)
    assert summary.get("tabindex") == "-1" and summary.get("data-error-summary") is not None
    assert summary.xpath("string(.//h2)").strip() == "There is a problem"
    assert summary.xpath(".//*[@role='alert']"), "the summary is announced when the page opens"
    hrefs = summary.xpath(".//li/a/@href")
    expected = ["#" + (links or {}).get(field, field) for field in fields]
    assert sorted(hrefs) == sorted(expected)
    ids = ids_of(doc)
    assert all(href[1:] in ids for href in hrefs), f"a summary link reaches nothing: {hrefs}"
    # The summary comes before the form it is about, and its focus script is a file (the CSP forbids inline ones).
    form = doc.xpath("//main//form[@method='post' and contains(@class, 'form')]")[0]
    order = list(doc.iter())
    assert order.index(summary) < order.index(form)
    scripts = doc.xpath("//script")
    assert "/static/focus-error-summary.js" in [s.get("src") for s in scripts if s.getparent() is summary.getparent()]
    assert not [s for s in scripts if not s.get("src")], "inline script"
    check_described_fields(doc, fields, links)


def check_described_fields(doc, invalid: list[str], links: dict[str, str] | None = None) -> None:
    """Every aria-invalid field names existing hint/error ids, and every field with an error is aria-invalid."""
    ids = ids_of(doc)
    marked = doc.xpath("//*[@aria-invalid='true']")
    for element in marked:
        described = (element.get("aria-describedby") or "").split()
        assert described, f"{element.get('id')} is invalid but describes nothing"
        assert all(i in ids for i in described), f"{element.get('id')} names missing ids {described}"
        assert any(i.startswith(element.get("name") + "-error") for i in described)
    assert {e.get("name") for e in marked} == set(invalid)
    for field in invalid:
        (error,) = doc.xpath(f"//*[@id='{field}-error']")
        assert "field-error" in error.get("class") and error.text_content().strip()
        target = doc.get_element_by_id((links or {}).get(field, field))
        assert target.get("aria-invalid") == "true"
        assert f"{field}-error" in target.get("aria-describedby").split()


def test_a_rejected_registration_opens_with_an_error_summary(client, places):
    form = {"full_name": "Bilal Ahmad", "cnic": "17301-12345", "mobile": "0300-1234567",
            "district_id": str(places["peshawar"].id), "password": "short", "password_confirm": "short"}

    response = client.post("/register", data=form)

    check_error_summary(response, ["cnic", "password"])
    doc = parse(response)
    assert doc.get_element_by_id("cnic").get("aria-describedby") == "cnic-hint cnic-error"
    assert doc.get_element_by_id("cnic-hint").text_content().startswith("13 digits")
    assert doc.get_element_by_id("mobile").get("aria-describedby") == "mobile-hint"  # right, still hinted
    assert doc.get_element_by_id("mobile").get("aria-invalid") is None
    assert "Please correct the fields marked below." in doc.xpath(f"string({SUMMARY})")


def test_a_form_shown_first_has_no_summary_and_no_error_title(client):
    doc = parse(client.get("/register"))
    assert not doc.xpath(SUMMARY) and not doc.xpath("//*[@aria-invalid]")
    assert doc.findtext(".//title") == "Register · Khyber Pakhtunkhwa"
    assert doc.get_element_by_id("cnic").get("aria-describedby") == "cnic-hint"
    assert doc.get_element_by_id("district_id").get("aria-describedby") is None  # no hint, no error


def test_a_rejected_lodge_form_links_to_each_field_selects_too(client, session, make_user, places):
    login(client, make_user(Role.CITIZEN))
    form = complaint_form(category(session), places["peshawar"], category_id="", subject="Bad", description="Short")
    form["district_id"] = ""
    before = snapshot(session)

    response = client.post("/my/complaints/new", data=form)

    check_error_summary(response, ["category_id", "district_id", "subject", "description"])
    doc = parse(response)
    assert doc.get_element_by_id("category_id").tag == "select" and doc.get_element_by_id("description").tag == "textarea"
    assert snapshot(session) == before


def test_a_rejected_photo_is_tied_to_the_file_input(app, client, session, make_user, places):
    login(client, make_user(Role.CITIZEN))
    form = complaint_form(category(session), places["peshawar"])

    response = post_with_photo(client, "/my/complaints/new", form, b"not a photo at all")

    check_error_summary(response, ["photos"])
    photo = parse(response).get_element_by_id("photos")
    assert photo.get("type") == "file"
    assert photo.get("aria-describedby") == "photos-hint photos-error"  # "choose the photos again", then why


def test_a_rejected_task_form_links_to_the_first_radio_button(client, session, make_user, places):
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, citizen, places["peshawar"])
    (triage,) = open_tasks(session, complaint)
    login(client, dc)

    response = client.post(f"/tasks/{triage.id}", data={})

    check_error_summary(response, ["decision"], links={"decision": "decision-0"})
    radios = parse(response).xpath("//input[@name='decision']")
    assert len(radios) >= 2 and all(r.get("aria-invalid") == "true" for r in radios)


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.DISTRICT_OFFICER, Role.DEPUTY_COMMISSIONER, Role.COMMISSIONER,
                                  Role.CHIEF_SECRETARY, Role.ANALYST, Role.ADMIN, None], ids=lambda r: r.value if r else "anonymous")
def test_every_page_opens_with_a_skip_link_to_its_one_main(client, session, make_user, places, role):
    citizen = make_user(Role.CITIZEN)
    complaint = lodge(session, citizen, places["peshawar"])
    (triage,) = open_tasks(session, complaint)
    pages = ["/", "/login", "/register", "/statistics", f"/statistics/district/{places['peshawar'].id}",
             "/password/forgot", "/password/reset", "/no-such-page"]
    user = citizen if role is Role.CITIZEN else make_user(role) if role else None
    if user:
        login(client, user)
        pages += ["/notifications", f"/complaints/{complaint.id}", f"/tasks/{triage.id}"]
        pages += {
            Role.CITIZEN: ["/my/complaints", "/my/complaints/new", "/inbox"],
            Role.DISTRICT_OFFICER: ["/inbox", "/complaints"],
            Role.DEPUTY_COMMISSIONER: ["/inbox", "/complaints?status=open&overdue=1", "/dashboard",
                                       "/district/officers", "/district/citizens"],
            Role.COMMISSIONER: ["/dashboard", "/complaints"],
            Role.CHIEF_SECRETARY: ["/dashboard", "/complaints"],
            Role.ANALYST: ["/analyst", "/analyst/forms", "/analyst/modeler", "/analyst/migrate", "/analyst/incidents",
                           f"/complaints/{complaint.id}/process"],
            Role.ADMIN: ["/admin/staff", f"/admin/staff/{user.id}", "/admin/audit", "/admin/departments", "/admin/closures", "/admin/api-keys",
                         "/admin/notifications", "/analyst"],
        }[role]
    for path in pages:
        response = client.get(path)
        if response.status_code in (301, 302, 303) or not response.content_type.startswith("text/html"):
            continue
        doc = parse(response)
        body = doc.find("body")
        first = body[0]
        assert (first.tag, first.get("class"), first.get("href")) == ("a", "skip-link", "#main"), path
        assert first.text_content() == "Skip to main content"
        assert len(doc.xpath("//main")) == 1 and doc.xpath("//main/@id") == ["main"], path
        assert len(doc.xpath("//h1")) == 1, path
        assert all(nav.get("aria-label") for nav in doc.xpath("//nav")), f"unlabelled navigation on {path}"
        for table in doc.xpath("//table"):
            region = table.getparent()
            assert region.get("class") == "table-scroll" and region.get("role") == "region", path
            assert region.get("aria-label") and region.get("tabindex") == "0", path
            assert all(th.get("scope") in ("col", "row") for th in table.xpath(".//th")), path
        for svg in doc.xpath("//*[local-name()='svg' and @role='img']"):
            title = svg.xpath("./*[local-name()='title']")
            assert title and title[0].get("id") in svg.get("aria-labelledby", "").split(), path


def test_axe_core_is_never_served(client):
    """axe-core is a dev dependency for the browser test: no URL of the portal serves it."""
    for path in ("/vendor/axe-core/-/axe.min.js", "/vendor/axe-core/-/axe.js", "/static/axe.min.js"):
        assert client.get(path).status_code == 404
