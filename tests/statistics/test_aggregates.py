"""The aggregate tables move with the complaints, in the same transaction, whatever moves them."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import time_machine
from sqlalchemy import event, select

from app.models import Complaint, ComplaintStatus, Role, StatCell, StatOfficer, StatResolutionHours, utcnow
from app.services.statistics import aggregates
from app.services.casework import timers
from app.services.casework import complaints
from tests.app.helpers import assign, category, complete, lodge, reread


def in_step(session) -> list[str]:
    reread(session)
    found = aggregates.differences(session)
    session.rollback()
    return found


class Written(list):
    statements = 0


@contextmanager
def aggregate_writes(app):
    """The aggregate tables written to (in order) while the block runs, one name per table upserted.

    `written.statements` counts the statements: PostgreSQL writes the tables of one complaint's change in one,
    the main statement first, then its WITH queries, the one listed last first (`_combined_upsert`)."""
    written = Written()

    def record(_conn, _cursor, statement, *_args):
        tables = re.findall(r"INSERT INTO (stat_\w+)", statement)
        if statement.startswith("INSERT INTO stat_"):
            written.append(tables[0])
        elif statement.startswith("WITH upsert_") and tables:
            written.extend([tables[-1], *reversed(tables[:-1])])
        else:
            return
        written.statements += 1

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield written
    finally:
        event.remove(engine, "before_cursor_execute", record)


def cell(session, complaint) -> StatCell:
    reread(session)
    return session.get(StatCell, (complaint.division_id, complaint.district_id, complaint.department_id))


def test_known_data_set_is_counted_as_a_recount_would(session, known):
    assert in_step(session) == []
    peshawar = cell(session, known["resolved"][0])
    assert (peshawar.lodged, peshawar.resolved, peshawar.open, peshawar.satisfied, peshawar.rated) == (5, 4, 3, 1, 2)
    assert (peshawar.escalated_commissioner, peshawar.escalated_chief_secretary, peshawar.open_escalated) == (1, 1, 1)
    hours = dict(session.execute(select(StatResolutionHours.hours, StatResolutionHours.complaints)
                                 .where(StatResolutionHours.dimension == "province")).all())
    assert hours == {24: 1, 48: 1, 72: 1, 240: 1}


def test_every_step_of_a_complaint_through_the_services_keeps_them_in_step(app, session, make_user, places):
    citizen = make_user(Role.CITIZEN, district=places["peshawar"])
    dc = make_user(Role.DEPUTY_COMMISSIONER, district=places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, district=places["peshawar"])
    complaint = lodge(session, citizen, places["peshawar"])
    assert in_step(session) == [] and cell(session, complaint).open == 1
    assign(session, complaint, dc, officer)
    assert in_step(session) == []
    assert session.get(StatOfficer, (officer.id, complaint.division_id, complaint.district_id)).assigned == 1
    complete(session, complaint, officer, outcome="resolved", action_taken="Replaced the bulb")
    assert in_step(session) == [] and cell(session, complaint).resolved == 1
    complete(session, complaint, citizen, rating="1", satisfied="no", comment="Still dark")  # reopened
    assert in_step(session) == []
    row = cell(session, complaint)
    assert (row.resolved, row.open, row.rated, row.satisfied) == (0, 1, 1, 0)
    with time_machine.travel(utcnow() + timedelta(days=16), tick=False):
        timers.fire_due_timers(app.extensions["db_sessions"])  # escalates to the Commissioner
    assert in_step(session) == []
    assert cell(session, complaint).open_escalated == 1


def test_a_transfer_moves_the_complaint_to_the_other_district(session, make_user, places):
    citizen = make_user(Role.CITIZEN, district=places["peshawar"])
    dc = make_user(Role.DEPUTY_COMMISSIONER, district=places["peshawar"])
    complaint = lodge(session, citizen, places["peshawar"])
    complete(session, complaint, dc, decision="transfer", target_district_id=str(places["mardan"].id),
             reason="The street is in Mardan")
    assert in_step(session) == []
    reread(session)
    moved = session.get(Complaint, complaint.id)
    assert moved.district_id == places["mardan"].id
    assert session.get(StatCell, (places["peshawar"].division_id, places["peshawar"].id,
                                  moved.department_id)).lodged == 0
    assert cell(session, moved).lodged == 1


def test_a_rolled_back_change_leaves_the_counts_as_they_were(session, make_user, places):
    complaint = lodge(session, make_user(Role.CITIZEN, district=places["peshawar"]), places["peshawar"])
    before = cell(session, complaint).open
    complaint = session.get(Complaint, complaint.id)
    complaint.status = ComplaintStatus.CLOSED
    session.flush()
    assert session.get(StatCell, (complaint.division_id, complaint.district_id, complaint.department_id)).open == 0
    session.rollback()
    assert cell(session, complaint).open == before == 1
    assert in_step(session) == []


def test_changes_to_attributes_never_loaded_still_subtract_the_old_values(session, make_user, places):
    complaint = lodge(session, make_user(Role.CITIZEN, district=places["peshawar"]), places["peshawar"])
    session.commit()
    session.expire_all()  # nothing loaded: the hook must still learn the old status
    complaint.status = ComplaintStatus.SYSTEMIC
    session.commit()
    assert in_step(session) == []


def test_rebuild_recounts_from_the_complaints(session, known):
    session.execute(StatCell.__table__.update().values(lodged=999))
    assert any("stat_cells" in line for line in aggregates.differences(session))
    aggregates.rebuild(session)
    session.commit()
    assert in_step(session) == []


def test_bulk_inserted_complaints_are_counted_by_the_call(session, known):
    rows = [{"division_id": 1, "district_id": 2, "department_id": 3, "officer_id": None,
             "status": ComplaintStatus.CLOSED, "escalation_level": 0, "created_at": utcnow() - timedelta(days=3),
             "resolved_at": utcnow() - timedelta(days=1), "satisfied": True, "reopen_count": 0}]
    aggregates.add_inserted_complaints(session, rows)
    row = session.get(StatCell, (1, 2, 3))
    assert (row.lodged, row.resolved, row.open, row.satisfied) == (1, 1, 0, 1)
    session.rollback()


def test_citizens_are_counted_per_home_district_and_follow_a_move(session, make_user, places):
    from app.models import StatCitizens, User

    citizen = make_user(Role.CITIZEN, district=places["peshawar"])
    make_user(Role.DEPUTY_COMMISSIONER, district=places["peshawar"])  # staff are not citizens
    reread(session)
    assert session.get(StatCitizens, places["peshawar"].id).citizens == 1
    session.get(User, citizen.id).district_id = places["mardan"].id
    session.commit()
    reread(session)
    assert session.get(StatCitizens, places["peshawar"].id).citizens == 0
    assert session.get(StatCitizens, places["mardan"].id).citizens == 1
    assert in_step(session) == []


def test_a_change_locks_the_complaints_cell_before_any_other_aggregate_row(app, session, make_user, places):
    complaint = lodge(session, make_user(Role.CITIZEN, district=places["peshawar"]), places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, district=places["peshawar"])
    with aggregate_writes(app) as written:
        session.get(Complaint, complaint.id).officer_id = officer.id  # moves no cell count, only the officer's
        session.commit()
    assert written == ["stat_cells", "stat_officers"]
    assert in_step(session) == []


def test_the_counts_are_written_at_commit_not_at_the_first_flush(app, session, make_user, places):
    """The cell row an upsert locks stays locked until commit: written at the first flush, it would be
    held through the whole lodging and make every lodging of one office wait for the one before."""
    citizen = make_user(Role.CITIZEN, district=places["peshawar"])
    with aggregate_writes(app) as written:
        complaint = complaints.submit_complaint(session, citizen, complaints.ComplaintInput(
            category(session).id, places["peshawar"].id, "Broken streetlight", "The streetlight has been dark since Friday night."))
        session.flush()
        assert written == []
        session.commit()
    assert written[0] == "stat_cells" and len(written) == len(set(written))
    assert cell(session, complaint).lodged == 1
    assert in_step(session) == []


def test_one_complaints_change_writes_every_table_in_one_statement_on_postgresql(app, session, make_user, places):
    """A round trip per table was two or three more statements for every lodging and step; SQLite (no
    data-modifying WITH) keeps one upsert per table."""
    citizen = make_user(Role.CITIZEN, district=places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, district=places["peshawar"])
    with aggregate_writes(app) as written:
        complaint = lodge(session, citizen, places["peshawar"])
    assert written == ["stat_cells", "stat_days", "stat_open_days"]
    postgresql = session.get_bind().dialect.name == "postgresql"
    assert written.statements == (1 if postgresql else 3)
    with aggregate_writes(app) as written:
        session.get(Complaint, complaint.id).officer_id = officer.id
        session.commit()
    assert written == ["stat_cells", "stat_officers"] and written.statements == (1 if postgresql else 2)
    assert in_step(session) == []


def test_counts_made_in_a_savepoint_go_with_its_rollback(session, make_user, places):
    complaint = lodge(session, make_user(Role.CITIZEN, district=places["peshawar"]), places["peshawar"])
    complaint = session.get(Complaint, complaint.id)
    with session.begin_nested() as savepoint:
        complaint.status = ComplaintStatus.CLOSED
        session.flush()
        savepoint.rollback()
    session.commit()
    assert cell(session, complaint).open == 1
    assert in_step(session) == []
