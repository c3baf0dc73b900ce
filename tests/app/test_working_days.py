"""Working-day deadlines in the portal (issue 15, part 4): the administrator's closures page, and due dates
on the pages of a complaint whose diagram counts its escalation in working days.

The variant of the shipped diagram (tests/working_days_variant.py) switches the escalation clock to working
days; a complaint lodged on Monday 1 March 2027 crosses a provincial closure (9 March), Eid ul-Fitr (10-12
March, the `holidays` package's dates) and Pakistan Day (23 March): 15 working days end on 29 March.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from app.models import AuditEntry, Closure, Complaint, ComplaintEvent, ProcessInstance, Role
from app.services import closures
from app.services.casework import deployments, milestones, timers
from tests.app.helpers import fresh, lodge, open_tasks, reread, text_of
from tests.conftest import login
from tests.working_days_variant import working_days_variant

UTC = timezone.utc
LODGED = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)  # Monday, 14:30 in Peshawar
DUE = datetime(2027, 3, 29, 9, 30, tzinfo=UTC)  # the 15th working day, 14:30 in Peshawar
MINUTE = timedelta(minutes=1)


@pytest.fixture()
def admin(client, make_user):
    admin = make_user(Role.ADMIN)
    login(client, admin)
    return admin


# -- the closures page --------------------------------------------------------------------------------


def test_the_administrator_adds_a_closure_and_it_is_audited(client, session, admin):
    response = client.post("/admin/closures", data={"starts_on": "2027-03-09", "ends_on": "2027-03-09",
                                                    "reason": "Eid ul-Fitr, provincial extension"})
    assert response.status_code == 302
    reread(session)
    (closure,) = session.scalars(select(Closure))
    assert (closure.starts_on, closure.ends_on, closure.reason, closure.created_by_id) == (
        date(2027, 3, 9), date(2027, 3, 9), "Eid ul-Fitr, provincial extension", admin.id)
    assert closures.closed_dates(session) == {date(2027, 3, 9)}
    (entry,) = session.scalars(select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.details["starts_on"]) == ("closure.added", admin.id, "2027-03-09")

    page = text_of(client.get("/admin/closures"))
    assert "Eid ul-Fitr, provincial extension" in page and "09 Mar 2027" in page


def test_a_closure_of_several_days_closes_each_of_them_and_an_empty_last_day_means_one(client, session, admin):
    client.post("/admin/closures", data={"starts_on": "2027-06-14", "ends_on": "2027-06-16", "reason": "Ashura"})
    client.post("/admin/closures", data={"starts_on": "2027-01-04", "reason": "Snow in Swat"})
    reread(session)
    assert closures.closed_dates(session) == {date(2027, 6, 14), date(2027, 6, 15), date(2027, 6, 16),
                                              date(2027, 1, 4)}


def test_a_last_day_before_the_first_is_refused_keeping_the_input(client, session, admin):
    response = client.post("/admin/closures", data={"starts_on": "2027-03-09", "ends_on": "2027-03-01",
                                                    "reason": "Typing mistake"})
    assert response.status_code == 400
    page = text_of(response)
    assert "The last day cannot come before the first." in page and 'value="Typing mistake"' in page
    reread(session)
    assert session.scalars(select(Closure)).all() == [] and session.scalars(select(AuditEntry)).all() == []


def test_a_closure_without_a_day_or_a_reason_is_refused(client, session, admin):
    response = client.post("/admin/closures", data={"starts_on": "not a date", "reason": ""})
    assert response.status_code == 400
    page = text_of(response)
    assert "Give the first day of the closure." in page and "Say why offices are closed" in page


def test_the_administrator_removes_a_closure(client, session, admin):
    closure = closures.add_closure(session, admin, date(2027, 3, 9), None, "Eid ul-Fitr, provincial extension")
    session.commit()
    response = client.post(f"/admin/closures/{closure.id}/remove")
    assert response.status_code == 302
    reread(session)
    assert closures.closed_dates(session) == frozenset()
    assert [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))] == [
        "closure.added", "closure.removed"]


def test_the_page_lists_the_public_holidays_already_counted(client, make_user):
    with time_machine.travel(datetime(2026, 12, 6, 12, tzinfo=UTC), tick=False):
        login(client, make_user(Role.ADMIN))  # signed in at the travelled time, so the session is fresh there
        page = text_of(client.get("/admin/closures"))
    # 2027's Eid ul-Fitr, from the holidays package, estimated until the moon is sighted.
    assert "10 Mar 2027" in page and "Eid-ul-Fitr (estimated)" in page


def test_the_page_lists_holidays_in_urdu_for_an_urdu_reader(client, admin):
    client.post("/account/language", data={"language": "ur"})
    page = text_of(client.get("/admin/closures"))
    assert "عید الفطر" in page


def test_only_an_administrator_may_change_closures(session, make_user):
    analyst = make_user(Role.ANALYST)
    with pytest.raises(closures.NotAllowed):
        closures.add_closure(session, analyst, date(2027, 3, 9), None, "Not theirs to say")


# -- due dates on the pages ------------------------------------------------------------------------------


def test_a_working_day_deadline_crosses_eid_and_a_provincial_closure(app, client, session, make_user, places):
    admin = make_user(Role.ADMIN)
    closures.add_closure(session, admin, date(2027, 3, 9), None, "Eid ul-Fitr, provincial extension")
    deployments.deploy_diagram(session, working_days_variant(), deployed_by=None, note="working days")
    session.commit()
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)

    with time_machine.travel(LODGED, tick=False):
        complaint = lodge(session, citizen, places["peshawar"])
        assert fresh(session, Complaint, complaint.id).next_deadline_at == DUE
        tracking = milestones.tracking_for(session, citizen, complaint.id)
        # Days left count calendar days up to the working-day deadline: 28 from 1 to 29 March.
        assert (tracking.days_left, tracking.overdue) == (28, False)
        login(client, citizen)
        assert "The office has 28 days left to resolve it." in text_of(client.get(f"/complaints/{complaint.id}"))
        login(client, dc)
        assert "28 days left" in text_of(client.get("/inbox"))

    # Where the shipped diagram escalates (15 calendar days), nothing happens.
    with time_machine.travel(LODGED + timedelta(days=15) + MINUTE, tick=False):
        timers.sweep(app.extensions["db_sessions"])
    assert [t.form_key for t in open_tasks(session, complaint)] == ["dc_triage"]

    with time_machine.travel(DUE + MINUTE, tick=False):
        timers.sweep(app.extensions["db_sessions"])
    assert sorted(t.form_key for t in open_tasks(session, complaint)) == ["dc_triage", "escalation_review"]
    # The Chief Secretary's 7 more working days: Wednesday 7 April, 14:31 in Peshawar.
    assert fresh(session, Complaint, complaint.id).next_deadline_at == datetime(2027, 4, 7, 9, 31, tzinfo=UTC)


def test_the_shipped_diagram_keeps_calendar_days_whatever_the_closures(session, make_user, places):
    admin = make_user(Role.ADMIN)
    closures.add_closure(session, admin, date(2027, 3, 9), None, "Eid ul-Fitr, provincial extension")
    session.commit()
    with time_machine.travel(LODGED, tick=False):
        complaint = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    assert fresh(session, Complaint, complaint.id).next_deadline_at == LODGED + timedelta(days=15)


# -- the analyst's simulator ------------------------------------------------------------------------------


def test_the_analysts_simulation_skips_the_closures_entered(client, session, make_user):
    """Simulated from 1 March 2027 (the simulator starts today), the escalation opens on day 28 with the
    provincial closure entered, on day 25 without it."""
    scenario = json.dumps({"steps": {"dc_triage": []}, "horizon_days": 40})
    xml = working_days_variant().decode()
    days = []
    with time_machine.travel(LODGED, tick=False):
        login(client, make_user(Role.ANALYST))
        for closure in (False, True):
            if closure:
                closures.add_closure(session, make_user(Role.ADMIN), date(2027, 3, 9), None, "Eid, provincial")
                session.commit()
            body = client.post("/analyst/simulate", data={"xml": xml, "scenario": scenario}).get_json()
            days.append([s["day"] for s in body["steps"]
                         if s["kind"] == "task_opened" and s["element_id"] == "commissioner_review"])
    assert days == [[25.0], [28.0]]


def test_validation_refuses_an_unknown_calendar_with_element_and_line_in_the_readers_language(client, make_user):
    from tests.working_days_variant import SHIPPED, with_calendar

    xml = with_calendar(SHIPPED.read_bytes(), ["unresolved_15_days"], "working_days").decode()
    line = next(n for n, text in enumerate(xml.splitlines(), 1) if 'id="unresolved_15_days"' in text)
    login(client, make_user(Role.ANALYST))
    (error,) = client.post("/analyst/validate", data={"xml": xml}).get_json()["errors"]
    assert (error["code"], error["element_id"], error["line"]) == ("unknown_calendar", "unresolved_15_days", line)
    assert error["message"] == "unknown calendar 'working_days'; use one of: calendar-days and working-days"

    client.post("/account/language", data={"language": "ur"})
    (error,) = client.post("/analyst/validate", data={"xml": xml}).get_json()["errors"]
    assert error["message"].startswith("نامعلوم کیلنڈر 'working_days'")


# -- the data generator -------------------------------------------------------------------------------------


def test_generated_complaints_count_working_days_from_their_own_lodging(app, session, make_user):
    """Each generated complaint still waiting on its first escalation is due 15 working days (with the
    closures entered) after it was lodged, whatever day that was."""
    from app.services.demo import generator
    from workflows import waiting_timers, working_calendar, working_due
    from workflows import restore_process as restore

    closures.add_closure(session, make_user(Role.ADMIN), date(2026, 11, 2), date(2026, 11, 6), "Provincial week")
    definition = deployments.deploy_diagram(session, working_days_variant(), deployed_by=None, note="working days")
    session.commit()
    generator.generate(app.extensions["db_sessions"], 60, batch_size=60, seed=5)

    diagram = deployments.diagram_for(session, definition)
    calendar = working_calendar(closures.closed_dates(session))
    checked = 0
    for complaint, instance in session.execute(select(Complaint, ProcessInstance).join(
            ProcessInstance, ProcessInstance.complaint_id == Complaint.id)).all():
        due = {t.element_id: t.due for t in waiting_timers(restore(diagram, instance.state))}
        if "unresolved_15_days" in due:
            # The escalation clock starts at lodging, and again at a reopening.
            started = max([complaint.created_at, *session.scalars(select(ComplaintEvent.created_at).where(
                ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "reopened"))])
            assert due["unresolved_15_days"] == working_due(calendar, started, "P15D"), complaint.tracking_number
            checked += 1
    assert checked > 0
