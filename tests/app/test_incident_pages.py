"""What a person sees when the process fails under their step: a clear page with a reference, never a bare 500."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.models import Incident, IncidentSource, Role
from tests.app.diagrams import install_version
from tests.app.helpers import assign, cheap_password_hashing, lodge, open_tasks, text_of
from tests.conftest import login


@pytest.fixture()
def failing_step(session, make_user, places, monkeypatch):
    """An officer's open "record the action" step on a version whose outcome condition cannot evaluate."""
    cheap_password_hashing(monkeypatch)
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
