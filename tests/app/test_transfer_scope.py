"""A transfer to another division takes the complaint's open reviews along to the new division."""
from __future__ import annotations

from datetime import timedelta

import time_machine

from app.models import Role, utcnow
from app.services.casework import tasks, timers
from tests.app.helpers import complete, lodge, open_tasks


def test_an_open_commissioner_review_moves_with_a_transfer_to_another_division(app, session, make_user, places):
    peshawar, mardan = places["peshawar"], places["mardan"]
    assert peshawar.division_id != mardan.division_id
    citizen = make_user(Role.CITIZEN, district=peshawar)
    dc = make_user(Role.DEPUTY_COMMISSIONER, district=peshawar)
    commissioner_before = make_user(Role.COMMISSIONER, district=peshawar)
    commissioner_after = make_user(Role.COMMISSIONER, district=mardan)
    complaint = lodge(session, citizen, peshawar)
    with time_machine.travel(utcnow() + timedelta(days=15, minutes=5), tick=False):
        assert timers.fire_due_timers(app.extensions["db_sessions"]).fired  # unassigned for 15 days: escalated
        review = next(t for t in open_tasks(session, complaint) if t.role is Role.COMMISSIONER)
        assert tasks.may_work(commissioner_before, review)

        complete(session, complaint, dc, decision="transfer", target_district_id=str(mardan.id),
                 reason="The road is in Mardan")

        still_open = {t.id: t for t in open_tasks(session, complaint)}
    assert review.id in still_open  # the diagram keeps the review open across a transfer
    moved = still_open[review.id]
    assert tasks.may_work(commissioner_after, moved) and not tasks.may_work(commissioner_before, moved)
    for task in still_open.values():
        assert (task.district_id, task.division_id) == (mardan.id, mardan.division_id)
