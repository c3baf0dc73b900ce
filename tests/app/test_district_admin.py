"""A Deputy Commissioner manages the district: officers and citizen accounts."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.models import Complaint, HumanTask, Role, User
from app.services.people import accounts
from app.services import organisation
from tests.app.helpers import (
    assign,
    events,
    field_value,
    fresh,
    lodge,
    open_tasks,
    reread,
    text_of,
)
from tests.conftest import PASSWORD, login


@pytest.fixture()
def dc(client, make_user):
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    login(client, dc)
    return dc


def officer_form(session, **overrides) -> dict:
    form = {
        "full_name": "Inspector Gul Khan",
        "username": "gul.khan",
        "password": "first-password-1",
        "department_id": str(organisation.departments(session)[0].id),
        "mobile": "+92 301 7654321",
    }
    form.update(overrides)
    return form


def test_dc_adds_an_officer_who_appears_in_the_assign_dropdown(client, session, make_user, places, dc):
    response = client.post("/district/officers", data=officer_form(session))

    assert response.status_code == 302 and response.headers["Location"] == "/district/officers"
    page = text_of(client.get("/district/officers"))
    assert "Inspector Gul Khan can now sign in as gul.khan." in page and "<td>gul.khan</td>" in page
    officer = session.scalar(select(User).where(User.username == "gul.khan"))
    assert (officer.role, officer.district_id) == (Role.DISTRICT_OFFICER, places["peshawar"].id)
    assert officer.department_id == organisation.departments(session)[0].id and officer.mobile == "03017654321"
    assert check_password_hash(officer.password_hash, "first-password-1")

    complaint = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    (triage,) = open_tasks(session, complaint)
    assert f'<option value="{officer.id}">Inspector Gul Khan (' in client.get(f"/tasks/{triage.id}").get_data(as_text=True)


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"username": "TAKEN"}, "username", "This username is taken."),
    ({"password": "short"}, "password", "Use at least 12 characters."),
    ({"department_id": ""}, "department_id", "Choose the department."),
], ids=["duplicate-username", "short-password", "no-department"])
def test_invalid_officer_is_refused_field_by_field(client, session, make_user, dc, overrides, field, message):
    if overrides.get("username") == "TAKEN":
        overrides = {"username": make_user(Role.DISTRICT_OFFICER).username}
    form = officer_form(session, **overrides)
    reread(session)
    users_before = session.scalars(select(User.id)).all()

    response = client.post("/district/officers", data=form)

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'<span class="field-error" id="{field}-error">{message}</span>' in html
    assert field_value(response, "full_name") == form["full_name"] and field_value(response, "username") == form["username"]
    assert field_value(response, "password") == "" and form["password"] not in html
    reread(session)
    assert session.scalars(select(User.id)).all() == users_before


def test_deactivating_an_officer_sends_open_work_back_to_the_dc(app, client, session, make_user, places, dc):
    complaint = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id, name="Inspector Gul Khan")
    assign(session, complaint, dc, officer)
    (action,) = open_tasks(session, complaint)
    assert action.form_key == "officer_action" and action.assignee_id == officer.id

    response = client.post(f"/district/officers/{officer.id}/deactivate")

    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "1 open complaint(s) are back in your inbox" in page and "could not be taken back" not in page
    assert fresh(session, User, officer.id).active is False
    assert fresh(session, Complaint, complaint.id).officer_id is None
    assert session.get(HumanTask, action.id).completed_at is not None
    (triage,) = open_tasks(session, complaint)
    assert triage.form_key == "dc_triage" and triage.role is Role.DEPUTY_COMMISSIONER
    assert events(session, complaint) == ["lodged", "assigned", "returned_to_dc"]
    timeline = text_of(client.get(f"/complaints/{complaint.id}"))
    assert "Inspector Gul Khan was deactivated; the complaint is back with the Deputy Commissioner." in timeline
    assert complaint.tracking_number in text_of(client.get("/inbox"))
    assert f'<option value="{officer.id}">Inspector Gul Khan (' not in client.get(f"/tasks/{triage.id}").get_data(as_text=True)

    officer_client = app.test_client()
    refused = officer_client.post("/login", data={"login": officer.username, "password": PASSWORD})
    assert refused.status_code == 401 and "This account is deactivated." in text_of(refused)


def test_dc_cannot_deactivate_an_officer_of_another_district(client, session, make_user, places, dc):
    elsewhere = make_user(Role.DISTRICT_OFFICER, district=places["nowshera"])
    assert client.post(f"/district/officers/{elsewhere.id}/deactivate").status_code == 404
    assert fresh(session, User, elsewhere.id).active is True


def test_dc_sees_the_citizens_of_the_district_only(client, make_user, places, dc):
    make_user(Role.CITIZEN, name="Bilal Ahmad")
    make_user(Role.CITIZEN, name="Zainab Bibi")
    make_user(Role.CITIZEN, name="Nowshera Resident", district=places["nowshera"])

    page = text_of(client.get("/district/citizens"))
    assert "Citizens of Peshawar" in page and "Bilal Ahmad" in page and "Zainab Bibi" in page
    assert "Nowshera Resident" not in page

    found = text_of(client.get("/district/citizens?q=zainab"))
    assert "Zainab Bibi" in found and "Bilal Ahmad" not in found
    assert "Nowshera Resident" not in text_of(client.get("/district/citizens?q=Nowshera"))


def test_block_with_a_reason_records_who_when_and_why(client, session, make_user, dc):
    citizen = make_user(Role.CITIZEN, name="Bilal Ahmad")
    before = datetime.now(timezone.utc)

    response = client.post(f"/district/citizens/{citizen.id}/block", data={"reason": "  Forty fake complaints  "})

    assert response.status_code == 302 and response.headers["Location"] == "/district/citizens"
    blocked = fresh(session, User, citizen.id)
    assert blocked.blocked_by_id == dc.id and blocked.blocked_reason == "Forty fake complaints"
    assert before <= blocked.blocked_at <= datetime.now(timezone.utc)
    page = text_of(client.get("/district/citizens"))
    assert "Bilal Ahmad is blocked." in page and "Forty fake complaints" in page
    assert f'action="/district/citizens/{citizen.id}/unblock"' in page

    assert client.post(f"/district/citizens/{citizen.id}/unblock").status_code == 302
    unblocked = fresh(session, User, citizen.id)
    assert (unblocked.blocked_at, unblocked.blocked_reason, unblocked.blocked_by_id) == (None, None, None)


@pytest.mark.parametrize("reason", ["", "   ", "bad"], ids=["empty", "blank", "too-short"])
def test_block_without_a_reason_is_refused(client, session, make_user, dc, reason):
    citizen = make_user(Role.CITIZEN)

    response = client.post(f"/district/citizens/{citizen.id}/block", data={"reason": reason})

    assert response.status_code == 302
    assert "Give the reason for blocking (it is recorded)." in text_of(client.get(response.headers["Location"]))
    assert fresh(session, User, citizen.id).blocked_at is None


def test_dc_cannot_block_or_unblock_a_citizen_of_another_district(client, session, make_user, places, dc):
    elsewhere = make_user(Role.CITIZEN, district=places["nowshera"])
    nowshera_dc = make_user(Role.DEPUTY_COMMISSIONER, district=places["nowshera"])

    assert client.post(f"/district/citizens/{elsewhere.id}/block", data={"reason": "Not my district"}).status_code == 404
    assert fresh(session, User, elsewhere.id).blocked_at is None

    accounts.block_citizen(session, nowshera_dc, elsewhere.id, "Blocked by their own DC")
    session.commit()
    assert client.post(f"/district/citizens/{elsewhere.id}/unblock").status_code == 404
    assert fresh(session, User, elsewhere.id).blocked_by_id == nowshera_dc.id


def test_a_dcs_officer_accounts_are_in_the_audit_log(client, session, make_user, dc):
    from app.models import AuditEntry

    client.post("/district/officers", data=officer_form(session))
    officer = session.scalar(select(User).where(User.role == Role.DISTRICT_OFFICER))
    client.post(f"/district/officers/{officer.id}/deactivate")

    session.expire_all()
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.action, e.target_user_id) for e in entries] == [
        (dc.id, "staff.created", officer.id), (dc.id, "staff.deactivated", officer.id)]
