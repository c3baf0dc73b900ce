"""The administrator edits, moves, deactivates and reactivates staff and forces password changes; each act is
in the audit log, which the administrator reads page by page."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import ApiToken, AuditEntry, Complaint, Role, User, UserSession
from app.services import organisation
from app.services.interop import api_tokens
from app.services.people import audit, user_sessions
from tests.app.helpers import assign, events, field_value, fresh, lodge, open_tasks, text_of
from tests.conftest import PASSWORD, login


@pytest.fixture()
def admin(client, make_user):
    admin = make_user(Role.ADMIN, name="Administrator Sana")
    login(client, admin)
    return admin


def audit_rows(session):
    session.expire_all()
    return [(e.actor_id, e.action, e.target_user_id, e.details)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_the_administrator_edits_a_staff_members_details(client, session, admin, make_user):
    officer = make_user(Role.DISTRICT_OFFICER)

    response = client.post(f"/admin/staff/{officer.id}", data={
        "full_name": "Inspector Gul Khan", "username": "Gul.Khan", "email": "gul.khan@kp.gov.pk", "mobile": "0301-2345678"})

    assert response.status_code == 302
    officer = fresh(session, User, officer.id)
    assert (officer.full_name, officer.username, officer.email, officer.mobile) == (
        "Inspector Gul Khan", "gul.khan", "gul.khan@kp.gov.pk", "03012345678")
    assert audit_rows(session) == [(admin.id, "staff.edited", officer.id,
                                    {"changed": ["email", "full_name", "mobile", "username"]})]
    assert "Saved the details of Inspector Gul Khan." in text_of(client.get(response.headers["Location"]))


def test_bad_details_are_refused_field_by_field_keeping_the_input(client, session, admin, make_user):
    officer, other = make_user(Role.DISTRICT_OFFICER), make_user(Role.ANALYST)

    response = client.post(f"/admin/staff/{officer.id}", data={
        "full_name": "Inspector Gul Khan", "username": other.username, "email": "not an address", "mobile": "12"})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This username is taken." in page and "This is not an e-mail address." in page
    assert field_value(response, "full_name") == "Inspector Gul Khan"
    assert fresh(session, User, officer.id).full_name != "Inspector Gul Khan"
    assert audit_rows(session) == []


def test_moving_an_officer_sends_their_open_work_back_to_the_dc(client, session, admin, make_user, places):
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id, name="Inspector Gul Khan")
    assign(session, complaint, dc, officer)
    other_department = next(d.id for d in organisation.departments(session) if d.id != complaint.department_id)

    response = client.post(f"/admin/staff/{officer.id}/move",
                           data={"district_id": places["mardan"].id, "department_id": other_department})

    assert response.status_code == 302
    assert "1 open complaint(s) are back with the Deputy Commissioner." in text_of(client.get(response.headers["Location"]))
    officer = fresh(session, User, officer.id)
    assert (officer.district_id, officer.division_id, officer.department_id, officer.active) == (
        places["mardan"].id, places["mardan"].division_id, other_department, True)
    assert fresh(session, Complaint, complaint.id).officer_id is None
    (triage,) = open_tasks(session, complaint)
    assert triage.role is Role.DEPUTY_COMMISSIONER
    assert events(session, complaint) == ["lodged", "assigned", "returned_to_dc"]
    login(client, dc)
    timeline = text_of(client.get(f"/complaints/{complaint.id}"))
    assert "Inspector Gul Khan moved to another post; the complaint is back with the Deputy Commissioner." in timeline
    ((actor, action, target, details),) = audit_rows(session)
    assert (actor, action, target, details["returned"], details["after"]) == (
        admin.id, "staff.moved", officer.id, [complaint.id],
        {"district_id": places["mardan"].id, "department_id": other_department})


def test_a_dc_moves_to_another_district_and_its_division(client, session, admin, make_user, places):
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    response = client.post(f"/admin/staff/{dc.id}/move", data={"district_id": places["mardan"].id})
    assert response.status_code == 302
    dc = fresh(session, User, dc.id)
    assert (dc.district_id, dc.division_id, dc.department_id) == (places["mardan"].id, places["mardan"].division_id, None)


@pytest.mark.parametrize("role", [Role.COMMISSIONER, Role.CHIEF_SECRETARY, Role.ANALYST, Role.ADMIN])
def test_only_district_posts_move(client, session, admin, make_user, places, role):
    person = make_user(role)
    response = client.post(f"/admin/staff/{person.id}/move", data={"district_id": places["mardan"].id})
    assert response.status_code == 400
    assert fresh(session, User, person.id).district_id is None
    assert audit_rows(session) == []


def test_a_move_without_a_district_is_refused(client, session, admin, make_user):
    officer = make_user(Role.DISTRICT_OFFICER)
    response = client.post(f"/admin/staff/{officer.id}/move", data={"district_id": "", "department_id": ""})
    assert response.status_code == 400
    assert "Choose the district." in text_of(response) and "Choose the department." in text_of(response)


@pytest.mark.parametrize("role", [Role.COMMISSIONER, Role.ANALYST, Role.ADMIN, Role.DEPUTY_COMMISSIONER])
def test_deactivating_any_staff_account_signs_it_out_everywhere(app, client, session, admin, make_user, role):
    person = make_user(role)
    other_browser = app.test_client()
    login(other_browser, person)
    assert other_browser.get("/account").status_code == 200

    assert client.post(f"/admin/staff/{person.id}/deactivate").status_code == 302

    assert fresh(session, User, person.id).active is False
    assert other_browser.get("/account").status_code == 302  # to the sign-in page
    assert session.scalars(select(UserSession).where(UserSession.user_id == person.id)).all() == []
    refused = app.test_client().post("/login", data={"login": person.username, "password": PASSWORD})
    assert refused.status_code == 401
    assert audit_rows(session) == [(admin.id, "staff.deactivated", person.id,
                                    {"returned": [], "stuck": [], "sessions_ended": 1, "tokens_revoked": 0})]

    assert client.post(f"/admin/staff/{person.id}/reactivate").status_code == 302
    assert fresh(session, User, person.id).active is True
    assert [row[1] for row in audit_rows(session)] == ["staff.deactivated", "staff.reactivated"]


def test_the_administrator_cannot_deactivate_their_own_account(client, session, admin):
    assert client.post(f"/admin/staff/{admin.id}/deactivate").status_code == 403
    assert fresh(session, User, admin.id).active is True


def test_citizens_are_not_staff_here(client, session, admin, make_user):
    citizen = make_user(Role.CITIZEN)
    for path in ("", "/deactivate", "/password-change", "/move"):
        method = client.get if path == "" else client.post
        assert method(f"/admin/staff/{citizen.id}{path}").status_code == 404
    assert fresh(session, User, citizen.id).active is True


def test_forcing_a_password_change_flags_the_account_and_signs_it_out(client, session, admin, make_user):
    analyst = make_user(Role.ANALYST)
    user_sessions.start_session(session, analyst, user_agent="Office PC")
    session.commit()

    response = client.post(f"/admin/staff/{analyst.id}/password-change")

    assert response.status_code == 302
    assert fresh(session, User, analyst.id).must_change_password is True
    assert session.scalars(select(UserSession).where(UserSession.user_id == analyst.id)).all() == []
    assert audit_rows(session) == [(admin.id, "password.change_forced", analyst.id,
                                    {"sessions_ended": 1, "tokens_revoked": 0})]
    assert "A new password is required at the next sign-in." in text_of(client.get(response.headers["Location"]))


def test_the_audit_log_page_filters_by_action_and_person(client, session, admin, make_user):
    gul = make_user(Role.DISTRICT_OFFICER, name="Inspector Gul Khan")
    sana = make_user(Role.ANALYST, name="Analyst Bibi Sana")
    client.post(f"/admin/staff/{gul.id}/password-change")
    client.post(f"/admin/staff/{sana.id}/deactivate")

    everything = text_of(client.get("/admin/audit"))
    forced = text_of(client.get("/admin/audit?action=password.change_forced"))
    about_sana = text_of(client.get("/admin/audit?person=Bibi"))

    assert "Password change required" in everything and "Staff account deactivated" in everything
    assert "Inspector Gul Khan" in forced and "Analyst Bibi Sana" not in forced
    assert "Analyst Bibi Sana" in about_sana and "Inspector Gul Khan" not in about_sana
    by_admin = text_of(client.get(f"/admin/audit?person={admin.username}"))
    assert "Inspector Gul Khan" in by_admin and "Analyst Bibi Sana" in by_admin


def test_the_audit_log_is_read_newest_first_a_page_at_a_time(session, make_user):
    admin, officer = make_user(Role.ADMIN), make_user(Role.DISTRICT_OFFICER)
    for n in range(5):
        audit.record(session, admin, "staff.edited", target=officer, changed=[f"field{n}"])
    session.commit()

    first = audit.entries(session, page=1, page_size=2)
    last = audit.entries(session, page=3, page_size=2)

    assert [e.details["changed"] for e in first.entries] == [["field4"], ["field3"]] and first.has_next
    assert [e.details["changed"] for e in last.entries] == [["field0"]] and not last.has_next


# Phones (API tokens) follow the web sessions -----------------------------------------------------------

def _phone_of(app, session, person) -> str:
    """A bearer token issued before the change, as the phone app's sign-in issues one (committed)."""
    token = api_tokens.issue_token(session, person, lifetime=timedelta(days=30)).token
    session.commit()
    assert _me(app, token) == 200
    return token


