"""The administrator keeps departments and categories: names in three languages, new ones, deactivation
instead of deletion. A deactivated one is no longer offered anywhere a new complaint or officer is made."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import AuditEntry, Category, Department, District, Office, Role
from app.services import organisation
from app.services.interop import open311
from tests.app.helpers import complaint_form, fresh, lodge, text_of
from tests.conftest import login


@pytest.fixture()
def admin(client, make_user):
    admin = make_user(Role.ADMIN)
    login(client, admin)
    return admin


def first_category(session) -> Category:
    return organisation.categories_by_department(session)[0][1][0]


def actions(session):
    session.expire_all()
    return [(e.action, e.subject, e.details) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_the_administrator_renames_a_department_in_three_languages(client, session, admin):
    health = session.scalar(select(Department).where(Department.code == "HEALTH"))

    response = client.post(f"/admin/departments/{health.id}", data={
        "name": "Health  and Population", "name_ur": "محکمہ صحت و بہبود آبادی", "name_ps": "د روغتيا او نفوس څانګه"})

    assert response.status_code == 302
    health = fresh(session, Department, health.id)
    assert (health.name, health.name_ur, health.name_ps) == (
        "Health and Population", "محکمہ صحت و بہبود آبادی", "د روغتيا او نفوس څانګه")
    assert actions(session) == [("department.renamed", f"department:{health.id}",
                                 {"code": "HEALTH", "before": "Health", "after": "Health and Population"})]


def test_an_empty_english_name_is_refused_keeping_the_input(client, session, admin):
    category = first_category(session)
    response = client.post(f"/admin/categories/{category.id}", data={"name": " ", "name_ur": "نیا نام"})
    assert response.status_code == 400
    page = text_of(response)
    assert "Write the English name (3 to 120 characters)." in page and 'value="نیا نام"' in page
    assert fresh(session, Category, category.id).name == category.name and actions(session) == []


def test_a_deactivated_category_is_no_longer_offered_but_old_complaints_keep_it(
        app, client, session, admin, make_user, places):
    category = first_category(session)
    citizen = make_user(Role.CITIZEN)
    earlier = lodge(session, citizen, places["peshawar"])  # under the first category, too

    assert client.post(f"/admin/categories/{category.id}/active", data={"active": "0"}).status_code == 302

    assert fresh(session, Category, category.id).active is False
    assert category.id not in {c.id for _, listed in organisation.categories_by_department(session) for c in listed}
    assert category.code not in {s["service_code"] for s in open311.list_services(session)}
    citizen_browser = app.test_client()
    login(citizen_browser, citizen)
    assert f'value="{category.id}"' not in citizen_browser.get("/my/complaints/new").get_data(as_text=True)
    refused = citizen_browser.post("/my/complaints/new", data=complaint_form(category, places["peshawar"]))
    assert refused.status_code == 400 and "Choose a category." in text_of(refused)
    assert category.name in text_of(citizen_browser.get(f"/complaints/{earlier.id}"))
    assert [a[0] for a in actions(session)] == ["category.deactivated"]

    client.post(f"/admin/categories/{category.id}/active", data={"active": "1"})
    session.expire_all()
    assert category.id in {c.id for _, listed in organisation.categories_by_department(session) for c in listed}
    assert [a[0] for a in actions(session)] == ["category.deactivated", "category.reactivated"]


def test_a_deactivated_department_offers_neither_its_categories_nor_itself(client, session, admin):
    department, listed = organisation.categories_by_department(session)[0]

    client.post(f"/admin/departments/{department.id}/active", data={"active": "0"})

    session.expire_all()
    assert department.id not in {d.id for d in organisation.departments(session)}
    assert department.id not in {d.id for d, _ in organisation.categories_by_department(session)}
    assert not ({c.code for c in listed} & {s["service_code"] for s in open311.list_services(session)})
    assert all(c.active for c in listed)  # its categories come back with it


def test_the_administrator_adds_a_department_with_an_office_in_every_district(client, session, admin):
    response = client.post("/admin/departments", data={
        "code": "tourism", "name": "Tourism and Culture", "name_ur": "سیاحت و ثقافت", "name_ps": "ګرځندوی او کلتور"})

    assert response.status_code == 302
    tourism = session.scalar(select(Department).where(Department.code == "TOURISM"))
    assert (tourism.name, tourism.name_ur, tourism.active) == ("Tourism and Culture", "سیاحت و ثقافت", True)
    offices = session.scalar(select(func.count()).select_from(Office).where(Office.department_id == tourism.id))
    assert offices == session.scalar(select(func.count()).select_from(District))
    assert [a[0] for a in actions(session)] == ["department.added"]

    added = client.post("/admin/categories", data={"department_id": tourism.id, "code": "TOURISM-SITE-DIRTY",
                                                   "name": "Tourist site not cleaned"})
    assert added.status_code == 302
    assert (tourism.id, ["Tourist site not cleaned"]) in [
        (d.id, [c.name for c in listed]) for d, listed in organisation.categories_by_department(session)]


def test_a_taken_or_malformed_code_is_refused(client, session, admin):
    taken = client.post("/admin/departments", data={"code": "HEALTH", "name": "Health again"})
    malformed = client.post("/admin/categories", data={"code": "bad code!", "name": "x", "department_id": ""})

    assert taken.status_code == 400 and "This code is taken." in text_of(taken)
    page = text_of(malformed)
    assert malformed.status_code == 400
    assert "Capital letters, digits and dashes, as in the codes above." in page
    assert "Choose the department." in page and "Write the English name (3 to 120 characters)." in page
    assert actions(session) == []


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_only_the_administrator_keeps_departments(client, session, make_user, role):
    login(client, make_user(role))
    category = first_category(session)
    assert client.get("/admin/departments").status_code == 403
    assert client.post(f"/admin/categories/{category.id}/active", data={"active": "0"}).status_code == 403
    assert fresh(session, Category, category.id).active is True
