"""The complaint list's age, officer and division filters: what each reader may narrow to, what
the form offers and shows as chosen, and that odd or out-of-scope values never widen the list."""
from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from app.blueprints import complaints as complaints_page
from app.models import ComplaintStatus, Role, utcnow
from app.services.casework import complaint_filters
from tests.app.helpers import lodge
from tests.conftest import BuiltOnce, login

TRACKING = re.compile(r"KP-\d{4}-\d{7}")


@pytest.fixture(scope="module")
def built_world(db_url, engine, tmp_path_factory) -> BuiltOnce:
    return BuiltOnce(db_url, engine, tmp_path_factory, build_world)


@pytest.fixture()
def world(app, session, built_world: BuiltOnce) -> dict:
    return built_world.put_back(app, session)


def build_world(app, session, make_user, places) -> dict:
    """Officers in Peshawar (one inactive), Nowshera (same division) and Mardan (another division),
    and complaints of every age bucket spread over them; the keys of `complaints` name each one."""
    officers = {
        "peshawar": make_user(Role.DISTRICT_OFFICER, district=places["peshawar"], name="Asma Peshawar"),
        "retired": make_user(Role.DISTRICT_OFFICER, district=places["peshawar"], name="Rafiq Retired"),
        "nowshera": make_user(Role.DISTRICT_OFFICER, district=places["nowshera"], name="Noor Nowshera"),
        "mardan": make_user(Role.DISTRICT_OFFICER, district=places["mardan"], name="Majid Mardan"),
    }
    officers["retired"].active = False
    citizen = make_user(Role.CITIZEN)
    now = utcnow()
    made = {}
    # name: (district, officer, days since lodging, closed)
    for name, district, officer, days, closed in (
        ("fresh", "peshawar", "peshawar", 3, False),
        ("week_two", "peshawar", None, 10, False),
        ("old", "nowshera", "nowshera", 30, False),
        ("third_week", "mardan", "mardan", 18, False),
        ("closed_old", "peshawar", "peshawar", 30, True),
    ):
        complaint = lodge(session, citizen, places[district], subject=f"Complaint {name}")
        complaint.created_at = now - timedelta(days=days)
        complaint.officer_id = officers[officer].id if officer else None
        if closed:
            complaint.status = ComplaintStatus.CLOSED
        made[name] = complaint
    session.commit()
    readers = {
        "dc": make_user(Role.DEPUTY_COMMISSIONER, district=places["peshawar"]),
        "commissioner": make_user(Role.COMMISSIONER, district=places["peshawar"]),
        "cs": make_user(Role.CHIEF_SECRETARY),
        "analyst": make_user(Role.ANALYST),
        "officer": officers["peshawar"],
    }
    return {"officers": officers, "complaints": made, "readers": readers, "places": places}


def listed(app, world, reader, query=""):
    """The complaints `reader` sees at /complaints?query, by their names in `world`."""
    client = app.test_client()
    login(client, world["readers"][reader])
    response = client.get(f"/complaints?{query}")
    assert response.status_code == 200, response.status_code
    shown = set(TRACKING.findall(response.get_data(as_text=True)))
    return {name for name, c in world["complaints"].items() if c.tracking_number in shown}


IN_SCOPE = {
    "dc": {"fresh", "week_two", "closed_old"},
    "commissioner": {"fresh", "week_two", "old", "closed_old"},
    "cs": {"fresh", "week_two", "old", "third_week", "closed_old"},
    "officer": {"fresh", "week_two", "closed_old"},  # Peshawar, department 0
}


def test_each_reader_starts_from_their_scope(app, world):
    assert {reader: listed(app, world, reader) for reader in IN_SCOPE} == IN_SCOPE


@pytest.mark.parametrize(("reader", "age", "expected"), [
    ("dc", "0-7", {"fresh"}),
    ("dc", "8-15", {"week_two"}),
    ("dc", "23+", set()),  # Peshawar's old one is closed; Nowshera's is not the DC's
    ("commissioner", "23+", {"old"}),
    ("commissioner", "16-22", set()),  # Mardan's is another division's
    ("cs", "16-22", {"third_week"}),
    ("cs", "23+", {"old"}),
    ("officer", "0-7", {"fresh"}),
    ("officer", "16-22", set()),
])
def test_age_filter_narrows_within_scope(app, world, reader, age, expected):
    assert listed(app, world, reader, f"age={age.replace('+', '%2B')}") == expected


@pytest.mark.parametrize(("reader", "officer", "expected"), [
    ("dc", "peshawar", {"fresh", "closed_old"}),
    ("dc", "nowshera", set()),
    ("dc", "mardan", set()),
    ("commissioner", "nowshera", {"old"}),
    ("commissioner", "mardan", set()),
    ("cs", "mardan", {"third_week"}),
    ("cs", "retired", set()),
])
def test_officer_filter_narrows_within_scope(app, world, reader, officer, expected):
    assert listed(app, world, reader, f"officer_id={world['officers'][officer].id}") == expected


