"""The API's answer when the process fails under a completion: a problem document with the incident's reference."""
from __future__ import annotations

from sqlalchemy import select

from app.models import Incident, Role
from tests.app.diagrams import install_version
from tests.app.helpers import assign, lodge, open_tasks

from .helpers import assert_documented, assert_problem


def test_a_failing_completion_answers_an_incident_problem_in_the_readers_language(api, session, make_user, places):
    install_version(session, "unquoted_condition")
    complaint = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, make_user(Role.DEPUTY_COMMISSIONER), officer)
    (task,) = open_tasks(session, complaint)

    response = api.as_(officer).post(f"/tasks/{task.id}/completion", json={"outcome": "resolved", "action_taken": "Done"})

    body = assert_problem(response, 500)
    assert body["type"].endswith("/problems/incident")
    (incident,) = session.scalars(select(Incident))
    assert body["reference"] == incident.reference and incident.reference in body["detail"]
    assert incident.actor_id == officer.id and incident.element_id == "officer_outcome_gw"
    assert_documented(response)

    officer.language = "ur"  # the API speaks the token's user's saved language
    session.commit()
    urdu = api.as_(officer).post(f"/tasks/{task.id}/completion", json={"outcome": "resolved", "action_taken": "Done"})
    body = assert_problem(urdu, 500)
    assert body["reference"] == incident.reference and "analysts" not in body["detail"]


def test_a_lodging_whose_process_fails_answers_an_incident_problem_and_keeps_nothing(api, session, make_user, places):
    from sqlalchemy import func

    from app.models import Complaint, IdempotencyKey, IncidentSource
    from tests.app.helpers import category, reread

    install_version(session, "failing_start")
    citizen = make_user(Role.CITIZEN)
    sent = {"category_id": category(session).id, "district_id": places["peshawar"].id,
            "subject": "Overflowing drain", "description": "The drain on Main Bazaar road overflows every time it rains."}

    response = api.as_(citizen).post("/complaints", json=sent, headers={"Idempotency-Key": "lodge-fails-1"})

    body = assert_problem(response, 500)
    assert body["type"].endswith("/problems/incident")
    reread(session)
    (incident,) = session.scalars(select(Incident))
    assert body["reference"] == incident.reference and incident.reference in body["detail"]
    assert incident.source is IncidentSource.LODGING and incident.complaint_id is None
    assert incident.actor_id == citizen.id and incident.element_id == "set_priority"
    assert incident.category_id == sent["category_id"]
    assert_documented(response)
    assert session.scalar(select(func.count()).select_from(Complaint)) == 0
    assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0  # the key is not used up

    again = api.as_(citizen).post("/complaints", json=sent, headers={"Idempotency-Key": "lodge-fails-1"})
    assert assert_problem(again, 500)["reference"] == incident.reference
    reread(session)
    assert session.scalar(select(Incident.count)) == 2
