"""A POSTed service request becomes a complaint that runs the same process."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import create_app
from app.models import ApiKey, Complaint, ComplaintStatus, ProcessInstance, Role, User
from app.services.people import accounts
from app.services.interop import api_keys, open311_intake
from tests.app.helpers import fresh, open_tasks, reread
from tests.conftest import PASSWORD, login
from tests.open311.conftest import DESCRIPTION, SERVICE_CODE, error_codes, json_of, post_request, records


def complaint_of(session, response) -> Complaint:
    tracking = json_of(response)[0]["service_request_id"]
    reread(session)
    return session.scalar(select(Complaint).where(Complaint.tracking_number == tracking))


def test_a_posted_request_runs_the_process_with_a_dc_task_in_its_district(client, session, api_key, places):
    response = post_request(client, "json", api_key, district_code="nsr", address_string="Near GT Road bridge")
    assert response.status_code == 201

    complaint = complaint_of(session, response)
    assert complaint.category.code == SERVICE_CODE and complaint.status is ComplaintStatus.SUBMITTED
    assert complaint.district_id == places["nowshera"].id and complaint.division_id == places["nowshera"].division_id
    assert complaint.description == DESCRIPTION and complaint.address == "Near GT Road bridge"
    assert (complaint.latitude, complaint.longitude) == (34.01512, 71.52491)  # staff keep the exact point
    assert session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id)) is not None
    (triage,) = open_tasks(session, complaint)
    assert triage.role is Role.DEPUTY_COMMISSIONER and triage.district_id == places["nowshera"].id


def test_a_request_with_a_phone_is_filed_for_the_citizen_of_that_number(client, session, api_key, make_user):
    citizen = make_user(Role.CITIZEN)
    international = "+92 " + citizen.mobile[1:4] + " " + citizen.mobile[4:]
    response = post_request(client, "xml", api_key, phone=international, first_name="Someone", last_name="Else")
    assert response.status_code == 201
    (created,) = records(response, "xml", "service_requests", "request")
    reread(session)
    complaint = session.scalar(select(Complaint).where(Complaint.tracking_number == created["service_request_id"]))
    assert complaint.citizen_id == citizen.id
    assert fresh(session, User, citizen.id).full_name == citizen.full_name  # not renamed by a client


def test_a_new_phone_gets_a_citizen_account_that_cannot_sign_in(client, session, api_key):
    fields = {"phone": "0345-7654321", "first_name": "Gul", "last_name": "Bibi", "email": "gul@example.com"}
    first = complaint_of(session, post_request(client, "json", api_key, **fields))
    second = complaint_of(session, post_request(client, "json", api_key, **fields))

    citizen = fresh(session, User, first.citizen_id)
    assert second.citizen_id == citizen.id  # the same number, the same account
    assert (citizen.role, citizen.full_name, citizen.mobile, citizen.email) == (
        Role.CITIZEN, "Gul Bibi", "03457654321", "gul@example.com")
    assert citizen.cnic is None and citizen.district_id == first.district_id
    assert accounts.authenticate(session, "03457654321", "") is None
    assert accounts.authenticate(session, "03457654321", citizen.password_hash) is None


def test_requests_without_a_phone_go_to_one_service_account_per_key(client, session, api_key, admin):
    _, other_key = api_keys.issue_api_key(session, admin, "Mardan municipal app")
    session.commit()
    a1 = complaint_of(session, post_request(client, "json", api_key))
    a2 = complaint_of(session, post_request(client, "json", api_key))
    b1 = complaint_of(session, post_request(client, "json", other_key))

    assert a1.citizen_id == a2.citizen_id != b1.citizen_id
    account = fresh(session, User, a1.citizen_id)
    assert account.role is Role.CITIZEN and "Peshawar civic app" in account.full_name
    assert account.username.startswith("open311-key-") and account.mobile is None


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_invalid_requests_are_refused_field_by_field_and_file_nothing(client, session, api_key, fmt):
    cases = [
        ({"service_code": "NO-SUCH-CODE"}, "service_code:"),
        ({"district_code": ""}, "district_code:"),
        ({"district_code": "XYZ"}, "district_code:"),
        ({"lat": "", "long": ""}, "lat:"),
        ({"lat": "north", "long": "71.5"}, "lat:"),
        ({"lat": "34.0", "long": ""}, "lat:"),
        ({"lat": "95", "long": "71.5"}, "lat:"),
        ({"phone": "12345"}, "phone:"),
        ({"email": "not-an-address"}, "email:"),
        ({"description": "Too short"}, "description:"),
        ({"description": ""}, "description:"),
    ]
    for fields, expected in cases:
        response = post_request(client, fmt, api_key, **fields)
        assert response.status_code == 400, fields
        found = error_codes(response, fmt)
        assert all(code == 400 for code, _ in found)
        assert any(description.startswith(expected) for _, description in found), (fields, found)
    reread(session)
    assert session.scalar(select(func.count()).select_from(Complaint)) == 0
    assert session.scalar(select(func.count()).select_from(User).where(User.role == Role.CITIZEN)) == 0


def test_an_address_alone_is_location_enough(client, session, api_key):
    response = post_request(client, "json", api_key, lat=None, long=None, address_string="Saddar Bazaar")
    assert response.status_code == 201
    complaint = complaint_of(session, response)
    assert complaint.latitude is None and complaint.address == "Saddar Bazaar"


def test_a_revoked_key_is_refused(client, session, admin):
    key, plain = api_keys.issue_api_key(session, admin, "Old client")
    session.commit()
    assert post_request(client, "json", plain).status_code == 201
    api_keys.revoke_api_key(session, admin, key.id)
    session.commit()

    response = post_request(client, "xml", plain)

    assert response.status_code == 403
    assert error_codes(response, "xml")[0][0] == 403
    reread(session)
    assert session.scalar(select(func.count()).select_from(Complaint)) == 1


def test_a_blocked_citizens_number_is_refused(client, session, api_key, make_user):
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    accounts.block_citizen(session, dc, citizen.id, "Abusive language in complaints")
    session.commit()
    response = post_request(client, "json", api_key, phone=citizen.mobile)
    assert response.status_code == 403 and "blocked" in error_codes(response, "json")[0][1]


def test_a_staff_number_is_not_a_reporter(client, session, api_key):
    accounts.create_staff(session, accounts.StaffInput(
        role=Role.ANALYST, full_name="Sana Analyst", username="sana", password=PASSWORD, mobile="03111234567"))
    session.commit()
    response = post_request(client, "json", api_key, phone="03111234567")
    assert response.status_code == 400 and error_codes(response, "json")[0][1].startswith("phone:")


def test_posts_are_rate_limited_per_key(app, client, session, api_key, admin):
    app.config.update(OPEN311_POST_LIMIT=2, OPEN311_POST_WINDOW_SECONDS=3600)
    _, other_key = api_keys.issue_api_key(session, admin, "Another client")
    session.commit()
    assert [post_request(client, "json", api_key).status_code for _ in range(2)] == [201, 201]

    refused = post_request(client, "xml", api_key)

    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert error_codes(refused, "xml")[0][0] == 429
    assert post_request(client, "json", other_key).status_code == 201  # each key has its own budget
    reread(session)
    assert session.scalar(select(func.count()).select_from(Complaint)) == 3


def test_the_interface_needs_no_csrf_token_and_a_session_cookie_is_no_key(app, session, api_key, make_user):
    """With CSRF on (as in production) a client posts with its key alone; a signed-in admin without a key is refused."""
    protected = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "WTF_CSRF_ENABLED": True})
    try:
        client = protected.test_client()
        assert post_request(client, "json", api_key).status_code == 201
        login(client, make_user(Role.ADMIN))
        assert post_request(client, "json", None).status_code == 403
    finally:
        protected.extensions["db_engine"].dispose()


def test_only_the_hash_of_a_key_is_stored(session, admin):
    key, plain = api_keys.issue_api_key(session, admin, "Hash check")
    session.commit()
    stored = fresh(session, ApiKey, key.id)
    assert plain.startswith("kp311_") and len(plain) > 40
    assert stored.key_hash == api_keys.hash_key(plain) and plain not in stored.key_hash
    assert api_keys.authenticate_api_key(session, plain).id == key.id
    assert api_keys.authenticate_api_key(session, plain + "x") is None


def test_two_requests_creating_the_same_new_account_at_once_both_succeed(client, session, api_key, monkeypatch):
    """The second of two concurrent requests for a new number finds the account only after its insert fails."""
    first_post = complaint_of(session, post_request(client, "json", api_key, phone="03339876543"))
    real_lookup, calls = open311_intake.citizen_with_mobile, []

    def lookup_that_misses_once(session, mobile):
        calls.append(mobile)
        return None if len(calls) == 1 else real_lookup(session, mobile)

    monkeypatch.setattr(open311_intake, "citizen_with_mobile", lookup_that_misses_once)
    response = post_request(client, "json", api_key, phone="03339876543")

    assert response.status_code == 201 and len(calls) == 2
    assert complaint_of(session, response).citizen_id == first_post.citizen_id


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_request_whose_process_fails_at_its_start_is_an_incident_in_the_error_list(client, session, api_key, fmt):
    from app.models import Incident, IncidentSource
    from tests.app.diagrams import install_version

    install_version(session, "failing_start")
    response = post_request(client, fmt, api_key, phone="0345-7654321", first_name="Gul", last_name="Bibi")

    assert response.status_code == 500
    reread(session)
    (incident,) = session.scalars(select(Incident))
    assert incident.source is IncidentSource.LODGING and incident.actor_id is None
    ((code, description),) = error_codes(response, fmt)
    assert code == 500 and incident.reference in description
    # Nothing of the request was kept: no complaint, and no account for the new phone.
    assert session.scalar(select(func.count()).select_from(Complaint)) == 0
    assert session.scalar(select(User).where(User.mobile == "03457654321")) is None
