"""What a person sees when the process fails under their step: a clear page with a reference, never a bare 500."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.models import HumanTask, Incident, IncidentSource, IncidentStatus, Role, utcnow
from app.services.casework import timers
from tests.app.diagrams import install_version, shipped_version
from tests.app.helpers import assign, lodge, open_tasks, text_of
from tests.conftest import login


@pytest.fixture()
def failing_step(session, make_user, places):
    """An officer's open "record the action" step on a version whose outcome condition cannot evaluate."""
    install_version(session, "unquoted_condition")
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, citizen, places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, dc, officer)
    (task,) = open_tasks(session, complaint)
    return complaint, officer, task


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "This step cannot be completed now; the process analysts have been told. Reference:"),
        ("ur", None),
        ("ps", None),
    ],
)
def test_the_officer_sees_the_reference_and_keeps_what_they_typed(client, session, failing_step, language, sentence):
    complaint, officer, task = failing_step
    login(client, officer)
    client.post("/language", data={"language": language})

    response = client.post(f"/tasks/{task.id}", data={"outcome": "resolved", "action_taken": "Replaced the pump seal"})

    assert response.status_code == 500
    page = text_of(response)
    (incident,) = session.scalars(select(Incident))
    assert incident.source is IncidentSource.TASK and incident.actor_id == officer.id
    assert incident.reference in page
    if sentence:
        assert sentence in page
    else:  # the sentence in the reader's language, not the English
        assert "process analysts have been told" not in page
    # The form is shown again with what was typed, ready to send once the analysts have fixed the diagram.
    assert "Replaced the pump seal" in page
    checked = [tag for tag in re.findall(r'<input[^>]*name="outcome"[^>]*>', page) if "checked" in tag]
    assert len(checked) == 1 and 'value="resolved"' in checked[0]
    assert f'action="/tasks/{task.id}"' in page


def test_a_second_try_shows_the_same_reference(client, session, failing_step):
    _, officer, task = failing_step
    login(client, officer)
    first = client.post(f"/tasks/{task.id}", data={"outcome": "resolved", "action_taken": "Replaced the seal"})
    second = client.post(f"/tasks/{task.id}", data={"outcome": "resolved", "action_taken": "Replaced the seal"})
    (incident,) = session.scalars(select(Incident))
    assert incident.count == 2
    assert incident.reference in text_of(first) and incident.reference in text_of(second)


def at(moment):
    return time_machine.travel(moment, tick=False)


def test_an_analyst_retries_a_failing_timer_after_moving_its_complaint_to_a_corrected_version(
        app, client, session, make_user, places):
    broken_version = install_version(session, "failing_escalation")
    complaint = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    analyst_user = make_user(Role.ANALYST)
    # Everything happens 16 days on, when the 15-day timer is due (the engine reads the real clock).
    with at(utcnow() + timedelta(days=16)):
        timers.sweep(app.extensions["db_sessions"])
        (incident,) = session.scalars(select(Incident))
        login(client, analyst_user)

        page = text_of(client.get("/analyst/incidents"))
        assert f"Version {broken_version.version} of complaint" in page and "count_escalation" in page
        assert incident.reference in page and complaint.tracking_number in page and "timer sweep" in page
        assert f'href="/complaints/{complaint.id}"' in page and "escalation_count" in page

        # Retried before the fix: it fails again, counts, and stays open; nothing of the try is kept.
        response = client.post(f"/analyst/incidents/{incident.id}/retry", follow_redirects=True)
        assert "failed again" in text_of(response)
        session.expire_all()
        assert (incident.count, incident.status) == (2, IncidentStatus.OPEN)
        assert session.scalar(select(HumanTask.id).where(HumanTask.escalation_level.is_not(None))) is None

        # The group's form moves its complaints to the corrected version (the migration page does the work) ...
        fixed = shipped_version(session)
        assert f'<option value="{fixed.id}">' in page
        moved = client.post("/analyst/migrate", data={"source": broken_version.id, "target": fixed.id,
                                                      "complaint_id": str(complaint.id)})
        assert moved.status_code == 200 and complaint.tracking_number in text_of(moved)
        # ... and retrying the group fires the timer there: the complaint escalates, the incident is resolved.
        response = client.post("/analyst/incidents/retry-group", data={"definition_id": broken_version.id,
                                                                       "element_id": "count_escalation"},
                               follow_redirects=True)
        assert "1 timer fired" in text_of(response)
        session.expire_all()
        assert (incident.status, incident.resolution, incident.resolved_by_id) == (
            IncidentStatus.RESOLVED, "retried", analyst_user.id)
        assert session.scalar(select(HumanTask.id).where(HumanTask.escalation_level == 1)) is not None
        assert "No open incidents." in text_of(client.get("/analyst/incidents"))
        resolved = text_of(client.get("/analyst/incidents?status=resolved"))
        assert incident.reference in resolved and "retried by an analyst" in resolved


def test_an_analyst_marks_a_task_incident_resolved(client, session, failing_step, make_user):
    _, officer, task = failing_step
    login(client, officer)
    client.post(f"/tasks/{task.id}", data={"outcome": "resolved", "action_taken": "Replaced the seal"})
    (incident,) = session.scalars(select(Incident))
    analyst_user = make_user(Role.ADMIN)
    login(client, analyst_user)

    page = text_of(client.get("/analyst/incidents"))
    assert "completing a task" in page and officer.full_name in page
    assert f"/analyst/incidents/{incident.id}/retry" not in page  # a person's step cannot be replayed
    assert client.post(f"/analyst/incidents/{incident.id}/retry").status_code == 400

    response = client.post(f"/analyst/incidents/{incident.id}/resolve", follow_redirects=True)
    assert f"Incident {incident.reference} is marked resolved." in text_of(response)
    session.expire_all()
    assert (incident.status, incident.resolution, incident.resolved_by_id) == (
        IncidentStatus.RESOLVED, "marked", analyst_user.id)


def test_a_signal_that_fails_in_the_process_keeps_the_officer_and_tells_the_dc_the_reference(
        client, session, make_user, places):
    install_version(session, "failing_redirect")
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, dc, officer)
    login(client, dc)

    response = client.post(f"/district/officers/{officer.id}/deactivate")

    assert response.status_code == 500
    (incident,) = session.scalars(select(Incident))
    assert (incident.source, incident.element_id, incident.actor_id) == (IncidentSource.SIGNAL, "redirect_gw", dc.id)
    assert incident.reference in text_of(response) and "process analysts have been told" in text_of(response)
    session.expire_all()
    assert session.get(type(officer), officer.id).active  # the deactivation rolled back with the signal
