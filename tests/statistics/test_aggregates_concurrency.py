"""Many writers at once on the same district × department: no count is lost or doubled.

Each thread lodges complaints and moves them on in its own sessions, all in
the same aggregate rows. On PostgreSQL the upserts wait for each other on
those rows; on SQLite the writers take turns on the database. Either way the
counts must equal a recount afterwards.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from werkzeug.datastructures import MultiDict

from app.models import Role, StatCell, StatOfficer, User
from app.services.casework import complaints, tasks
from tests.app.helpers import category

from tests.app.test_concurrency import ON_POSTGRESQL

from .test_aggregates import in_step

THREADS = 4
EACH = 6


def test_concurrent_lodging_and_triage_in_one_cell_lose_no_count(app, session, make_user, places):
    sessions = app.extensions["db_sessions"]
    district = places["peshawar"]
    citizens = [make_user(Role.CITIZEN, district=district) for _ in range(THREADS)]
    dc = make_user(Role.DEPUTY_COMMISSIONER, district=district)
    officer = make_user(Role.DISTRICT_OFFICER, district=district)
    chosen = category(session)
    category_id, department_id = chosen.id, chosen.department_id
    start, failures = threading.Barrier(THREADS), []

    def work(citizen_id: int) -> None:
        try:
            start.wait()
            for n in range(EACH):
                with sessions() as s:
                    citizen = s.get(User, citizen_id)
                    complaint = complaints.submit_complaint(s, citizen, complaints.ComplaintInput(
                        category_id, district.id, f"Water supply cut {n}", "No water in the whole street."))
                    s.commit()
                    if n % 2:  # every other one is assigned at once, in another transaction
                        (task,) = complaints.open_tasks_of(s, complaint)
                        tasks.complete_task(s, task.id, s.get(User, dc.id), MultiDict(
                            {"decision": "assign", "officer_id": str(officer.id), "instruction": "Today"}))
                        s.commit()
        except Exception as error:  # reported below: a thread's exception would otherwise vanish
            failures.append(repr(error))

    threads = [threading.Thread(target=work, args=(c.id,)) for c in citizens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert failures == []
    assert in_step(session) == []
    cell = session.get(StatCell, (district.division_id, district.id, department_id))
    assert (cell.lodged, cell.open) == (THREADS * EACH, THREADS * EACH)
    assert session.get(StatOfficer, (officer.id, district.division_id, district.id)).assigned == THREADS * EACH // 2


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs row locks: set TEST_DATABASE_URL=postgresql+psycopg://...")
def test_a_lodging_still_in_progress_does_not_hold_up_another_in_the_same_office(app, session, make_user, places):
    """Lodging A has flushed (its process, inbox and outbox rows are written) but not committed; lodging B of
    the same district × department commits meanwhile. Counted at the first flush, A would hold the cell's row
    lock and B would wait for A's commit."""
    sessions = app.extensions["db_sessions"]
    district = places["peshawar"]
    first, second = (make_user(Role.CITIZEN, district=district) for _ in range(2))
    chosen = category(session)
    data = complaints.ComplaintInput(chosen.id, district.id, "Water supply cut", "No water in the whole street.")
    done, failures = threading.Event(), []

    def lodge_and_commit() -> None:
        try:
            with sessions() as s:
                s.execute(text("SET LOCAL lock_timeout = '5s'"))
                complaints.submit_complaint(s, s.get(User, second.id), data)
                s.commit()
            done.set()
        except Exception as error:  # reported below
            failures.append(repr(error))

    with sessions() as in_progress:
        complaints.submit_complaint(in_progress, in_progress.get(User, first.id), data)
        in_progress.flush()
        other = threading.Thread(target=lodge_and_commit)
        other.start()
        other.join(10)
        assert failures == [] and done.is_set()
        in_progress.commit()

    cell = session.get(StatCell, (district.division_id, district.id, chosen.department_id))
    assert cell.lodged == 2
    assert in_step(session) == []
