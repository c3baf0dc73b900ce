"""Divisions, districts, departments and categories in the reader's language.

Seeded Urdu and Pashto names (app/organisation_data.py), the migration that
adds them to an existing database, the pages and JSON that show them, and the
administrator's page that edits them (/admin/places).
"""
from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import create_engine, inspect, select, text

from app import create_app
from app import organisation_data as data
from app.models import Category, Department, District, Division, Role
from app.place_names import lazy_local_name, name_in
from app.services import organisation
from tests.app.helpers import lodge, reread, text_of
from tests.conftest import login

# Letters one language has and the other does not: a name in the wrong column shows up.
PASHTO_LETTERS = set("ټډړښږځڅېۍګڼيه")
URDU_LETTERS = set("ٹڈڑےہھگ")
MODELS = (Division, District, Department, Category)


def seeded_entries():
    yield data.PROVINCE
    for division in data.DIVISIONS:
        yield division
        yield from division["districts"]
    for department in data.DEPARTMENTS:
        yield department
        yield from department["categories"]


# The data ---------------------------------------------------------------------

def test_every_seeded_entry_has_an_urdu_and_a_pashto_name():
    entries = list(seeded_entries())
    assert len(entries) == 1 + 7 + 40 + 12 + 70
    assert [e["code"] for e in entries if not (e.get("name_ur", "").strip() and e.get("name_ps", "").strip())] == []


@pytest.mark.parametrize("entry", list(seeded_entries()), ids=lambda e: e["code"])
def test_each_name_is_written_in_its_own_script(entry):
    urdu, pashto = entry["name_ur"], entry["name_ps"]
    assert not set(urdu) & PASHTO_LETTERS, urdu
    assert not set(pashto) & URDU_LETTERS, pashto
    assert not re.search(r"[A-Za-z]", urdu + pashto)
    # Pashto writes a final "ay" with ی and every other y or i with ي.
    assert all("ی" not in word[:-1] for word in re.findall(r"\w+", pashto)), pashto


def test_names_as_the_province_writes_them():
    names = {e["code"]: (e["name_ur"], e["name_ps"]) for e in seeded_entries()}
    assert names["PES"] == ("پشاور", "پېښور")
    assert names["DIKH"] == ("ڈیرہ اسماعیل خان", "ډېره اسماعيل خان")
    assert names["HEALTH"] == ("محکمہ صحت", "د روغتيا څانګه")
    assert names["NSR"] == ("نوشہرہ", "نوښار")


# Migration and seed -----------------------------------------------------------

def test_the_migration_names_existing_rows_by_code_and_goes_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0015"]).exit_code == 0
    engine = create_engine(url)
    with engine.begin() as conn:  # a database seeded before the names existed, and a row the data never had
        conn.execute(text("INSERT INTO divisions (id, code, name) VALUES (1, 'PSH', 'Peshawar')"))
        conn.execute(text("INSERT INTO districts (id, code, name, division_id) VALUES (1, 'PES', 'Peshawar', 1), "
                          "(2, 'NEW', 'Somewhere new', 1)"))
        conn.execute(text("INSERT INTO departments (id, code, name) VALUES (1, 'HEALTH', 'Health')"))
        conn.execute(text("INSERT INTO categories (id, code, name, department_id) "
                          "VALUES (1, 'HEALTH-STAFF-ABSENT', 'Doctor or staff absent from duty', 1)"))

    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0

    with engine.connect() as conn:
        def names(table):
            return conn.execute(text(f"SELECT code, name_ur, name_ps FROM {table} ORDER BY id")).all()

        assert names("divisions") == [("PSH", "پشاور", "پېښور")]
        assert names("districts") == [("PES", "پشاور", "پېښور"), ("NEW", None, None)]
        assert names("departments") == [("HEALTH", "محکمہ صحت", "د روغتيا څانګه")]
        assert names("categories") == [("HEALTH-STAFF-ABSENT", "ڈاکٹر یا عملہ ڈیوٹی سے غیر حاضر",
                                        "ډاکټر يا کارکوونکي له دندې غيرحاضر")]

    from alembic import command

    from app.cli import alembic_config

    with app.app_context():
        command.downgrade(alembic_config(), "0015")
    columns = {c["name"] for c in inspect(engine).get_columns("districts")}
    assert "name_ur" not in columns and "name_ps" not in columns
    engine.dispose()


def test_the_seed_names_every_row_in_both_languages(session):
    for model in MODELS:
        rows = session.scalars(select(model)).all()
        assert rows and [r.code for r in rows if not (r.name_ur and r.name_ps)] == [], model.__name__
    assert session.scalar(select(District.name_ur).where(District.code == "PES")) == "پشاور"


# Choosing the name ---------------------------------------------------------------

def test_a_missing_local_name_falls_back_to_english():
    row = {"name": "Peshawar", "name_ur": "پشاور", "name_ps": "  "}
    assert name_in(row, "ur") == "پشاور"
    assert name_in(row, "ps") == "Peshawar"
    assert name_in(row, "en") == "Peshawar"
    assert name_in({"label": "Any", "label_ur": None}, "ur", "label") == "Any"


