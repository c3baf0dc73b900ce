"""Every linked dashboard number equals the length of the list its link opens, for every tier.

The dashboards read the aggregate tables, the list reads the complaints: this
is the check that both count the same complaints, including open complaints
lodged at the edges of the ageing buckets (Pakistan calendar days) and ones
whose deadline passed but whose timer has not fired yet.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.models import Complaint, ComplaintStatus, Role
from app.services.statistics import dashboards as dashboards
from app.services.casework.complaints import ComplaintFilters, complaints_query
from tests.app.helpers import lodge, reread

# 01:00 on 28 November in Pakistan: a complaint lodged two hours earlier is a day old.
NOW = datetime(2026, 11, 27, 20, 0, tzinfo=timezone.utc)


@pytest.fixture()
def spread(session, make_user, places):
    """Forty complaints in Peshawar and Mardan, in every state, lodged 0–40 days ago, some near midnight."""
    rng = random.Random(7)
    citizen = make_user(Role.CITIZEN, district=places["peshawar"])
    officers = {name: make_user(Role.DISTRICT_OFFICER, district=places[name]) for name in ("peshawar", "mardan")}
    ages = [timedelta(hours=2), timedelta(hours=19, minutes=59), timedelta(hours=21), timedelta(days=7, hours=20),
            timedelta(days=8, hours=21), timedelta(days=15, hours=20, minutes=30), timedelta(days=22, hours=21)]
    for n in range(40):
        place = "peshawar" if n % 3 else "mardan"
        complaint = lodge(session, citizen, places[place], department_index=n % 3)
        complaint.created_at = NOW - (ages[n] if n < len(ages) else timedelta(hours=rng.uniform(0, 40 * 24)))
        complaint.status = rng.choice(list(ComplaintStatus))
        complaint.escalation_level = rng.choice((0, 0, 1, 2))
        complaint.reopen_count = rng.choice((0, 0, 1))
        complaint.officer_id = officers[place].id if rng.random() < 0.6 else None
        complaint.next_deadline_at = NOW + timedelta(hours=rng.choice((-3, 5)))  # some passed, unfired
        if complaint.status in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED):
            complaint.resolved_at = min(complaint.created_at + timedelta(hours=rng.randint(1, 200)), NOW)
            complaint.satisfied = rng.choice((True, False, None)) if complaint.status is ComplaintStatus.CLOSED else None
        session.commit()
    return places


@pytest.mark.parametrize("role", [Role.DEPUTY_COMMISSIONER, Role.COMMISSIONER, Role.CHIEF_SECRETARY])
def test_each_number_is_the_length_of_its_list(session, make_user, spread, role):
    reader = make_user(role, district=spread["peshawar"])
    reread(session)
    board = dashboards.build_dashboard(session, reader, now=NOW)
    checked = 0
    for name, (columns, rows) in board.tables().items():
        for row in rows:
            for column in columns:
                filters = row.filters_for(column)
                if filters is None:
                    continue
                listed = complaints_query(reader, ComplaintFilters(**filters), now=NOW)
                count = session.scalar(select(func.count()).select_from(listed.subquery()))
                assert row.numbers[column] == count, (name, row.name, column, filters)
                checked += 1
    assert checked > 12
    # The trends too: lodged and resolved per Pakistan day, each day's numbers linked to that day's list.
    assert sum(row.numbers["lodged"] for row in board.trends) > 0
    assert sum(row.numbers["reopened"] for row in board.officers) > 0  # the reopened links are exercised too
    # Every age bucket holds something, so the edges are really exercised.
    if role is not Role.DEPUTY_COMMISSIONER:
        assert all(row.numbers["open"] > 0 for row in board.ageing)


def test_ageing_counts_pakistan_calendar_days(session, make_user, spread):
    dc = make_user(Role.DEPUTY_COMMISSIONER, district=spread["peshawar"])
    late_evening = session.scalar(select(Complaint).where(Complaint.created_at == NOW - timedelta(hours=21)))
    # Lodged at 04:00 on 27 November, Pakistan time: yesterday there, so one day old, in "0-7".
    assert dashboards.age_bucket((dashboards.pk_day(NOW) - dashboards.pk_day(late_evening.created_at)).days) == "0-7"
    reread(session)
    board = dashboards.build_dashboard(session, dc, now=NOW)
    total = session.scalar(select(func.count()).select_from(
        complaints_query(dc, ComplaintFilters(status="open"), now=NOW).subquery()))
    assert sum(row.numbers["open"] for row in board.ageing) == total


def test_the_page_computes_medians_only_for_the_officers_it_shows(session, make_user, spread):
    cs = make_user(Role.CHIEF_SECRETARY)
    # Both officers get a resolution, so both have a median to compute.
    for officer_id in session.scalars(select(Complaint.officer_id).where(Complaint.officer_id.is_not(None)).distinct()):
        complaint = session.scalar(select(Complaint).where(Complaint.officer_id == officer_id).limit(1))
        complaint.resolved_at = complaint.created_at + timedelta(hours=30)
    session.commit()
    reread(session)
    every = dashboards.build_dashboard(session, cs, now=NOW).officers
    first_only = dashboards.build_dashboard(session, cs, now=NOW, officer_medians=1).officers
    assert [r.key for r in every] == [r.key for r in first_only] and len(every) == 2
    assert every[0].numbers["median_days"] is not None and every[1].numbers["median_days"] is not None
    assert first_only[0].numbers == every[0].numbers and first_only[1].numbers["median_days"] is None


@pytest.mark.parametrize("role", [Role.DEPUTY_COMMISSIONER, Role.CHIEF_SECRETARY])
def test_the_overdue_list_read_by_kind_is_the_same_list(session, make_user, spread, role):
    """The page reads "overdue" as the newest of each kind (escalated; deadline passed): same rows, same order."""
    reader = make_user(role, district=spread["peshawar"])
    reread(session)
    whole = [c.id for c in session.scalars(complaints_query(reader, ComplaintFilters(overdue=True), now=NOW))]
    assert len(whole) > 6
    for newest in (1, 3, 6, len(whole) + 5):
        query = complaints_query(reader, ComplaintFilters(overdue=True), now=NOW, newest=newest)
        assert [c.id for c in session.scalars(query.limit(newest))] == whole[:newest]
    # The second page of three, as the list reads it (offset 3, newest 6).
    query = complaints_query(reader, ComplaintFilters(overdue=True), now=NOW, newest=6)
    assert [c.id for c in session.scalars(query.limit(3).offset(3))] == whole[3:6]
