"""On PostgreSQL the search, the category filter and the lodge page's look-up of nearby complaints read
along their indexes (migration 0014), not through the whole table: EXPLAIN of the very statements
the pages run, over 20,000 complaints with fresh planner statistics."""
from __future__ import annotations

import os
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text

from app import create_app
from app.models import Category, Complaint, ComplaintStatus, District, Role, User, utcnow
from app.services import organisation
from app.services.casework import complaints, search, similar
from app.services.casework.scope import complaint_filter
from tests.app.helpers import cheap_password_hashing
from tests.conftest import reset_database, seeded_places, user_maker

ON_POSTGRESQL = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://..."),
]
ROWS = 20_000
WORDS = ["water", "road", "school", "hospital", "electricity", "drain", "garbage", "streetlight", "پانی", "سڑک"]
RARE = "xylophone"  # in every 5,000th complaint
URDU_RARE = "گڑھا"  # in every 4,000th


@pytest.fixture(scope="module")
def app(db_url, engine, tmp_path_factory):
    """One app for the module, and the database emptied after its last test, not after each: its tests only
    read (EXPLAIN) the 20,000 complaints, which took 6.6 s to write and analyse for each of them."""
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False,
                      "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads"))})
    yield app
    app.extensions["db_engine"].dispose()
    reset_database(engine)


@pytest.fixture(scope="module")
def written(app) -> dict:
    """ROWS complaints over every district and category (written directly: no processes needed here)."""
    with pytest.MonkeyPatch.context() as patch, app.extensions["db_sessions"]() as session:
        cheap_password_hashing(patch)
        make_user = user_maker(session, seeded_places(session))
        citizen = make_user(Role.CITIZEN)
        districts = list(session.scalars(select(District)))
        categories = [c for _, cs in organisation.categories_by_department(session) for c in cs]
        chance, now = random.Random(14), utcnow()
        rows = []
        for n in range(1, ROWS + 1):
            district, kind = districts[n % len(districts)], categories[n % len(categories)]
            words = " ".join(chance.choice(WORDS) for _ in range(6))
            extra = (f" {RARE}" if n % 5000 == 0 else "") + (f" {URDU_RARE}" if n % 4000 == 0 else "")
            rows.append({
                "tracking_number": f"KP-1901-{n:07d}", "citizen_id": citizen.id, "category_id": kind.id,
                "department_id": kind.department_id, "district_id": district.id, "division_id": district.division_id,
                "subject": f"Complaint {n} about {chance.choice(WORDS)}", "description": f"{words}{extra} near house {n}",
                "status": ComplaintStatus.CLOSED if n % 3 else ComplaintStatus.IN_PROGRESS, "escalation_level": 0,
                "reopen_count": 0, "created_at": now - timedelta(minutes=n), "updated_at": now,
                "latitude": 34.0 + chance.random() * 2, "longitude": 71.0 + chance.random() * 2,
            })
        session.execute(insert(Complaint), rows)
        session.commit()
        # As autovacuum leaves a table: the rows earlier tests deleted gone from the table and its indexes, and
        # fresh statistics (VACUUM cannot run inside a transaction, hence a connection of its own).
        with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as own:
            own.execute(text("VACUUM ANALYZE complaints"))
        return {"districts": [d.id for d in districts], "categories": [c.id for c in categories],
                "readers": {"cs": make_user(Role.CHIEF_SECRETARY).id, "dc": make_user(Role.DEPUTY_COMMISSIONER).id}}


@pytest.fixture()
def many(session, written):
    """The written complaints' districts, categories and two readers, in the test's own session."""
    return {"districts": [session.get(District, i) for i in written["districts"]],
            "categories": [session.get(Category, i) for i in written["categories"]],
            "readers": {name: session.get(User, i) for name, i in written["readers"].items()}}


def plan(session, statement) -> str:
    """PostgreSQL's plan for `statement`, executed as the app executes it (bound parameters); never
    a read of the whole complaints table."""
    compiled = statement.compile(dialect=session.get_bind().dialect)
    rows = session.connection().exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars()
    found = "\n".join(rows)
    assert "Seq Scan on complaints" not in found, found
    return found


def listed(user, **filters):
    """The list page's two statements: a page of the newest, and the count up to its limit."""
    query = complaints.complaints_query(user, complaints.ComplaintFilters(**filters), newest=50)
    page = query.limit(50)
    count = select(func.count()).select_from(query.order_by(None).limit(10_001).subquery())
    return page, count


@pytest.mark.parametrize("reader", ["cs", "dc"])
@pytest.mark.parametrize("word", [RARE, URDU_RARE])
def test_searching_words_reads_the_full_text_index(session, many, reader, word):
    user = many["readers"][reader]
    for statement in listed(user, q=word):
        assert "ix_complaints_search" in plan(session, statement)
    page, _ = listed(many["readers"]["cs"], q=word)
    hits = session.scalars(page).unique().all()
    assert len(hits) == ROWS // (5000 if word == RARE else 4000)
    assert all(word in hit.description for hit in hits)


def test_a_search_with_other_filters_still_reads_the_index(session, many):
    cs = many["readers"]["cs"]
    for statement in listed(cs, q=f"{RARE} water", status="open", category_id=many["categories"][0].id):
        assert "ix_complaints_search" in plan(session, statement)


def test_a_common_word_fills_the_page_along_the_date_index(session, many):
    page, count = listed(many["readers"]["cs"], q="water")
    assert "ix_complaints_created_id" in plan(session, page)
    assert "ix_complaints_search" in plan(session, count)
    assert len(session.scalars(page).unique().all()) == 50


def test_a_tracking_number_is_one_index_look_up(session, many):
    cs = many["readers"]["cs"]
    statement = select(Complaint).where(Complaint.tracking_number == "KP-1901-0012345", complaint_filter(cs))
    assert "uq_complaints_tracking_number" in plan(session, statement)
    assert search.find_by_tracking_number(session, cs, "KP-1901-0012345").subject.startswith("Complaint 12345 ")


def test_the_category_filter_reads_its_index(session, many):
    page, _ = listed(many["readers"]["cs"], category_id=many["categories"][3].id)
    assert "ix_complaints_category_created" in plan(session, page)


def test_nearby_open_complaints_are_found_in_a_box_on_the_location_index(session, many, make_user):
    citizen = make_user(Role.CITIZEN, district=many["districts"][0])
    statement = similar.near_query(similar.open_of_category(citizen, many["categories"][0].id), 35.0, 72.0)
    assert "ix_complaints_category_location" in plan(session, statement)


def test_open_complaints_at_an_address_are_read_along_an_index(session, many, make_user):
    citizen = make_user(Role.CITIZEN, district=many["districts"][0])
    statement = similar.address_query(similar.open_of_category(citizen, many["categories"][0].id))
    assert "Index Scan" in plan(session, statement)