def test_a_lazy_name_is_escaped_as_text(app):
    class Place:
        name, name_ur, name_ps = "Peshawar", "<b>پشاور</b>", None

    with app.test_request_context(headers={"Cookie": "lang=ur"}):
        assert str(lazy_local_name(Place())) == "<b>پشاور</b>"
        assert str(escape(lazy_local_name(Place()))) == "&lt;b&gt;پشاور&lt;/b&gt;"


# Pages and JSON --------------------------------------------------------------------

@pytest.fixture()
def citizen_with_complaint(session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    complaint = lodge(session, citizen, places["peshawar"])
    return citizen, complaint


def test_a_page_in_urdu_shows_the_urdu_name_and_english_the_english(client, session, citizen_with_complaint):
    citizen, complaint = citizen_with_complaint
    login(client, citizen)

    english = text_of(client.get(f"/complaints/{complaint.id}"))
    assert "Peshawar" in english and "پشاور" not in english

    citizen.language = "ur"
    session.commit()
    urdu = text_of(client.get(f"/complaints/{complaint.id}"))
    assert "پشاور" in urdu and "Peshawar" not in urdu
    assert complaint.department.name_ur in urdu and complaint.category.name_ur in urdu

    citizen.language = "ps"
    session.commit()
    assert "پېښور" in text_of(client.get("/my/complaints"))


def test_the_complaint_form_offers_categories_and_districts_in_pashto_by_id(client, session, citizen_with_complaint):
    citizen, _ = citizen_with_complaint
    citizen.language = "ps"
    session.commit()
    login(client, citizen)

    page = client.get("/my/complaints/new").get_data(as_text=True)

    peshawar = session.scalar(select(District).where(District.code == "PES"))
    assert f'<option value="{peshawar.id}"' in page and ">پېښور</option>" in page
    assert '<optgroup label="د روغتيا څانګه">' in page


def test_public_statistics_in_urdu_keep_the_english_order(client):
    english = text_of(client.get("/statistics"))
    client.set_cookie("lang", "ur")
    urdu = text_of(client.get("/statistics"))

    assert "پشاور" in urdu and "ایبٹ آباد" in urdu
    # Lists stay sorted by the English name in every language: Abbottabad (ایبٹ آباد) before Bajaur (باجوڑ).
    assert urdu.index("ایبٹ آباد") < urdu.index("باجوڑ")
    assert english.index("Abbottabad") < english.index("Bajaur")


def test_the_statistics_json_carries_all_three_names(client):
    client.set_cookie("lang", "ps")
    body = client.get("/api/public/stats").get_json()
    peshawar = next(d for d in body["districts"] if d["name"] == "Peshawar")
    assert (peshawar["name_ur"], peshawar["name_ps"]) == ("پشاور", "پېښور")
    area = client.get(f"/api/public/stats/division/{next(d['id'] for d in body['divisions'] if d['name'] == 'Peshawar')}")
    assert area.get_json()["name_ps"] == "پېښور"
    assert {d["name"]: d["name_ur"] for d in area.get_json()["districts"]}["Nowshera"] == "نوشہرہ"


def test_the_area_page_is_titled_in_the_readers_language(client, places):
    client.set_cookie("lang", "ps")
    page = text_of(client.get(f"/statistics/district/{places['peshawar'].id}"))
    assert "پېښور" in page and "Peshawar" not in page


def test_the_dashboard_names_the_district_in_urdu(client, session, make_user):
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    dc.language = "ur"
    session.commit()
    login(client, dc)
    page = text_of(client.get("/dashboard"))
    assert "پشاور" in page and "Peshawar" not in page


def test_the_api_gives_every_name_beside_the_stable_english_one(client):
    client.set_cookie("lang", "ur")
    districts = client.get("/api/v1/districts", headers={"Accept-Language": "ur"}).get_json()["items"]
    peshawar = next(d for d in districts if d["code"] == "PES")
    assert peshawar["name"] == "Peshawar"  # the same for every reader
    assert (peshawar["name_ur"], peshawar["name_ps"]) == ("پشاور", "پېښور")
    assert peshawar["division"] == {"id": peshawar["division"]["id"], "name": "Peshawar", "name_ur": "پشاور",
                                    "name_ps": "پېښور"}
    categories = client.get("/api/v1/categories").get_json()["items"]
    assert all(c["name_ur"] and c["name_ps"] for c in categories)


# The administrator's page -------------------------------------------------------------

def test_the_admin_changes_the_urdu_name_and_readers_see_it(client, session, make_user, places):
    admin = make_user(Role.ADMIN)
    login(client, admin)
    peshawar = places["peshawar"]
    page = client.get("/admin/places")
    assert page.status_code == 200 and 'value="پشاور"' in page.get_data(as_text=True)

    response = client.post("/admin/places", data={"kind": "district", "id": str(peshawar.id),
                                                  "name_ur": "  ضلع   پشاور ", "name_ps": "پېښور"})

    assert response.status_code == 302 and response.headers["Location"] == f"/admin/places#district-{peshawar.id}"
    reread(session)
    assert (peshawar.name_ur, peshawar.name_ps) == ("ضلع پشاور", "پېښور")
    client.set_cookie("lang", "ur")
    admin.language = "ur"
    session.commit()
    assert "ضلع پشاور" in text_of(client.get("/statistics"))


def test_an_empty_field_shows_the_english_name(client, session, make_user, places):
    login(client, make_user(Role.ADMIN))
    department = session.scalar(select(Department).where(Department.code == "HEALTH"))

    client.post("/admin/places", data={"kind": "department", "id": str(department.id), "name_ur": "", "name_ps": " "})

    reread(session)
    assert (department.name_ur, department.name_ps) == (None, None)
    client.set_cookie("lang", "ur")
    stats = client.get("/api/public/stats").get_json()
    assert next(d for d in stats["departments"] if d["id"] == department.id)["name_ur"] is None


def test_a_too_long_name_is_refused_with_the_page(client, session, make_user, places):
    login(client, make_user(Role.ADMIN))
    peshawar = places["peshawar"]

    response = client.post("/admin/places", data={"kind": "district", "id": str(peshawar.id),
                                                  "name_ur": "پ" * 201, "name_ps": "پېښور"})

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    reread(session)
    assert peshawar.name_ur == "پشاور"


def test_unknown_kinds_and_rows_are_not_found(client, make_user):
    login(client, make_user(Role.ADMIN))
    assert client.post("/admin/places", data={"kind": "office", "id": "1", "name_ur": "x"}).status_code == 404
    assert client.post("/admin/places", data={"kind": "district", "id": "999999", "name_ur": "x"}).status_code == 404
    assert client.post("/admin/places", data={"kind": "district", "name_ur": "x"}).status_code == 404


@pytest.mark.parametrize("role", [Role.DEPUTY_COMMISSIONER, Role.CHIEF_SECRETARY, Role.ANALYST, Role.CITIZEN])
def test_no_one_else_may_rename(client, session, make_user, places, role):
    login(client, make_user(role))
    peshawar = places["peshawar"]

    assert client.get("/admin/places").status_code == 403
    response = client.post("/admin/places", data={"kind": "district", "id": str(peshawar.id), "name_ur": "بدل"})

    assert response.status_code == 403
    reread(session)
    assert peshawar.name_ur == "پشاور"


def test_the_service_refuses_anyone_but_an_administrator(session, make_user, places):
    from app.services.errors import NotAllowed

    with pytest.raises(NotAllowed):
        organisation.name_place(session, make_user(Role.CHIEF_SECRETARY), "district", places["peshawar"].id, "x", "y")


# Messages --------------------------------------------------------------------------------

def _assigned_message(session, make_user, places, language):
    from app.models import Channel, Notification
    from tests.app.helpers import assign

    citizen = make_user(Role.CITIZEN)
    citizen.language = language
    session.commit()
    complaint = lodge(session, citizen, places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, make_user(Role.DEPUTY_COMMISSIONER), officer)
    reread(session)
    return complaint, session.scalar(select(Notification.body).where(
        Notification.user_id == citizen.id, Notification.template == "complaint_assigned",
        Notification.channel == Channel.IN_APP))


def test_a_message_in_urdu_names_the_district_and_department_in_urdu(session, make_user, places):
    complaint, body = _assigned_message(session, make_user, places, "ur")
    assert "پشاور" in body and complaint.department.name_ur in body
    assert "Peshawar" not in body and complaint.department.name not in body


def test_a_message_in_english_keeps_the_english_names(session, make_user, places):
    complaint, body = _assigned_message(session, make_user, places, "en")
    assert f"{complaint.department.name}, Peshawar" in body and "پشاور" not in body


def test_the_complaint_filters_offer_places_in_urdu_by_id(client, session, make_user):
    chief = make_user(Role.CHIEF_SECRETARY)
    chief.language = "ur"
    session.commit()
    login(client, chief)

    page = client.get("/complaints").get_data(as_text=True)

    health = session.scalar(select(Department).where(Department.code == "HEALTH"))
    mardan = session.scalar(select(Division).where(Division.code == "MRD"))
    assert f'<option value="{health.id}" >محکمہ صحت</option>' in page
    assert f'<option value="{mardan.id}" >مردان</option>' in page


def test_the_chief_secretarys_league_table_in_pashto(client, session, make_user, places):
    lodge(session, make_user(Role.CITIZEN), places["nowshera"])
    chief = make_user(Role.CHIEF_SECRETARY)
    chief.language = "ps"
    session.commit()
    login(client, chief)

    page = text_of(client.get("/dashboard"))

    assert "نوښار" in page and "Nowshera" not in page
    assert "پېښور" in page  # the division's row
