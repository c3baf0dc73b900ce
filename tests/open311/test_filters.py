"""GET requests: the date window, status, service code, ids and pages."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest

from app.models import Role, utcnow
from app.services.casework import complaints
from tests.app.helpers import DESCRIPTION, assign, category, complete
from tests.open311.conftest import error_codes


@pytest.fixture()
def lodged(session, make_user, places):
    """old: 100 days ago, open; closed: 10 days ago, closed since; new: now, open, another service."""
    now = utcnow()
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)

    def lodge_at(when, department_index=0):
        complaint = complaints.submit_complaint(
            session, citizen,
            complaints.ComplaintInput(category(session, department_index).id, places["peshawar"].id,
                                      "Broken streetlight", DESCRIPTION),
            now=when,
        )
        session.commit()
        return complaint

    old, closed, new = lodge_at(now - timedelta(days=100)), lodge_at(now - timedelta(days=10)), lodge_at(now, 1)
    officer = make_user(Role.DISTRICT_OFFICER, department_id=closed.department_id)
    assign(session, closed, dc, officer)
    complete(session, closed, officer, outcome="resolved", action_taken="Replaced the bulb")
    complete(session, closed, citizen, rating="5", satisfied="yes")
    return {"old": old, "closed": closed, "new": new, "now": now}


def ids(client, query: str = "") -> list[str]:
    response = client.get(f"/open311/v2/requests.json{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [r["service_request_id"] for r in response.get_json()]


def w3c(when) -> str:
    return quote(when.isoformat(timespec="seconds"))


def test_by_default_the_last_90_days_newest_first(client, lodged):
    assert ids(client) == [lodged["new"].tracking_number, lodged["closed"].tracking_number]


def test_status_filter(client, lodged):
    new, closed = lodged["new"].tracking_number, lodged["closed"].tracking_number
    assert ids(client, "?status=open") == [new]
    assert ids(client, "?status=closed") == [closed]
    assert ids(client, "?status=open,closed") == [new, closed]
    (record,) = client.get(f"/open311/v2/requests/{closed}.json").get_json()
    assert record["status"] == "closed" and record["expected_datetime"] is None
    assert record["status_notes"] == "Closed, citizen satisfied"


def test_date_window(client, lodged):
    now, old, closed = lodged["now"], lodged["old"].tracking_number, lodged["closed"].tracking_number
    assert ids(client, f"?start_date={w3c(now - timedelta(days=120))}&end_date={w3c(now - timedelta(days=50))}") == [old]
    # Only a start: the 90 days after it. Only an end: the 90 days before it.
    assert ids(client, f"?start_date={w3c(now - timedelta(days=120))}") == [old]
    assert ids(client, f"?end_date={w3c(now - timedelta(days=5))}") == [closed]
    # UTC with Z, and an offset whose "+" the client did not escape (it arrives as a space).
    utc = (now - timedelta(days=11)).strftime("%Y-%m-%dT%H:%M:%SZ")
    unescaped = (now - timedelta(days=9)).astimezone().isoformat(timespec="seconds").replace("+", " ")
    assert ids(client, f"?start_date={utc}&end_date={unescaped}") == [closed]


def test_service_code_filter(client, lodged):
    assert ids(client, f"?service_code={lodged['new'].category.code}") == [lodged["new"].tracking_number]
    both = f"{lodged['new'].category.code},{lodged['closed'].category.code}"
    assert len(ids(client, f"?service_code={both}")) == 2


def test_service_request_ids_ignore_the_other_filters(client, lodged):
    old, new = lodged["old"].tracking_number, lodged["new"].tracking_number
    assert ids(client, f"?service_request_id={old},{new},KP-0000-0000000&status=closed") == [new, old]


def test_pages(client, lodged):
    new, closed = lodged["new"].tracking_number, lodged["closed"].tracking_number
    assert ids(client, "?page_size=1") == [new]
    assert ids(client, "?page_size=1&page=2") == [closed]
    assert ids(client, "?page_size=1&page=3") == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?start_date=2026-03-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "end_date"),
        ("?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "end_date"),
        ("?start_date=2026-01-01T10:00:00", "start_date"),
        ("?end_date=31/01/2026", "end_date"),
        ("?status=pending", "status"),
        ("?service_code=NO-SUCH-CODE", "service_code"),
        ("?page=0", "page"),
        ("?page_size=1001", "page_size"),
        ("?page_size=ten", "page_size"),
    ],
)
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_bad_filters_are_400(client, query, parameter, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}{query}")
    assert response.status_code == 400
    assert [d.split(":")[0] for _, d in error_codes(response, fmt)] == [parameter]
