"""One notice per step of a complaint for its citizen, and a way to mark them all read.

A citizen with six complaints had 25 unread notices. Each step of a complaint
(lodged, assigned, resolved, closed, escalated...) tells the citizen once; when
one step does two things the citizen hears about (a diagram whose escalation
reaches two tiers at once, or whose resolution also closes the complaint), the
later notice replaces the earlier one on every channel.
"""
from __future__ import annotations

from datetime import timedelta

import time_machine

from app.models import Channel, Role, utcnow
from app.services.casework import deployments, timers
from tests.app.helpers import assign, complete, lodge, text_of
from tests.conftest import ROOT, login

from .conftest import notifications_of

SHIPPED = (ROOT / "bpmn" / "complaint.bpmn").read_text()


def in_app(session, citizen) -> list[str]:
    return [n.template for n in notifications_of(session, citizen, channel=Channel.IN_APP)]


def test_each_step_tells_the_citizen_once(session, make_user, places):
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    told = [len(in_app(session, citizen))]
    complaint = lodge(session, citizen, places["peshawar"])
    told.append(len(in_app(session, citizen)))
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, dc, officer)
    told.append(len(in_app(session, citizen)))
    complete(session, complaint, officer, outcome="resolved", action_taken="Replaced the bulb")
    told.append(len(in_app(session, citizen)))
    complete(session, complaint, citizen, rating="5", satisfied="yes")
    told.append(len(in_app(session, citizen)))

    assert [b - a for a, b in zip(told, told[1:])] == [1, 1, 1, 1]
    assert in_app(session, citizen)[1:] == ["complaint_received", "complaint_assigned", "complaint_resolved",
                                            "complaint_closed"]


def test_a_move_opening_both_reviews_tells_the_citizen_once(app, session, make_user, places):
    """A diagram whose first escalation goes to the Commissioner and the Chief Secretary at once."""
    both = SHIPPED.replace(
        '<bpmn:sequenceFlow id="f_to_wait_2" sourceRef="escalated_1" targetRef="escalation_wait_2" />',
        '<bpmn:sequenceFlow id="f_to_wait_2" sourceRef="escalated_1" targetRef="chief_secretary_review" />',
    )
    assert both != SHIPPED
    deployments.deploy_diagram(session, both.encode(), deployed_by=None, note="a test version")
    session.commit()
    citizen = make_user(Role.CITIZEN)
    lodge(session, citizen, places["peshawar"])

    with time_machine.travel(utcnow() + timedelta(days=15, minutes=1), tick=False):
        timers.sweep(app.extensions["db_sessions"])

    escalated = notifications_of(session, citizen, template="complaint_escalated")
    assert sorted(n.channel.value for n in escalated) == ["in_app", "sms"]
    assert {n.context["level"] for n in escalated} == {2}  # the higher of the two
    (shown,) = [n for n in escalated if n.channel is Channel.IN_APP]
    assert "Chief Secretary" in shown.body


def test_a_step_that_resolves_and_closes_tells_the_citizen_once(session, make_user, places):
    """A diagram without the rating: the officer's resolution closes the complaint in the same step."""
    no_rating = SHIPPED.replace(
        '<bpmn:sequenceFlow id="f_to_rating" sourceRef="close_reviews_on_resolution" targetRef="citizen_rating" />',
        '<bpmn:sequenceFlow id="f_to_rating" sourceRef="close_reviews_on_resolution" targetRef="closed_without_feedback" />',
    )
    assert no_rating != SHIPPED
    deployments.deploy_diagram(session, no_rating.encode(), deployed_by=None, note="a test version")
    session.commit()
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, citizen, places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, dc, officer)
    before = len(notifications_of(session, citizen))

    complete(session, complaint, officer, outcome="resolved", action_taken="Replaced the bulb")

    step = notifications_of(session, citizen)[before:]
    assert sorted((n.template, n.channel.value) for n in step) == [("complaint_closed", "in_app"),
                                                                   ("complaint_closed", "sms")]


def test_the_citizen_marks_all_notices_read_from_the_list_of_complaints(client, session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    for _ in range(6):
        lodge(session, citizen, places["peshawar"])
    login(client, citizen)

    page = text_of(client.get("/my/complaints"))
    assert "7 unread notices" in page and "Mark all read" in page
    assert "Mark all as read" in text_of(client.get("/notifications"))

    response = client.post("/notifications/read-all", data={"next": "/my/complaints"})

    assert response.status_code == 302 and response.headers["Location"] == "/my/complaints"
    assert all(n.read_at is not None for n in notifications_of(session, citizen, channel=Channel.IN_APP))
    page = text_of(client.get("/my/complaints"))
    assert "unread notice" not in page and "Mark all read" not in page
    # Never off the site, whatever `next` says.
    assert client.post("/notifications/read-all", data={"next": "https://evil.example/"}).headers["Location"] == (
        "/notifications")
