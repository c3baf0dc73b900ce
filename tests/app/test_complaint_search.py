"""The complaint list's search box and category filter: a tracking number opens its complaint only for
a reader who may read it; words search subject and description within the reader's scope, with the other
filters. Runs on SQLite (LIKE) and, in the PostgreSQL pass, on the full-text index."""
from __future__ import annotations

import re

import pytest

from app.models import Complaint, ComplaintStatus, Role
from app.services import organisation
from app.services.casework import complaint_filters, complaints, search
from tests.app.helpers import category, fresh, text_of
from tests.conftest import login

TRACKING = re.compile(r"KP-\d{4}-\d{7}")
URDU_SUBJECT = "سڑک پر بڑا گڑھا"
URDU_DESCRIPTION = "ہماری گلی کی سڑک میں بڑا گڑھا ہے جو ہر روز حادثات کا سبب بنتا ہے۔"


@pytest.fixture()
def world(session, make_user, places):
    """Complaints in Peshawar (two departments), Nowshera (same division) and Mardan (another);
    the keys of `complaints` name each one."""
    citizen = make_user(Role.CITIZEN)
    made = {}
    # name: (district, department index, subject, description)
    for name, district, department, subject, description in (
        ("pesh_light", "peshawar", 0, "Broken streetlight on Saddar road",
         "The lamp post opposite the bakery has been dark for two weeks."),
        ("pesh_water", "peshawar", 1, "No water supply in our lane",
         "Since the streetlight pole was moved the water pipe has been cut."),
        ("nowshera_light", "nowshera", 0, "Streetlight flickering all night",
         "The light near the bus stand switches on and off every minute."),
        ("mardan_light", "mardan", 0, "Streetlight broken near the school",
         "Children walk home in the dark since the light broke."),
        ("urdu", "peshawar", 0, URDU_SUBJECT, URDU_DESCRIPTION),
    ):
        made[name] = complaints.submit_complaint(session, citizen, complaints.ComplaintInput(
            category(session, department).id, places[district].id, subject, description))
    session.commit()
    departments = organisation.departments(session)
    readers = {
        "dc": make_user(Role.DEPUTY_COMMISSIONER, district=places["peshawar"]),
        "dc_nowshera": make_user(Role.DEPUTY_COMMISSIONER, district=places["nowshera"]),
        "commissioner": make_user(Role.COMMISSIONER, district=places["peshawar"]),
        "commissioner_mardan": make_user(Role.COMMISSIONER, district=places["mardan"]),
        "cs": make_user(Role.CHIEF_SECRETARY),
        "officer": make_user(Role.DISTRICT_OFFICER, district=places["peshawar"], department_id=departments[0].id),
        "officer_other_dept": make_user(Role.DISTRICT_OFFICER, district=places["peshawar"],
                                        department_id=departments[1].id),
    }
    return {"complaints": made, "readers": readers, "departments": departments}


def client_of(app, world, reader):
    client = app.test_client()
    login(client, world["readers"][reader])
    return client


def found(app, world, reader, **args):
    """The complaints `reader` lists at /complaints with these arguments, by their names in `world`."""
    response = client_of(app, world, reader).get("/complaints", query_string=args)
    assert response.status_code == 200, response.status_code
    shown = set(TRACKING.findall(response.get_data(as_text=True)))
    return {name for name, c in world["complaints"].items() if c.tracking_number in shown}


STREETLIGHT = {
    "dc": {"pesh_light", "pesh_water"},  # pesh_water by its description
    "dc_nowshera": {"nowshera_light"},
    "commissioner": {"pesh_light", "pesh_water", "nowshera_light"},
    "commissioner_mardan": {"mardan_light"},
    "cs": {"pesh_light", "pesh_water", "nowshera_light", "mardan_light"},
    "officer": {"pesh_light"},  # Peshawar, department 0
    "officer_other_dept": {"pesh_water"},  # Peshawar, department 1
}


@pytest.mark.parametrize("reader", list(STREETLIGHT))
def test_words_find_subject_and_description_within_the_readers_scope(app, world, reader):
    assert found(app, world, reader, q="streetlight") == STREETLIGHT[reader]


@pytest.mark.parametrize(("q", "expected"), [
    ("STREETLIGHT", {"pesh_light", "pesh_water", "nowshera_light", "mardan_light"}),  # any case
    ("streetlight saddar", {"pesh_light"}),  # every word must occur
    ("saddar, streetlight!", {"pesh_light"}),  # punctuation is no word
    ("bakery", {"pesh_light"}),  # description only
    ("school streetlight", {"mardan_light"}),
    ("streetlight ambulance", set()),
    ("گڑھا", {"urdu"}),  # Urdu, as written
    ("حادثات سڑک", {"urdu"}),
])
def test_every_word_must_occur(app, world, q, expected):
    assert found(app, world, "cs", q=q) == expected


def test_urdu_words_stay_within_the_scope_too(app, world):
    assert found(app, world, "dc", q="گڑھا") == {"urdu"}
    assert found(app, world, "dc_nowshera", q="گڑھا") == set()
    assert found(app, world, "commissioner_mardan", q="گڑھا") == set()


def test_words_combine_with_the_other_filters(app, world, session):
    departments = world["departments"]
    assert found(app, world, "cs", q="streetlight", department_id=departments[1].id) == {"pesh_water"}
    assert found(app, world, "cs", q="streetlight", district_id=world["complaints"]["mardan_light"].district_id) \
        == {"mardan_light"}
    assert found(app, world, "cs", q="streetlight", status="submitted") == STREETLIGHT["cs"]
    closed = fresh(session, Complaint, world["complaints"]["pesh_light"].id)
    closed.status = ComplaintStatus.CLOSED
    session.commit()
    assert found(app, world, "cs", q="streetlight", status="open") == STREETLIGHT["cs"] - {"pesh_light"}