@pytest.mark.parametrize(("reader", "district", "expected"), [
    ("cs", "peshawar", {"fresh", "week_two", "old", "closed_old"}),
    ("cs", "mardan", {"third_week"}),
    ("commissioner", "peshawar", {"fresh", "week_two", "old", "closed_old"}),
    ("commissioner", "mardan", set()),
    ("dc", "mardan", set()),
    ("dc", "peshawar", {"fresh", "week_two", "closed_old"}),
])
def test_division_filter_narrows_within_scope(app, world, reader, district, expected):
    division_id = world["places"][district].division_id
    assert listed(app, world, reader, f"division_id={division_id}") == expected


def test_filters_combine(app, world):
    officer = world["officers"]["peshawar"].id
    assert listed(app, world, "cs", f"officer_id={officer}&status=open") == {"fresh"}
    assert listed(app, world, "cs", f"officer_id={officer}&age=23%2B") == set()  # its old one is closed
    division = world["places"]["mardan"].division_id
    assert listed(app, world, "cs", f"division_id={division}&district_id={world['places']['peshawar'].id}") == set()


@pytest.mark.parametrize(("query", "expected"), [
    ("age=abc", "all"),
    ("age=", "all"),
    ("officer_id=x", "all"),
    ("officer_id=", "all"),
    ("division_id=-1", "all"),
    ("division_id=0", "all"),
    ("district_id=1.5", "all"),
    ("officer_id=99999999999999999999999", "all"),
    ("division_id=2147483647", set()),
    ("officer_id=2147483647", set()),
    ("page=99999999999999999999999", "all"),
    ("page=-3", "all"),
], ids=lambda v: v if isinstance(v, str) else "empty")
def test_odd_values_are_ignored_or_match_nothing(app, world, query, expected):
    assert listed(app, world, "cs", query) == (IN_SCOPE["cs"] if expected == "all" else expected)


class Selects(HTMLParser):
    """{select name: [(value, label, selected)]} of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.selects: dict[str, list[list]] = {}
        self._select = self._option = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._select = self.selects.setdefault(attrs["name"], [])
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value"), "", "selected" in attrs]
            self._select.append(self._option)

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self._option = None
        elif tag == "select":
            self._select = None


def form_of(app, world, reader, query=""):
    client = app.test_client()
    login(client, world["readers"][reader])
    return Selects(client.get(f"/complaints?{query}").get_data(as_text=True)).selects


def labels(options):
    return [label for value, label, _ in options if value]


def chosen(options):
    return [(value, label) for value, label, selected in options if selected]


def test_dc_chooses_among_the_districts_officers_only(app, world):
    form = form_of(app, world, "dc")
    assert labels(form["officer_id"]) == ["Asma Peshawar", "Rafiq Retired (inactive)"]
    assert labels(form["age"]) == ["0–7 days", "8–15 days", "16–22 days", "Over 22 days"]
    assert "division_id" not in form and "district_id" not in form


def test_commissioner_chooses_among_the_divisions_officers_labelled_with_district(app, world):
    form = form_of(app, world, "commissioner")
    assert labels(form["officer_id"]) == ["Asma Peshawar, Peshawar", "Noor Nowshera, Nowshera",
                                          "Rafiq Retired, Peshawar (inactive)"]
    assert "division_id" not in form
    assert "Mardan" not in labels(form["district_id"])


@pytest.mark.parametrize("reader", ["cs", "analyst"])
def test_province_readers_choose_a_division_and_any_officer(app, world, reader):
    form = form_of(app, world, reader)
    assert len(labels(form["division_id"])) == 7 and "Mardan" in labels(form["division_id"])
    assert "Majid Mardan, Mardan" in labels(form["officer_id"])


def test_district_officer_sees_no_officer_or_division_filter(app, world):
    form = form_of(app, world, "officer")
    assert set(form) == {"status", "age", "department_id", "category_id"}


def test_the_form_shows_the_filters_applied_from_a_link(app, world):
    places, officer = world["places"], world["officers"]["mardan"]
    query = (f"status=open&age=16-22&officer_id={officer.id}&division_id={places['mardan'].division_id}"
             f"&district_id={places['mardan'].id}&overdue=1")
    form = form_of(app, world, "cs", query)
    assert chosen(form["status"]) == [("open", "Open (not closed)")]
    assert chosen(form["age"]) == [("16-22", "16–22 days")]
    assert chosen(form["officer_id"]) == [(str(officer.id), "Majid Mardan, Mardan")]
    assert chosen(form["division_id"]) == [(str(places["mardan"].division_id), "Mardan")]
    assert chosen(form["district_id"]) == [(str(places["mardan"].id), "Mardan")]
    assert chosen(form["department_id"]) == []


def test_an_out_of_scope_choice_is_shown_but_not_named(app, world):
    """The Commissioner sent another division's officer sees an empty list and why, not the name."""
    officer = world["officers"]["mardan"]
    form = form_of(app, world, "commissioner", f"officer_id={officer.id}")
    assert chosen(form["officer_id"]) == [(str(officer.id), f"Not in your list (no. {officer.id})")]
    assert "Majid" not in str(form)


