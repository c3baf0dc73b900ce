"""Two Deputy Commissioners of one district open the same complaint and both assign it.

The process must move exactly once; the second person is told who was first.
"""
from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import select

from app.models import ComplaintEvent, HumanTask, ProcessInstance, Role
from app.services.casework import events as timeline
from tests.app.helpers import events, lodge, open_tasks, reread, text_of
from tests.conftest import login

ON_POSTGRESQL = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


@pytest.fixture()
def race(app, session, make_user, places):
    """A complaint waiting for triage, two DCs who may both do it, and an officer for each to pick."""
    complaint = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    first = make_user(Role.DEPUTY_COMMISSIONER, name="Asad Khan")
    second = make_user(Role.DEPUTY_COMMISSIONER, name="Saima Yousaf")
    officers = [make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id) for _ in range(2)]
    (triage,) = open_tasks(session, complaint)
    return complaint, triage, {first: officers[0], second: officers[1]}


def assignment(officer) -> dict:
    return {"decision": "assign", "officer_id": str(officer.id), "instruction": "Visit the site today"}


def lock_version(session, complaint) -> int:
    reread(session)
    return session.scalar(select(ProcessInstance.lock_version).where(ProcessInstance.complaint_id == complaint.id))


def assert_moved_once(session, complaint, triage, winner, officer, version_before):
    """One assignment recorded, one officer task, the triage closed by the winner, one save of the process."""
    assert events(session, complaint) == ["lodged", "assigned"]
    (action,) = open_tasks(session, complaint)
    assert (action.form_key, action.assignee_id) == ("officer_action", officer.id)
    closed = session.get(HumanTask, triage.id)
    assert closed.completed_at is not None and closed.completed_by_id == winner.id
    all_tasks = session.scalars(select(HumanTask.form_key).where(HumanTask.complaint_id == complaint.id)).all()
    assert sorted(all_tasks) == ["dc_triage", "officer_action"]
    assigned = session.scalar(select(ComplaintEvent).where(ComplaintEvent.kind == "assigned"))
    assert assigned.actor_id == winner.id and str(timeline.text(assigned)).startswith(f"Assigned to {officer.full_name}")
    assert lock_version(session, complaint) == version_before + 1


def test_interleaved_second_completion_is_told_who_was_first(app, session, race):
    complaint, triage, picks = race
    (first, first_pick), (second, second_pick) = picks.items()
    clients = {}
    for dc in (first, second):
        clients[dc] = app.test_client()
        login(clients[dc], dc)
        page = clients[dc].get(f"/tasks/{triage.id}")
        assert page.status_code == 200 and f'action="/tasks/{triage.id}"' in page.get_data(as_text=True)
    version_before = lock_version(session, complaint)

    won = clients[first].post(f"/tasks/{triage.id}", data=assignment(first_pick))
    lost = clients[second].post(f"/tasks/{triage.id}", data=assignment(second_pick))

    assert won.status_code == 302 and won.headers["Location"] == "/inbox"
    assert lost.status_code == 303 and lost.headers["Location"] == f"/complaints/{complaint.id}"
    page = text_of(clients[second].get(lost.headers["Location"]))
    assert '<p class="flash error" role="status">Asad Khan already completed this step.</p>' in page
    assert_moved_once(session, complaint, triage, first, first_pick, version_before)
    assert "Completed" in text_of(clients[second].get(f"/tasks/{triage.id}"))


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs row locks: set TEST_DATABASE_URL=postgresql+psycopg://...")
def test_simultaneous_completions_on_postgresql_move_the_process_once(app, session, race):
    complaint, triage, picks = race
    version_before = lock_version(session, complaint)
    barrier = threading.Barrier(len(picks))
    outcomes, failures = {}, []

    def complete_as(dc, officer):
        try:
            client = app.test_client()
            login(client, dc)
            assert client.get(f"/tasks/{triage.id}").status_code == 200
            barrier.wait(timeout=10)
            response = client.post(f"/tasks/{triage.id}", data=assignment(officer))
            location = response.headers.get("Location", "")
            flash = text_of(client.get(location)) if response.status_code == 303 else ""
            outcomes[dc] = (response.status_code, location, flash)
        except BaseException as error:  # re-raised in the test's thread below
            failures.append(error)
            barrier.abort()

    threads = [threading.Thread(target=complete_as, args=pair) for pair in picks.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if failures:
        raise failures[0]
    assert not any(thread.is_alive() for thread in threads), "a request is still waiting for a lock"

    statuses = sorted(status for status, _, _ in outcomes.values())
    assert statuses == [302, 303], outcomes
    (winner,) = [dc for dc, (status, _, _) in outcomes.items() if status == 302]
    (loser,) = [dc for dc, (status, _, _) in outcomes.items() if status == 303]
    _, location, flash = outcomes[loser]
    assert location == f"/complaints/{complaint.id}"
    assert f"{winner.full_name} already completed this step." in flash
    assert_moved_once(session, complaint, triage, winner, picks[winner], version_before)
