"""Tracking in plain words: a complaint's milestones, its days left, and the citizen's pages.

The milestones come from the timeline and the inbox projection (lanes, the
diagram's `status` and `escalationLevel` properties), never from element ids:
a diagram whose every id and task name differs tells the same story.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.models import HumanTask, ProcessInstance, Role, utcnow
from app.services.casework import deployments, milestones, timers
from app.web import days_left
from tests.app.helpers import (
    assign, complete, fresh, lodge, open_tasks, reread, text_of,
)
from tests.conftest import ROOT, login

SHIPPED = (ROOT / "bpmn" / "complaint.bpmn").read_text()


@pytest.fixture()
def ctx(app):
    """Labels are lazy gettext strings: they are read in a request's language.

    Not for tests that also use the test client: its requests would share this context's `g`.
    """
    with app.test_request_context():
        yield


@pytest.fixture()
def people(make_user):
    return {
        "citizen": make_user(Role.CITIZEN),
        "dc": make_user(Role.DEPUTY_COMMISSIONER, name="Zahid Khan DC"),
        "commissioner": make_user(Role.COMMISSIONER),
    }


def story(session, complaint) -> list[tuple[str, str]]:
    reread(session)
    return [(m.kind, str(m.label)) for m in milestones.tracking_of(session, fresh(session, type(complaint), complaint.id)).milestones]


def sweep_at(app, moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        timers.sweep(app.extensions["db_sessions"])


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def live_through(app, session, complaints, people, officer, t0: datetime) -> list[list[list[tuple[str, str]]]]:
    """Assign, escalate twice, resolve, reopen, assign, resolve, rate satisfied; each complaint's story
    after each step. The complaints live side by side (the timer sweep moves them all)."""
    citizen, dc = people["citizen"], people["dc"]

    def each(moment, act):
        with at(moment):
            for complaint in complaints:
                act(complaint)

    stories = [[story(session, c) for c in complaints]]
    each(t0 + timedelta(hours=2), lambda c: assign(session, c, dc, officer))
    stories.append([story(session, c) for c in complaints])
    sweep_at(app, t0 + timedelta(days=15, minutes=1))
    sweep_at(app, t0 + timedelta(days=22, minutes=2))
    stories.append([story(session, c) for c in complaints])
    each(t0 + timedelta(days=23), lambda c: complete(session, c, officer, outcome="resolved", action_taken="Replaced the pipe"))
    stories.append([story(session, c) for c in complaints])
    each(t0 + timedelta(days=24), lambda c: complete(session, c, citizen, rating="1", satisfied="no", comment="It leaks"))
    each(t0 + timedelta(days=25), lambda c: assign(session, c, dc, officer))
    each(t0 + timedelta(days=26), lambda c: complete(session, c, officer, outcome="resolved", action_taken="Fixed"))
    each(t0 + timedelta(days=27), lambda c: complete(session, c, citizen, rating="5", satisfied="yes"))
    stories.append([story(session, c) for c in complaints])
    return [[step[i] for step in stories] for i in range(len(complaints))]


def test_a_complaints_life_in_milestones(app, session, ctx, people, make_user, places):
    t0 = utcnow()
    complaint = lodge(session, people["citizen"], places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    department = complaint.department.name

    ((lodged, assigned, escalated, resolved, closed),) = live_through(app, session, [complaint], people, officer, t0)

    assert lodged == [("received", "Received"), ("district_office", "With the district office, Peshawar")]
    assert assigned[-1] == ("officer", f"With an officer of {department}")
    assert escalated[-2:] == [("escalated", "Escalated to the Commissioner"),
                              ("escalated", "Escalated to the Chief Secretary")]
    assert resolved[-1] == ("resolved", "Resolved: please rate the resolution")
    assert closed == [
        ("received", "Received"),
        ("district_office", "With the district office, Peshawar"),
        ("officer", f"With an officer of {department}"),
        ("escalated", "Escalated to the Commissioner"),
        ("escalated", "Escalated to the Chief Secretary"),
        ("resolved", "Resolved"),
        ("reopened", "Reopened: you were not satisfied"),
        ("district_office", "With the district office, Peshawar"),
        ("officer", f"With an officer of {department}"),
        ("resolved", "Resolved"),
        ("closed", "Closed"),
    ]
    tracking = milestones.tracking_of(session, fresh(session, type(complaint), complaint.id))
    assert tracking.closed and not any(m.current for m in tracking.milestones) and tracking.days_left is None
    assert str(tracking.milestones[-1].note) == "You were satisfied with the resolution."
    dates = [m.at for m in tracking.milestones]
    assert dates == sorted(dates) and dates[3] - dates[0] >= timedelta(days=15)


def rename_every_id(xml: str) -> str:
    """The shipped diagram with every element id but the process's own changed, and every task renamed."""
    ids = set(re.findall(r'\bid="([^"]+)"', xml)) - {"complaint", "complaint_definitions"}
    pattern = "|".join(sorted(map(re.escape, ids), key=len, reverse=True))
    renamed = re.sub(
        rf'((?:id|sourceRef|targetRef|attachedToRef|bpmnElement|default|signalRef)="|<bpmn:flowNodeRef>)({pattern})(["<])',
        lambda m: f"{m.group(1)}step_{len(m.group(2))}_{m.group(2)[::-1]}{m.group(3)}", xml)
    renamed = re.sub(r'(<bpmn:userTask id="[^"]+" name=")([^"]+)"', r'\1Step: \2 (renamed)"', renamed)
    assert 'id="dc_triage"' not in renamed and 'sourceRef="officer_action"' not in renamed
    return renamed