def test_too_many_officers_wait_for_a_district(app, world, monkeypatch):
    monkeypatch.setattr(complaint_filters, "OFFICER_SELECT_LIMIT", 3)  # the province has 4 officers here
    places, mardan = world["places"], world["officers"]["mardan"]
    client = app.test_client()
    login(client, world["readers"]["cs"])

    page = client.get("/complaints").get_data(as_text=True)
    assert labels(Selects(page).selects["officer_id"]) == []
    assert "Choose a district and press Filter to list its officers." in page

    # From a dashboard link: the chosen officer is shown although the rest wait for a district.
    assert labels(form_of(app, world, "cs", f"officer_id={mardan.id}")["officer_id"]) == ["Majid Mardan, Mardan"]
    in_district = form_of(app, world, "cs", f"district_id={places['nowshera'].id}")["officer_id"]
    assert labels(in_district) == ["Noor Nowshera, Nowshera"]
    # A division's three officers fit under the limit.
    in_division = form_of(app, world, "cs", f"division_id={places['peshawar'].division_id}")["officer_id"]
    assert len(labels(in_division)) == 3
    # The DC's one district is listed whatever the limit: there is no district to pick first.
    monkeypatch.setattr(complaint_filters, "OFFICER_SELECT_LIMIT", 1)
    assert len(labels(form_of(app, world, "dc")["officer_id"])) == 2


def test_paging_keeps_every_filter(app, session, world, monkeypatch):
    monkeypatch.setattr(complaints_page, "PAGE_SIZE", 1)
    places, officer = world["places"], world["officers"]["peshawar"]
    for complaint in world["complaints"]["fresh"], world["complaints"]["closed_old"]:
        complaint.escalation_level, complaint.status = 1, ComplaintStatus.IN_PROGRESS
        complaint.created_at = utcnow() - timedelta(days=25)
    session.commit()
    filters = {"status": "in_progress", "age": "23+", "department_id": str(world["complaints"]["fresh"].department_id),
               "district_id": str(places["peshawar"].id), "division_id": str(places["peshawar"].division_id),
               "officer_id": str(officer.id), "overdue": "1", "escalated": "1"}
    client = app.test_client()
    login(client, world["readers"]["cs"])

    first = client.get("/complaints", query_string={**filters, "junk": "x"}).get_data(as_text=True)
    older = re.search(r'<a href="([^"]+)">Older', first).group(1).replace("&amp;", "&")
    assert {k: v for k, (v,) in parse_qs(urlsplit(older).query).items()} == {**filters, "page": "2"}
    second = client.get(older).get_data(as_text=True)
    assert "page 2 of 2" in second and "Older" not in second
    shown = set(TRACKING.findall(first)) | set(TRACKING.findall(second))
    assert shown == {world["complaints"][n].tracking_number for n in ("fresh", "closed_old")}


def test_lodged_on_and_resolved_on_pick_one_pakistan_day(app, session, world):
    from app.models import Complaint
    from app.services.statistics.dashboards import pk_day

    fresh = session.get(Complaint, world["complaints"]["fresh"].id)
    day = pk_day(fresh.created_at)
    fresh.resolved_at = fresh.created_at + timedelta(days=1)
    session.commit()
    assert listed(app, world, "cs", f"lodged_on={day.isoformat()}") == {"fresh"}
    assert listed(app, world, "cs", f"resolved_on={(day + timedelta(days=1)).isoformat()}") == {"fresh"}
    assert listed(app, world, "cs", f"lodged_on={(day - timedelta(days=1)).isoformat()}") == set()
    # Nowshera's old one and Peshawar's closed one were lodged the same day: the DC sees only Peshawar's.
    assert listed(app, world, "dc", f"lodged_on={pk_day(world['complaints']['old'].created_at)}") == {"closed_old"}
    client = app.test_client()
    login(client, world["readers"]["cs"])
    page = client.get(f"/complaints?lodged_on={day.isoformat()}").get_data(as_text=True)
    assert f'name="lodged_on" value="{day.isoformat()}"' in page  # the form shows the day applied


@pytest.mark.parametrize("query", ["lodged_on=yesterday", "lodged_on=9999-12-31", "resolved_on=0001-01-01",
                                   "lodged_on=2026-02-30", "resolved_on="])
def test_odd_days_are_ignored(app, world, query):
    assert listed(app, world, "cs", query) == IN_SCOPE["cs"]


def test_paging_links_carry_days_as_iso_dates():
    from datetime import date

    from app.services.casework.complaints import ComplaintFilters

    assert ComplaintFilters(lodged_on=date(2026, 11, 27), overdue=True).as_args() == {
        "lodged_on": "2026-11-27", "overdue": 1}


def test_a_huge_list_is_counted_up_to_a_limit(app, world, monkeypatch):
    monkeypatch.setattr(complaints_page, "COUNT_LIMIT", 3)
    client = app.test_client()
    login(client, world["readers"]["cs"])
    first = client.get("/complaints").get_data(as_text=True)
    assert "More than 3 complaints match; the pages reach the newest 3" in first
    assert "Older" not in first  # no page beyond the limit
    narrowed = client.get("/complaints?district_id=%d" % world["places"]["mardan"].id).get_data(as_text=True)
    assert "1 complaint(s)" in narrowed and "More than" not in narrowed
