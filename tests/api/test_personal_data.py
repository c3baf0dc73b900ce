"""Personal data through the API: staff read a complaint's citizen masked and reveal a field with a reason
(recorded); a citizen downloads their own data; everyone else is refused."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.models import AuditEntry, Role
from tests.app.helpers import assign, lodge, reread

from .helpers import assert_documented, assert_problem


@pytest.fixture()
def case(session, make_user, places):
    citizen = make_user(Role.CITIZEN, name="Bilal Ahmad")
    complaint = lodge(session, citizen, places["peshawar"])
    dc = make_user(Role.DEPUTY_COMMISSIONER, name="Deputy Commissioner Yasmin Qureshi")
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id, name="Inspector Gul Zaman")
    assign(session, complaint, dc, officer)
    return {"citizen": citizen, "complaint": complaint, "dc": dc, "officer": officer}


def recorded(session) -> list[AuditEntry]:
    reread(session)
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data.revealed")))


def test_staff_read_the_citizen_masked_and_the_citizen_reads_null(api, case):
    citizen, complaint = case["citizen"], case["complaint"]

    as_dc = api.as_(case["dc"]).get(f"/complaints/{complaint.id}")
    as_owner = api.as_(citizen).get(f"/complaints/{complaint.id}")

    assert_documented(as_dc)
    assert as_dc.get_json()["citizen"] == {
        "id": citizen.id, "name": "Bilal Ahmad", "cnic": citizen.cnic[:5] + "-*****-" + citizen.cnic[-1],
        "mobile": citizen.mobile[:4] + "-*****" + citizen.mobile[-2:],
        "reveal_url": f"/api/v1/people/{citizen.id}/personal-data"}
    assert citizen.mobile not in as_dc.get_data(as_text=True) and citizen.cnic not in as_dc.get_data(as_text=True)
    assert as_owner.get_json()["citizen"] is None


def test_staff_in_scope_reveal_with_a_reason_and_it_is_recorded(api, session, case):
    citizen, complaint = case["citizen"], case["complaint"]

    response = api.as_(case["officer"]).post(f"/people/{citizen.id}/personal-data",
                                             json={"field": "mobile", "reason": "contact", "complaint_id": complaint.id})

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert_documented(response)
    assert response.get_json() == {"field": "mobile", "value": citizen.mobile}
    (entry,) = recorded(session)
    assert (entry.actor_id, entry.target_user_id, entry.details["field"], entry.details["reason"]) == (
        case["officer"].id, citizen.id, "mobile", "contact")


@pytest.mark.parametrize(("who", "status"), [("owner", 403), ("analyst", 403), ("dc_elsewhere", 404)])
def test_others_are_refused_and_nothing_is_recorded(api, session, case, make_user, places, who, status):
    caller = {"owner": lambda: case["citizen"], "analyst": lambda: make_user(Role.ANALYST),
              "dc_elsewhere": lambda: make_user(Role.DEPUTY_COMMISSIONER, district=places["mardan"])}[who]()

    response = api.as_(caller).post(f"/people/{case['citizen'].id}/personal-data",
                                    json={"field": "cnic", "reason": "identity"})

    assert_problem(response, status)
    assert case["citizen"].cnic not in response.get_data(as_text=True) and recorded(session) == []


@pytest.mark.parametrize(("body", "field"), [
    ({"field": "cnic"}, "reason"),
    ({"field": "cnic", "reason": "other"}, "note"),
    ({"field": "password_hash", "reason": "contact"}, "field"),
    ({"field": "cnic", "reason": "contact", "note": "\ud800"}, "note"),
])
def test_a_request_without_a_good_reason_is_422(api, session, case, body, field):
    response = api.as_(case["dc"]).post(f"/people/{case['citizen'].id}/personal-data", json=body)

    assert_problem(response, 422, field=field)
    assert recorded(session) == []


def test_a_citizen_exports_their_data_and_staff_cannot(api, case):
    response = api.as_(case["citizen"]).get("/me/export")

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert_documented(response)
    data = response.get_json()
    assert data["account"]["cnic"] == case["citizen"].cnic
    assert [c["tracking_number"] for c in data["complaints"]] == [case["complaint"].tracking_number]
    text = json.dumps(data, ensure_ascii=False)
    assert "Yasmin" not in text and "Gul Zaman" not in text and case["officer"].username not in text
    assert_problem(api.as_(case["dc"]).get("/me/export"), 403)
