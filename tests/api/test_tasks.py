"""Staff through the API: the inbox, a task with its form's fields, completing it (validated as on the page)."""
from __future__ import annotations

import pytest

from app.models import Complaint, HumanTask, Role
from tests.app.helpers import assign, fresh, jpeg_bytes, lodge, open_tasks

from .helpers import assert_documented, assert_problem


@pytest.fixture()
def desk(session, make_user, places):
    """A lodged complaint waiting for the DC of Peshawar, and an officer of its department."""
    citizen = make_user(Role.CITIZEN)
    complaint = lodge(session, citizen, places["peshawar"])
    return {
        "citizen": citizen,
        "complaint": complaint,
        "dc": make_user(Role.DEPUTY_COMMISSIONER, name="Deputy Commissioner Khan"),
        "officer": make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id, name="Officer Gul"),
        "triage": open_tasks(session, complaint)[0],
    }


def test_my_inbox(api, desk):
    response = api.as_(desk["dc"]).get("/tasks")

    assert response.status_code == 200
    assert_documented(response)
    (task,) = response.get_json()["items"]
    assert task["id"] == desk["triage"].id and task["form_key"] == "dc_triage"
    assert task["complaint"]["tracking_number"] == desk["complaint"].tracking_number
    assert task["complaint"]["district"]["name"] == "Peshawar"


def test_an_officer_without_tasks_has_an_empty_inbox(api, desk):
    assert api.as_(desk["officer"]).get("/tasks").get_json() == {"items": []}


@pytest.mark.parametrize("role", [Role.ANALYST, Role.ADMIN])
def test_roles_without_an_inbox_get_403(api, make_user, role):
    response = api.as_(make_user(role)).get("/tasks")

    assert_problem(response, 403)
    assert_documented(response)


def test_a_task_describes_its_form(api, desk):
    response = api.as_(desk["dc"]).get(f"/tasks/{desk['triage'].id}")

    assert response.status_code == 200
    assert_documented(response)
    body = response.get_json()
    assert body["open"] is True and body["may_work"] is True and body["completed_by"] is None
    assert body["form"]["key"] == "dc_triage" and body["form"]["accepts_photo"] is False
    assert body["form"]["accepts_attachments"] is False
    fields = {f["name"]: f for f in body["form"]["fields"]}
    assert list(fields) == ["decision", "officer_id", "instruction", "target_district_id", "reason"]
    assert fields["decision"]["type"] == "choice" and fields["decision"]["required"] is True
    assert [c["value"] for c in fields["decision"]["choices"]] == ["assign", "transfer"]
    assert {"value": str(desk["officer"].id), "label": f"Officer Gul ({desk['officer'].department.name})"} in fields[
        "officer_id"]["choices"]
    assert fields["instruction"] == {"name": "instruction", "type": "text", "label": "Instruction to the officer",
                                     "required": False, "max_length": 2000, "choices": None}
    assert "Peshawar" not in [c["label"] for c in fields["target_district_id"]["choices"]]


def test_complete_a_task_as_json(api, session, desk):
    response = api.as_(desk["dc"]).post(
        f"/tasks/{desk['triage'].id}/completion",
        json={"decision": "assign", "officer_id": desk["officer"].id, "instruction": "Please fix it this week."},
    )

    assert response.status_code == 200, response.get_json()
    assert_documented(response)
    body = response.get_json()
    assert body["task"]["completed_at"] is not None and body["complaint"]["status"] == "in_progress"
    assert [s["role"] for s in body["next_steps"]] == ["district_officer"]
    assert body["next_steps"][0]["assignee"]["name"] == "Officer Gul"
    assert fresh(session, Complaint, desk["complaint"].id).officer_id == desk["officer"].id


def test_the_pages_validation_applies(api, session, desk):
    response = api.as_(desk["dc"]).post(f"/tasks/{desk['triage'].id}/completion", json={"decision": "assign"})

    body = assert_problem(response, 422, field="officer_id")
    assert body["errors"]["officer_id"] == ["Choose the officer who will handle it."]
    assert_documented(response)
    assert open_tasks(session, desk["complaint"])[0].id == desk["triage"].id  # nothing moved


def test_a_value_that_is_no_field_value_is_422(api, desk):
    response = api.as_(desk["dc"]).post(f"/tasks/{desk['triage'].id}/completion", json={"decision": ["assign"]})

    assert assert_problem(response, 422, field="decision")["errors"]["decision"] == ["Must be a string or a number."]