def _me(app, token: str) -> int:
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _move(client, person, places, session):
    other = next(d.id for d in organisation.departments(session) if d.id != person.department_id)
    return client.post(f"/admin/staff/{person.id}/move", data={"district_id": places["mardan"].id, "department_id": other})


CHANGES = {
    "moved": _move,
    "deactivated": lambda client, person, places, session: client.post(f"/admin/staff/{person.id}/deactivate"),
    "password change forced": lambda client, person, places, session: client.post(
        f"/admin/staff/{person.id}/password-change"),
}


@pytest.mark.parametrize("role", [Role.DISTRICT_OFFICER, Role.DEPUTY_COMMISSIONER])
@pytest.mark.parametrize("change", CHANGES)
def test_a_change_of_post_or_access_signs_out_the_phones_too(app, client, session, admin, make_user, places, role,
                                                             change):
    person = make_user(role)
    token = _phone_of(app, session, person)
    browser = app.test_client()
    login(browser, person)

    assert CHANGES[change](client, person, places, session).status_code == 302

    assert _me(app, token) == 401
    assert browser.get("/account").status_code == 302  # the browser signed out as well
    (details,) = [row[3] for row in audit_rows(session)]
    assert details["tokens_revoked"] == 1 and details["sessions_ended"] == 1


def test_a_reactivated_account_signs_in_afresh_on_its_phone(app, client, session, admin, make_user):
    """An officer deactivated by their DC and reactivated by the administrator: the phone's old token,
    refused while the account was inactive, does not come back to life with it."""
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    officer = make_user(Role.DISTRICT_OFFICER)
    token = _phone_of(app, session, officer)
    dc_browser = app.test_client()
    login(dc_browser, dc)

    assert dc_browser.post(f"/district/officers/{officer.id}/deactivate").status_code == 302
    assert _me(app, token) == 401
    assert client.post(f"/admin/staff/{officer.id}/reactivate").status_code == 302

    assert _me(app, token) == 401
    session.expire_all()
    assert session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == officer.id)) is not None


def test_a_role_change_refuses_the_phones_token_as_it_signs_out_the_browser(app, session, make_user):
    """However the role changed (there is no page for it: by hand in the database), a token issued for
    the old role is refused, as a session cookie is (`User.sign_in_fingerprint` covers the role)."""
    officer = make_user(Role.DISTRICT_OFFICER)
    token = _phone_of(app, session, officer)

    fresh(session, User, officer.id).role = Role.DEPUTY_COMMISSIONER
    session.commit()

    refused = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and "role" in refused.get_json()["detail"]
