"""The inbox merges the tasks assigned to a person with their role's pool, oldest first, up to its limit."""
from __future__ import annotations

from datetime import timedelta

from app.models import HumanTask, Role, utcnow
from app.services.casework import tasks
from tests.app.helpers import lodge, open_tasks, reread


def test_assigned_and_pool_tasks_come_oldest_first_within_the_limit(session, make_user, places):
    citizen = make_user(Role.CITIZEN, district=places["peshawar"])
    dc = make_user(Role.DEPUTY_COMMISSIONER, district=places["peshawar"])
    triage = [open_tasks(session, lodge(session, citizen, places["peshawar"]))[0] for _ in range(4)]
    now = utcnow()
    # Ages 4, 3, 2, 1 days; the second oldest is assigned to this DC by name, the rest are the role's pool.
    for age, task in zip((4, 3, 2, 1), triage):
        row = session.get(HumanTask, task.id)
        row.created_at = now - timedelta(days=age)
    session.get(HumanTask, triage[1].id).assignee_id = dc.id
    session.commit()
    reread(session)

    assert [t.id for t in tasks.inbox_for(session, dc)] == [t.id for t in triage]
    assert [t.id for t in tasks.inbox_for(session, dc, limit=2)] == [triage[0].id, triage[1].id]
    other_dc = make_user(Role.DEPUTY_COMMISSIONER, district=places["peshawar"])
    assert triage[1].id not in {t.id for t in tasks.inbox_for(session, other_dc)}  # assigned to someone else