def test_a_diagram_with_other_ids_tells_the_same_story(app, session, ctx, people, make_user, places):
    t0 = utcnow()
    on_shipped = lodge(session, people["citizen"], places["peshawar"])
    variant = deployments.deploy_diagram(session, rename_every_id(SHIPPED).encode(), deployed_by=None, note="a test version")
    session.commit()
    on_variant = lodge(session, people["citizen"], places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=on_shipped.department_id)
    assert session.scalar(select(ProcessInstance.definition_id).where(
        ProcessInstance.complaint_id == on_variant.id)) == variant.id

    shipped_story, variant_story = live_through(app, session, [on_shipped, on_variant], people, officer, t0)

    assert variant_story == shipped_story
    element_ids = set(session.scalars(select(HumanTask.element_id).where(HumanTask.complaint_id == on_variant.id)))
    assert element_ids and all(e.startswith("step_") for e in element_ids)


def test_side_work_is_not_a_milestone(app, session, ctx, people, make_user, places):
    """A reviewer's directive to the DC (a task without a status) does not take the complaint from the officer."""
    t0 = utcnow()
    complaint = lodge(session, people["citizen"], places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    with at(t0 + timedelta(hours=1)):
        assign(session, complaint, people["dc"], officer)
    sweep_at(app, t0 + timedelta(days=15, minutes=1))
    with at(t0 + timedelta(days=16)):
        complete(session, complaint, people["commissioner"], action="direct", instruction="Visit the site today")

    assert "dc_directive" in [t.form_key for t in open_tasks(session, complaint)]
    assert [kind for kind, _ in story(session, complaint)] == ["received", "district_office", "officer", "escalated"]


def test_fifteen_days_left_on_the_day_of_lodging(app, client, session, people, places):
    complaint = lodge(session, people["citizen"], places["peshawar"])
    tracking = milestones.tracking_for(session, people["citizen"], complaint.id)  # read outside a request
    assert (tracking.days_left, tracking.waiting_for, tracking.overdue) == (15, "office", False)

    login(client, people["citizen"])
    assert "The office has 15 days left to resolve it." in text_of(client.get(f"/complaints/{complaint.id}"))
    login(client, people["dc"])
    assert "15 days left" in text_of(client.get("/inbox")) and "15 days left" in text_of(client.get("/complaints"))


def test_days_left_counts_pakistan_calendar_days(ctx):
    now = datetime.fromisoformat("2026-03-10T09:30:00+00:00")  # 14:30 in Peshawar
    with at(now):
        assert days_left(now + timedelta(days=15)) == "15 days left"
        assert days_left(now + timedelta(days=15, hours=-14)) == "15 days left"  # 00:30 PKT on the 15th day on
        assert days_left(now + timedelta(days=1)) == "1 day left"
        assert days_left(now + timedelta(hours=9)) == "due today"  # 23:30 PKT today
        assert days_left(now + timedelta(hours=10)) == "1 day left"  # 00:30 PKT tomorrow
        assert days_left(now - timedelta(minutes=1)) == "deadline passed"
        assert milestones.days_until(now + timedelta(days=15), now) == 15


def test_the_office_days_and_the_citizens_days(app, session, ctx, people, make_user, places):
    t0 = utcnow()
    complaint = lodge(session, people["citizen"], places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, people["dc"], officer)
    sweep_at(app, t0 + timedelta(days=15, minutes=1))
    with at(t0 + timedelta(days=15, minutes=2)):
        reread(session)
        tracking = milestones.tracking_for(session, people["citizen"], complaint.id)
        assert (tracking.days_left, tracking.waiting_for, tracking.overdue) == (7, "office", True)
        complete(session, complaint, officer, outcome="resolved", action_taken="Fixed")
        reread(session)
        tracking = milestones.tracking_for(session, people["citizen"], complaint.id)
    assert (tracking.days_left, tracking.waiting_for) == (7, "citizen")
    assert tracking.milestones[-1].current and tracking.milestones[-1].kind == "resolved"


def test_the_citizen_sees_milestones_not_the_diagram(app, client, session, people, make_user, places):
    t0 = utcnow()
    complaint = lodge(session, people["citizen"], places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id, name="Imran Officer")
    assign(session, complaint, people["dc"], officer)
    sweep_at(app, t0 + timedelta(days=15, minutes=1))
    login(client, people["citizen"])

    with at(t0 + timedelta(days=15, minutes=2)):
        response = client.get(f"/complaints/{complaint.id}/process")

    page = text_of(response)
    assert response.status_code == 200
    for said in ("Where is my complaint?", "Received", "With the district office, Peshawar",
                 f"With an officer of {complaint.department.name}", "Escalated to the Commissioner",
                 "The office has 7 days left to resolve it."):
        assert said in page
    names = [t.name for t in session.scalars(select(HumanTask).where(HumanTask.complaint_id == complaint.id))]
    for hidden in (*names, "Imran Officer", "Zahid Khan DC", "Commissioner's days passed", "Chief Secretary's days passed",
                   "Look up the escalation days",
                   "Resolved within", "Escalation clock", 'id="diagram"', "bpmn", "data-marks"):
        assert hidden not in page, hidden

    login(client, people["dc"])
    staff = client.get(f"/complaints/{complaint.id}/process").get_data(as_text=True)
    assert 'id="diagram"' in staff and "Imran Officer" in staff


def test_escalation_badges_name_who_reviews(app, client, session, people, make_user, places):
    t0 = utcnow()
    complaint = lodge(session, people["citizen"], places["peshawar"])
    login(client, people["dc"])
    sweep_at(app, t0 + timedelta(days=15, minutes=1))
    page = text_of(client.get("/complaints"))
    assert "Escalated to the Commissioner" in page and "×" not in page

    sweep_at(app, t0 + timedelta(days=22, minutes=2))
    page = text_of(client.get(f"/complaints/{complaint.id}"))
    assert "Escalated to the Chief Secretary" in page and "×" not in page
    login(client, people["citizen"])
    assert "Escalated to the Chief Secretary" in text_of(client.get("/my/complaints"))
