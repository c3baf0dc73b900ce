"""A complaint from lodging to closing, through the services a person's clicks call."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from app.models import ComplaintStatus, Role
from app.services.casework import complaints, tasks
from tests.app.helpers import lodge, open_tasks


def test_lodge_assign_resolve_rate(session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, citizen, places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    (triage,) = open_tasks(session, complaint)
    assert triage.role is Role.DEPUTY_COMMISSIONER and triage.district_id == places["peshawar"].id
    assert [t.id for t in tasks.inbox_for(session, dc)] == [triage.id]

    tasks.complete_task(session, triage.id, dc, MultiDict({"decision": "assign", "officer_id": str(officer.id), "instruction": "Fix"}))
    session.commit()
    (action,) = open_tasks(session, complaint)
    assert action.assignee_id == officer.id
    assert complaint.status is ComplaintStatus.IN_PROGRESS

    tasks.complete_task(session, action.id, officer, MultiDict({"outcome": "resolved", "action_taken": "Replaced the bulb"}))
    session.commit()
    (rating,) = open_tasks(session, complaint)
    assert rating.citizen_id == citizen.id and complaint.status is ComplaintStatus.RESOLVED

    tasks.complete_task(session, rating.id, citizen, MultiDict({"rating": "4", "satisfied": "yes"}))
    session.commit()
    assert complaint.status is ComplaintStatus.CLOSED
    assert complaint.closure == "Closed, citizen satisfied"
    kinds = [e.kind for e in complaints.timeline(session, complaint)]
    assert kinds == ["lodged", "assigned", "resolved", "rated", "closed"]