def test_a_nul_character_in_a_field_is_422(api, desk):
    response = api.as_(desk["dc"]).post(
        f"/tasks/{desk['triage'].id}/completion", json={"decision": "assign", "instruction": "Fix\x00it"}
    )

    assert assert_problem(response, 422, field="instruction")["errors"]["instruction"] == ["Must not contain a NUL character."]


def test_completing_twice_is_409_naming_who_was_first(api, make_user, desk):
    first = api.as_(desk["dc"]).post(
        f"/tasks/{desk['triage'].id}/completion", json={"decision": "assign", "officer_id": desk["officer"].id}
    )
    assert first.status_code == 200

    again = api.as_(desk["dc"]).post(
        f"/tasks/{desk['triage'].id}/completion", json={"decision": "assign", "officer_id": desk["officer"].id}
    )

    body = assert_problem(again, 409)
    assert body["detail"] == "Deputy Commissioner Khan already completed this step."
    assert body["completed_by"] == {"role": "deputy_commissioner", "role_label": "Deputy Commissioner",
                                    "name": "Deputy Commissioner Khan"}
    assert body["completed_at"] is not None
    assert_documented(again)


def test_the_officer_completes_with_an_evidence_photo(api, session, desk):
    assign(session, desk["complaint"], desk["dc"], desk["officer"])
    (action,) = open_tasks(session, desk["complaint"])
    as_officer = api.as_(desk["officer"])
    form = as_officer.get(f"/tasks/{action.id}").get_json()["form"]
    assert form["accepts_photo"] is True and form["accepts_attachments"] is True

    response = as_officer.post_multipart(
        f"/tasks/{action.id}/completion", {"outcome": "resolved", "action_taken": "Replaced the bulb."}, jpeg_bytes()
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["complaint"]["status"] == "resolved"
    detail = as_officer.get(f"/complaints/{desk['complaint'].id}").get_json()
    assert [a["purpose"] for a in detail["attachments"]] == ["evidence"]


def test_a_photo_on_a_step_that_takes_none_is_422(api, desk):
    response = api.as_(desk["dc"]).post_multipart(
        f"/tasks/{desk['triage'].id}/completion",
        {"decision": "assign", "officer_id": desk["officer"].id},
        jpeg_bytes(),
    )

    assert_problem(response, 422, field="photo")


def test_a_completed_task_reads_as_closed(api, session, desk):
    assign(session, desk["complaint"], desk["dc"], desk["officer"])

    body = api.as_(desk["dc"]).get(f"/tasks/{desk['triage'].id}").get_json()

    assert body["open"] is False and body["may_work"] is False and body["form"] is None
    assert body["completed_by"]["name"] == "Deputy Commissioner Khan"


@pytest.mark.parametrize("reader", ["citizen", "officer", "commissioner", "chief_secretary"])
def test_the_work_form_is_only_for_whoever_may_complete_the_task(api, make_user, places, desk, reader):
    """The DC's triage form lists the district's officers: a reader of the complaint who may not triage sees none of it."""
    readers = {"citizen": desk["citizen"], "officer": desk["officer"],
               "commissioner": make_user(Role.COMMISSIONER, district=places["peshawar"]),
               "chief_secretary": make_user(Role.CHIEF_SECRETARY)}

    response = api.as_(readers[reader]).get(f"/tasks/{desk['triage'].id}")

    assert response.status_code == 200
    assert_documented(response)
    body = response.get_json()
    assert body["may_work"] is False and body["form"] is None
    assert "Officer Gul" not in response.get_data(as_text=True)


def test_the_citizen_rates_through_the_task_too(api, session, desk):
    from tests.app.helpers import complete

    assign(session, desk["complaint"], desk["dc"], desk["officer"])
    complete(session, desk["complaint"], desk["officer"], outcome="resolved", action_taken="Replaced the bulb.")
    as_citizen = api.as_(desk["citizen"])
    (rating,) = as_citizen.get("/tasks").get_json()["items"]

    response = as_citizen.post(f"/tasks/{rating['id']}/completion", json={"rating": 4, "satisfied": "yes"})

    assert response.status_code == 200 and response.get_json()["complaint"]["status"] == "closed"
    assert session.get(HumanTask, rating["id"]) is not None
