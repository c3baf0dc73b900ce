"""Citizens' CNIC and mobile number: masked for staff, shown in full only on a recorded request with a reason;
the administrator's log of those requests (page and CSV); a citizen's download of their own data."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from app import create_app
from app.models import AuditEntry, Role
from app.services.people import personal_data
from tests.app.helpers import assign, complete, lodge, reread, text_of
from tests.conftest import login


def test_masks():
    assert personal_data.mask_cnic("1730112345671") == "17301-*****-1"
    assert personal_data.mask_mobile("03001234567") == "0300-*****67"
    assert personal_data.mask_cnic(None) == personal_data.mask_mobile("") == ""


@pytest.fixture()
def case(app, session, make_user, places):
    citizen = make_user(Role.CITIZEN, name="Bilal Ahmad")
    complaint = lodge(session, citizen, places["peshawar"])
    dc = make_user(Role.DEPUTY_COMMISSIONER, name="Deputy Commissioner Yasmin Qureshi")
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id, name="Inspector Gul Zaman")
    return {"citizen": citizen, "complaint": complaint, "dc": dc, "officer": officer}


def reveals(session) -> list[AuditEntry]:
    reread(session)
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == personal_data.REVEALED)))


def test_staff_pages_show_the_numbers_masked(client, case):
    citizen, complaint = case["citizen"], case["complaint"]
    login(client, case["dc"])

    page = text_of(client.get(f"/complaints/{complaint.id}"))
    citizens = text_of(client.get("/district/citizens"))

    for html in (page, citizens):
        assert citizen.mobile not in html and personal_data.mask_mobile(citizen.mobile) in html
        assert f"/people/{citizen.id}/personal-data?field=mobile" in html
    assert citizen.cnic not in page and personal_data.mask_cnic(citizen.cnic) in page


def test_revealing_a_number_shows_it_and_records_who_whose_which_when_why(client, session, case):
    citizen, complaint, dc = case["citizen"], case["complaint"], case["dc"]
    login(client, dc)
    form = client.get(f"/people/{citizen.id}/personal-data?field=cnic&complaint_id={complaint.id}")
    assert form.status_code == 200 and citizen.cnic not in text_of(form)

    response = client.post(f"/people/{citizen.id}/personal-data", data={
        "field": "cnic", "reason": "identity", "note": "At the counter", "complaint_id": complaint.id,
        "back": f"/complaints/{complaint.id}"})

    assert response.status_code == 200 and citizen.cnic in text_of(response)
    assert response.headers["Cache-Control"] == "no-store"
    (entry,) = reveals(session)
    assert (entry.actor_id, entry.target_user_id, entry.subject) == (dc.id, citizen.id, f"complaint:{complaint.id}")
    assert entry.details == {"field": "cnic", "reason": "identity", "note": "At the counter",
                             "tracking_number": complaint.tracking_number}
    assert entry.created_at is not None


@pytest.mark.parametrize(("form", "field"), [
    ({"field": "mobile"}, "reason"),
    ({"field": "mobile", "reason": "other", "note": "x"}, "note"),
    ({"field": "password_hash", "reason": "contact"}, "field"),
    ({"field": "mobile", "reason": "contact", "note": "n" * 301}, "note"),
])
def test_a_request_without_a_good_reason_shows_nothing_and_records_nothing(client, session, case, form, field):
    citizen = case["citizen"]
    login(client, case["dc"])

    response = client.post(f"/people/{citizen.id}/personal-data", data=form)

    assert response.status_code == 400
    assert citizen.mobile not in text_of(response) and f'id="{field}-error"' in response.get_data(as_text=True)
    assert reveals(session) == []


def test_a_complaint_of_someone_else_cannot_be_named_as_the_reason(client, session, case, make_user, places):
    other = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    login(client, case["dc"])

    response = client.post(f"/people/{case['citizen'].id}/personal-data",
                           data={"field": "mobile", "reason": "contact", "complaint_id": other.id})

    assert response.status_code == 404 and reveals(session) == []


def test_a_dc_reaches_every_citizen_of_the_district_and_no_other(client, session, case, make_user, places):
    neighbour = make_user(Role.CITIZEN)  # Peshawar, no complaint
    elsewhere = make_user(Role.CITIZEN, district=places["mardan"])
    login(client, case["dc"])
    ask = {"field": "mobile", "reason": "contact"}

    assert client.post(f"/people/{neighbour.id}/personal-data", data=ask).status_code == 200
    assert client.post(f"/people/{elsewhere.id}/personal-data", data=ask).status_code == 404
    assert client.post(f"/people/{case['dc'].id}/personal-data", data=ask).status_code == 404  # staff are no citizens
    assert [e.target_user_id for e in reveals(session)] == [neighbour.id]


def test_revealing_needs_the_form_token(app, session, case):
    protected = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "WTF_CSRF_ENABLED": True})
    client = protected.test_client()
    login(client, case["dc"])

    response = client.post(f"/people/{case['citizen'].id}/personal-data", data={"field": "mobile", "reason": "contact"})

    assert response.status_code == 400 and case["citizen"].mobile not in text_of(response)
    assert reveals(session) == []
    protected.extensions["db_engine"].dispose()


def test_the_administrator_reads_and_exports_the_log(client, session, case, make_user):
    citizen, complaint, officer = case["citizen"], case["complaint"], case["officer"]
    assign(session, complaint, case["dc"], officer)
    login(client, officer)
    client.post(f"/people/{citizen.id}/personal-data",
                data={"field": "mobile", "reason": "other", "note": "=HYPERLINK(\"http://evil\")"})
    login(client, case["dc"])
    client.post(f"/people/{citizen.id}/personal-data", data={"field": "cnic", "reason": "identity",
                                                             "complaint_id": complaint.id})
    admin = make_user(Role.ADMIN)
    login(client, admin)

    page = text_of(client.get("/admin/personal-data-access"))
    download = client.get("/admin/personal-data-access.csv")

    assert "Inspector Gul Zaman" in page and "Yasmin Qureshi" in page and "Bilal Ahmad" in page
    assert page.index("Yasmin Qureshi") < page.index("Inspector Gul Zaman")  # newest first
    assert "To check the citizen&#39;s identity" in page or "To check the citizen's identity" in page
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["When (Pakistan time)", "Staff id", "Staff"]
    assert [row[2] for row in rows[1:]] == ["Deputy Commissioner Yasmin Qureshi", "Inspector Gul Zaman"]
    assert rows[1][6:8] == ["CNIC", "To check the citizen's identity"] and rows[1][9] == complaint.tracking_number
    assert rows[2][8] == "'=HYPERLINK(\"http://evil\")"  # a spreadsheet shows it, never runs it
    only_one = client.get(f"/admin/personal-data-access.csv?person={case['dc'].id}").get_data(as_text=True)
    assert only_one.count("\n") == 1  # the header alone: nobody looked at the DC's data


def test_a_citizen_downloads_their_own_data_without_staff_names(client, session, case):
    citizen, complaint = case["citizen"], case["complaint"]
    assign(session, complaint, case["dc"], case["officer"])
    complete(session, complaint, case["officer"], outcome="resolved", action_taken="Replaced the bulb.")
    login(client, citizen)

    response = client.get("/account/my-data.json")

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert set(data) >= {"account", "complaints", "notifications", "sessions", "phones"}
    assert data["account"]["cnic"] == citizen.cnic and data["account"]["mobile"] == citizen.mobile
    (mine,) = data["complaints"]
    assert mine["tracking_number"] == complaint.tracking_number and mine["description"]
    kinds = [e["kind"] for e in mine["events"]]
    assert kinds[0] == "lodged" and "assigned" in kinds and "resolved" in kinds
    assert {e["by"]["role"] for e in mine["events"]} <= {"citizen", "deputy_commissioner", "district_officer", None}
    assert "Replaced the bulb." in json.dumps(mine)
    assert data["notifications"] and data["sessions"]
    text = response.get_data(as_text=True)
    for staff in (case["dc"], case["officer"]):
        assert staff.full_name not in text and staff.username not in text
    assert "Gul" not in text and "Yasmin" not in text
    reread(session)
    assert session.scalar(select(AuditEntry.action).where(AuditEntry.target_user_id == citizen.id)) == \
        "personal_data.exported"


def test_the_account_page_offers_the_download(client, case):
    login(client, case["citizen"])
    assert "/account/my-data.json" in client.get("/account").get_data(as_text=True)


def test_the_csv_download_gives_its_database_connection_back(app, client, session, case, make_user):
    """The body is streamed after the view returned: it must not hold a connection (idle in a transaction,
    which on PostgreSQL blocks table maintenance) once it is read."""
    login(client, case["dc"])
    client.post(f"/people/{case['citizen'].id}/personal-data", data={"field": "mobile", "reason": "contact"})
    login(client, make_user(Role.ADMIN))

    download = client.get("/admin/personal-data-access.csv")
    download.get_data()
    download.close()

    assert download.status_code == 200 and case["citizen"].full_name in download.get_data(as_text=True)
    assert app.extensions["db_engine"].pool.checkedout() == 0
