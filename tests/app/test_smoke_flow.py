"""A complaint from lodging to closing, through the services a person's clicks call."""
from __future__ import annotations

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.models import ComplaintStatus, HumanTask, Role
from app.services import complaints, organisation, tasks


def lodge(session, citizen, district):
    category = organisation.categories_by_department(session)[0][1][0]
    complaint = complaints.submit_complaint(
        session,
        citizen,
        complaints.ComplaintInput(category.id, district.id, "Broken streetlight", "The streetlight in front of house 12 is broken."),
    )
    session.commit()
    return complaint


def open_task(session, complaint):
    return session.scalars(
        select(HumanTask).where(HumanTask.complaint_id == complaint.id, HumanTask.completed_at.is_(None))
    ).all()


def test_lodge_assign_resolve_rate(session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, citizen, places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    (triage,) = open_task(session, complaint)
    assert triage.role is Role.DEPUTY_COMMISSIONER and triage.district_id == places["peshawar"].id
    assert [t.id for t in tasks.inbox_for(session, dc)] == [triage.id]

    tasks.complete_task(session, triage.id, dc, MultiDict({"decision": "assign", "officer_id": str(officer.id), "instruction": "Fix"}))
    session.commit()
    (action,) = open_task(session, complaint)
    assert action.assignee_id == officer.id
    assert complaint.status is ComplaintStatus.IN_PROGRESS

    tasks.complete_task(session, action.id, officer, MultiDict({"outcome": "resolved", "action_taken": "Replaced the bulb"}))
    session.commit()
    (rating,) = open_task(session, complaint)
    assert rating.citizen_id == citizen.id and complaint.status is ComplaintStatus.RESOLVED

    tasks.complete_task(session, rating.id, citizen, MultiDict({"rating": "4", "satisfied": "yes"}))
    session.commit()
    assert complaint.status is ComplaintStatus.CLOSED
    assert complaint.closure == "Closed, citizen satisfied"
    kinds = [e.kind for e in complaints.timeline(session, complaint)]
    assert kinds == ["lodged", "assigned", "resolved", "rated", "closed"]