def test_no_match_says_so_and_paging_keeps_the_search(app, world):
    page = text_of(client_of(app, world, "cs").get("/complaints", query_string={"q": "ambulance"}))
    assert "No complaint matches “ambulance”." in page
    listing = client_of(app, world, "cs").get("/complaints", query_string={"q": "streetlight"}).get_data(as_text=True)
    assert 'name="q" value="streetlight"' in listing
    assert complaints.ComplaintFilters(q="streetlight", category_id=4).as_args() == {"q": "streetlight", "category_id": 4}


def test_text_without_any_word_searches_nothing(app, world):
    assert found(app, world, "dc", q=" ?! -- ") == {"pesh_light", "pesh_water", "urdu"}


# Tracking numbers ---------------------------------------------------------------

def spellings(number: str) -> list[str]:
    return [number, number.lower(), f"  {number}  ", number.replace("-", " "), number.replace("-", "")]


@pytest.mark.parametrize("reader", ["dc", "commissioner", "cs", "officer"])
def test_a_tracking_number_opens_the_complaint_for_a_reader_who_may_read_it(app, world, reader):
    complaint = world["complaints"]["pesh_light"]
    client = client_of(app, world, reader)
    for spelling in spellings(complaint.tracking_number):
        response = client.get("/complaints", query_string={"q": spelling, "status": "closed"})
        assert response.status_code == 302, spelling
        assert response.headers["Location"] == f"/complaints/{complaint.id}"


@pytest.mark.parametrize("reader", ["dc_nowshera", "commissioner_mardan", "officer_other_dept"])
def test_a_tracking_number_out_of_scope_is_the_same_as_one_that_does_not_exist(app, world, reader):
    complaint = world["complaints"]["pesh_light"]
    client = client_of(app, world, reader)
    missing = "KP-2001-9999999"
    assert search.tracking_number_in(missing) == missing

    theirs = client.get("/complaints", query_string={"q": complaint.tracking_number})
    nobodys = client.get("/complaints", query_string={"q": missing})

    assert theirs.status_code == nobodys.status_code == 200
    assert f"No complaint matches “{complaint.tracking_number}”." in text_of(theirs)
    assert _without_csrf_tokens(text_of(theirs)).replace(complaint.tracking_number, missing) == \
        _without_csrf_tokens(text_of(nobodys))
    for spelling in spellings(complaint.tracking_number):
        page = client.get("/complaints", query_string={"q": spelling})
        assert page.status_code == 200 and complaint.subject not in text_of(page)
        assert f"No complaint matches “{complaint.tracking_number}”." in text_of(page)


def _without_csrf_tokens(page: str) -> str:
    """A CSRF token carries the second it was signed in: two pages a second apart differ by it alone."""
    return re.sub(r'(name="csrf[-_]token" (?:content|value)=")[^"]*', r"\1", page)


def test_tracking_numbers_are_read_in_any_case_and_spacing():
    for spelling in spellings("KP-2612-0000123"):
        assert search.tracking_number_in(spelling) == "KP-2612-0000123"
        assert search.normalized_query(spelling) == "KP-2612-0000123"
    for text in ("KP-2612", "KP-2612-00001", "XP-2612-0000123", "KP-2612-0000123 streetlight"):
        assert search.tracking_number_in(text) is None
    assert search.search_words("Broken   street-light, سڑک۔ 12") == ["Broken", "street", "light", "سڑک", "12"]
    assert search.normalized_query("  ?! ") == ""


# The category filter --------------------------------------------------------------

def test_the_category_filter_narrows_within_scope(app, world):
    light = world["complaints"]["pesh_light"]
    assert found(app, world, "cs", category_id=light.category_id) == {"pesh_light", "nowshera_light", "mardan_light",
                                                                       "urdu"}
    assert found(app, world, "dc", category_id=light.category_id) == {"pesh_light", "urdu"}
    assert found(app, world, "dc", category_id=light.category_id, q="streetlight") == {"pesh_light"}
    water = world["complaints"]["pesh_water"]
    assert found(app, world, "dc_nowshera", category_id=water.category_id) == set()


def test_the_category_select_offers_the_chosen_departments_categories(app, world, session):
    departments = world["departments"]
    cs = world["readers"]["cs"]
    everything = complaint_filters.filter_options(session, cs, complaints.ComplaintFilters()).categories
    chosen = complaint_filters.filter_options(
        session, cs, complaints.ComplaintFilters(department_id=departments[1].id)).categories
    assert len(everything) == sum(len(d.categories) for d in departments)
    assert [o.value for o in chosen] == sorted((c.id for c in departments[1].categories),
                                               key=lambda i: next(c.name for c in departments[1].categories if c.id == i))
    assert all(o.label == c.name for o, c in zip(chosen, sorted(departments[1].categories, key=lambda c: c.name)))
    assert f"({departments[1].name})" in next(o.label for o in everything if o.value == chosen[0].value)

    page = client_of(app, world, "cs").get("/complaints", query_string={"department_id": departments[1].id})
    options = re.search(r'<select[^>]*name="category_id"[^>]*>(.*?)</select>', page.get_data(as_text=True), re.S).group(1)
    assert len(re.findall(r'<option value="\d+"', options)) == len(departments[1].categories)
