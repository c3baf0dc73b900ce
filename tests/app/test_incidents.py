"""Incidents: a process that fails at run time rolls back, and the failure is recorded for the analysts.

Service-level: completing a task on a diagram whose condition cannot evaluate,
and the timer sweep meeting a failing script after a timer.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from app.models import Complaint, HumanTask, Incident, IncidentSource, IncidentStatus, ProcessInstance, Role, utcnow
from app.services.casework import incidents, tasks, timers
from app.services import analyst
from tests.app.diagrams import install_version, shipped_version
from tests.app.helpers import assign, events, lodge, open_tasks


@pytest.fixture()
def people(make_user):
    return {"citizen": make_user(Role.CITIZEN), "dc": make_user(Role.DEPUTY_COMMISSIONER)}


def incidents_of(session, complaint_id) -> list[Incident]:
    session.expire_all()
    return list(session.scalars(select(Incident).where(Incident.complaint_id == complaint_id).order_by(Incident.id)))


def assigned_on(session, version_name, people, make_user, places):
    install_version(session, version_name)
    complaint = lodge(session, people["citizen"], places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, people["dc"], officer)
    return complaint, officer


def test_a_condition_that_cannot_evaluate_rolls_back_and_records_one_incident(session, people, make_user, places):
    complaint, officer = assigned_on(session, "unquoted_condition", people, make_user, places)
    (task,) = open_tasks(session, complaint)
    before = events(session, complaint)

    with pytest.raises(tasks.StepFailed) as failed:
        tasks.complete_task(session, task.id, officer, MultiDict({"outcome": "resolved", "action_taken": "Fixed it"}))
    session.rollback()
    first = incidents.record_failure(session, failed.value, officer)
    session.commit()

    # Nothing of the step was kept: the task is open, the timeline unchanged.
    assert [t.id for t in open_tasks(session, complaint)] == [task.id]
    assert events(session, complaint) == before
    (incident,) = incidents_of(session, complaint.id)
    assert incident.reference == first.reference and incident.reference.startswith("INC-")
    assert incident.element_id == "officer_outcome_gw" and incident.source is IncidentSource.TASK
    assert incident.error_type == "NameError" and "resolved" in incident.error_message
    assert incident.actor_id == officer.id and incident.status is IncidentStatus.OPEN and incident.count == 1
    assert incident.definition.version == 2

    # Trying again fails the same way: the same row counts up and keeps its reference.
    with pytest.raises(tasks.StepFailed) as again:
        tasks.complete_task(session, task.id, officer, MultiDict({"outcome": "resolved", "action_taken": "Fixed it"}))
    session.rollback()
    assert incidents.record_failure(session, again.value, officer).reference == first.reference
    session.commit()
    (incident,) = incidents_of(session, complaint.id)
    assert incident.count == 2

    # The analyst moves the complaint to a corrected version; the officer's next try goes through and ends it.
    outcome = analyst.migrate_complaints(session, make_user(Role.ANALYST), [complaint.id], shipped_version(session).id)
    session.commit()
    assert outcome.moved == [complaint.id]
    assert incidents_of(session, complaint.id)[0].status is IncidentStatus.OPEN  # the person has not tried again yet
    tasks.complete_task(session, task.id, officer, MultiDict({"outcome": "resolved", "action_taken": "Fixed it"}))
    session.commit()
    (incident,) = incidents_of(session, complaint.id)
    assert incident.status is IncidentStatus.RESOLVED and incident.resolution == "succeeded"


def test_the_error_keeps_no_personal_data(session, people, make_user, places):
    from app.services.casework.processes import failure_of

    failure = failure_of(ValueError("invalid literal for int(): '17301-0000001-3' from 03001234567 ali@example.pk"))
    assert "0000001" not in failure.message and "03001234567" not in failure.message
    assert "ali@example.pk" not in failure.message and failure.error_type == "ValueError"


def at(moment):
    return time_machine.travel(moment, tick=False)


def test_a_failing_timer_is_an_incident_and_the_other_timers_still_fire(app, session, people, make_user, places):
    good = [lodge(session, people["citizen"], places["peshawar"]) for _ in range(2)]
    install_version(session, "failing_escalation")
    broken = lodge(session, people["citizen"], places["peshawar"])
    factory = app.extensions["db_sessions"]

    with at(utcnow() + timedelta(days=16)):
        result = timers.sweep(factory)
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == broken.id))
    assert sorted(result.fired) == sorted(
        session.scalars(select(ProcessInstance.id).where(ProcessInstance.complaint_id.in_([c.id for c in good])))
    )
    assert result.failed == [instance.id]
    for complaint in good:
        assert "escalated" in events(session, complaint)
    # The back-off is kept as it was.
    session.refresh(instance)
    assert instance.timer_failures == 1 and instance.timer_error
    (incident,) = incidents_of(session, broken.id)
    assert (incident.source, incident.element_id, incident.actor_id) == (IncidentSource.TIMER, "count_escalation", None)
    assert incident.error_type == "NameError" and "escalation_count" in incident.error_message

    # Each later try of the sweep counts on the same row.
    with at(utcnow() + timedelta(days=17)):
        timers.sweep(factory)
    (again,) = incidents_of(session, broken.id)
    assert again.reference == incident.reference and again.count == 2
    assert session.scalar(select(HumanTask.id).where(HumanTask.complaint_id == broken.id,
                                                     HumanTask.escalation_level.is_not(None))) is None
    assert session.get(Complaint, broken.id) is not None


def test_a_reminder_that_cannot_be_sent_is_an_incident_and_the_others_are_sent(app, session, people, places):
    """A reminder's path has nothing of the diagram that can fail (a timer, then a notice): what fails there is
    a saved state the engine cannot restore, recorded without an element."""
    from app.services.notifications import reminders

    good, broken = (lodge(session, people["citizen"], places["peshawar"]) for _ in range(2))
    session.execute(update(ProcessInstance).where(ProcessInstance.complaint_id == broken.id)
                    .values(state={"corrupt": True}))
    session.commit()

    with at(utcnow() + timedelta(days=13)):
        fired = reminders.fire_due_reminders(app.extensions["db_sessions"])
    good_instance = session.scalar(select(ProcessInstance.id).where(ProcessInstance.complaint_id == good.id))
    assert fired == [good_instance]
    (incident,) = incidents_of(session, broken.id)
    assert (incident.source, incident.element_id, incident.actor_id) == (IncidentSource.TIMER, None, None)
    assert incident.error_type and incident.definition_id is not None
    assert incidents_of(session, good.id) == []
