"""The public figures add up: resolved + in progress + long-term + closed without a resolution = lodged,
for the province and for every area, each part matching the complaints counted one by one."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import and_, func, not_, select

from app.models import Complaint, ComplaintStatus, Role, utcnow
from app.services.statistics import figures
from app.services.statistics.dashboards import resolved_condition
from tests.app.helpers import assign, complete, lodge, text_of

PARTS = ("resolved", "in_progress", "systemic", "closed_unresolved")


@pytest.fixture()
def lived(session, make_user, places, known):
    """The hand-worked data set, plus complaints moved by the services: one resolved and awaiting the
    rating, one reopened and with the DC again, one closed satisfied, one systemic; and one closed
    while its resolution was rejected (a state no shipped step leaves, kept here so the part shows)."""
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    made = [lodge(session, citizen, places["peshawar"], department_index=i % 2) for i in range(4)]
    for complaint in made:
        officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
        assign(session, complaint, dc, officer)
        outcome = "systemic" if complaint is made[3] else "resolved"
        complete(session, complaint, officer, outcome=outcome, action_taken="Work done")
    complete(session, made[1], citizen, rating="2", satisfied="no", comment="Not fixed")
    complete(session, made[2], citizen, rating="5", satisfied="yes")
    rejected = lodge(session, citizen, places["nowshera"])
    rejected.status, rejected.satisfied, rejected.closed_at = ComplaintStatus.CLOSED, False, utcnow()
    session.commit()
    return known


def counted(session, *where) -> dict[str, int]:
    """Each part counted straight from the complaints table."""
    def n(*condition):
        return session.scalar(select(func.count()).select_from(Complaint).where(*where, *condition))

    is_open = Complaint.status != ComplaintStatus.CLOSED
    return {
        "lodged": n(),
        "resolved": n(resolved_condition()),
        "in_progress": n(is_open, not_(resolved_condition()), Complaint.status != ComplaintStatus.SYSTEMIC),
        "systemic": n(Complaint.status == ComplaintStatus.SYSTEMIC),
        "closed_unresolved": n(and_(not_(is_open), not_(resolved_condition()))),
        "awaiting_rating": n(is_open, Complaint.resolved_at.is_not(None)),
    }


def parts_of(f: figures.Figures) -> dict[str, int]:
    return {name: getattr(f, name) for name in ("lodged", *PARTS, "awaiting_rating")}


def test_the_parts_add_up_to_lodged_for_the_province_and_every_area(session, lived, places):
    stats = figures.public_stats(session, now=lived["now"] + timedelta(minutes=1))

    province = parts_of(stats.province)
    assert sum(province[p] for p in PARTS) == province["lodged"] == 11
    assert province == counted(session)
    assert all(province[p] > 0 for p in PARTS)
    for level in figures.LEVELS:
        for area in getattr(stats, level + "s"):
            numbers = parts_of(area.figures)
            assert sum(numbers[p] for p in PARTS) == numbers["lodged"], (level, area.name)
            assert numbers == counted(session, getattr(Complaint, f"{level}_id") == area.id), (level, area.name)
    peshawar = next(a for a in stats.districts if a.id == places["peshawar"].id).figures
    assert (peshawar.lodged, peshawar.resolved, peshawar.in_progress, peshawar.systemic) == (9, 6, 2, 1)


def test_the_page_shows_the_sum_and_says_what_each_word_means(client, session, lived, places):
    page = text_of(client.get("/statistics"))
    assert "11 lodged = 6 resolved + 2 in progress + 2 long-term action + 1 closed without a resolution" in page
    glossary = page.split("What the words mean")[1]
    for word in ("Lodged", "Resolved", "In progress", "Long-term action", "Closed without a resolution",
                 "Resolution rate", "Median time to resolve", "Citizens satisfied", "Escalated"):
        assert f"<dt>{word}</dt>" in glossary

    area = text_of(client.get(f"/statistics/district/{places['peshawar'].id}"))
    assert "9 lodged = 6 resolved + 2 in progress + 1 long-term action + 0 closed without a resolution" in area
    assert "What the words mean" in area
