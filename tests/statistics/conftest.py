"""A small known data set: five complaints whose numbers are worked out by hand in the tests."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.models import ComplaintStatus, Role, utcnow
from tests.app.helpers import cheap_password_hashing, lodge

# Citizens' personal data the public figures must never show.
PEOPLE = [("Zarmina Yousafzai", "17301-5550001-2", "0345-5550001"), ("Gulalai Afridi", "17301-5550002-4", "0345-5550002")]
ADDRESS = "House 77, Street 9, Gulbahar Colony"


@pytest.fixture()
def known(session, make_user, places, monkeypatch):
    """Peshawar (department 0): resolved in 1, 2, 3 and 10 days (two rated: one satisfied), one open
    escalated to the Chief Secretary; Mardan (department 1): one systemic, escalated to the Commissioner."""
    cheap_password_hashing(monkeypatch)
    from app.services.people import accounts

    citizens = [
        accounts.create_citizen(session, accounts.Registration(name, cnic, mobile, places["peshawar"].id,
                                                                 "correct-horse-1", "correct-horse-1"))
        for name, cnic, mobile in PEOPLE
    ]
    session.commit()
    now = utcnow()
    made = []
    for days, rated in ((1, True), (2, False), (3, None), (10, None)):
        c = lodge(session, citizens[0], places["peshawar"], subject="Broken water pipe")
        c.address = ADDRESS
        c.created_at = now - timedelta(days=20)
        c.resolved_at = c.created_at + timedelta(days=days)
        c.status = ComplaintStatus.CLOSED if rated is not None else ComplaintStatus.RESOLVED
        c.satisfied = rated
        c.rating = None if rated is None else (5 if rated else 1)
        made.append(c)
    open_one = lodge(session, citizens[1], places["peshawar"])
    open_one.created_at, open_one.escalation_level = now - timedelta(days=30), 2
    open_one.status = ComplaintStatus.SUBMITTED
    systemic = lodge(session, citizens[1], places["mardan"], department_index=1)
    systemic.created_at, systemic.escalation_level = now - timedelta(days=10), 1
    systemic.status = ComplaintStatus.SYSTEMIC
    systemic.officer_id = make_user(Role.DISTRICT_OFFICER, district=places["mardan"]).id
    session.commit()
    return {"citizens": citizens, "resolved": made, "open": open_one, "systemic": systemic, "now": now}
