"""Tier dashboards: each shows only its scope, links to the list behind each number, exports CSV."""
from __future__ import annotations

import csv
import io

import pytest

from app.models import Role
from tests.conftest import login


@pytest.fixture()
def tiers(make_user, places):
    return {
        "dc": make_user(Role.DEPUTY_COMMISSIONER, district=places["peshawar"]),
        "dc_mardan": make_user(Role.DEPUTY_COMMISSIONER, district=places["mardan"]),
        "commissioner": make_user(Role.COMMISSIONER, district=places["peshawar"]),
        "cs": make_user(Role.CHIEF_SECRETARY),
    }


def csv_rows(client, table):
    response = client.get(f"/dashboard/{table}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_dc_sees_only_the_district(client, known, tiers):
    login(client, tiers["dc"])
    summary = csv_rows(client, "summary")[0]
    # Peshawar: two resolved-awaiting-rating plus the escalated open one are open; one overdue.
    assert (summary["open"], summary["overdue"], summary["escalated"]) == ("3", "1", "1")
    ageing = {r["id"]: r["open"] for r in csv_rows(client, "ageing")}
    assert ageing == {"0-7": "0", "8-15": "0", "16-22": "2", "23+": "1"}
    assert csv_rows(client, "officers") == []  # Mardan's officer is not in Peshawar
    html = client.get("/dashboard").get_data(as_text=True)
    assert "District Peshawar" in html and "Mardan" not in html and "League table" not in html


def test_other_dc_sees_only_mardan(client, known, tiers):
    login(client, tiers["dc_mardan"])
    assert csv_rows(client, "summary")[0]["open"] == "1"
    (officer,) = csv_rows(client, "officers")
    assert (officer["assigned"], officer["resolved"], officer["reopened"]) == ("1", "0", "0")


def test_commissioner_compares_the_districts_of_the_division(client, known, tiers):
    login(client, tiers["commissioner"])
    areas = {r["name"]: r for r in csv_rows(client, "areas")}
    assert set(areas) == {"Peshawar"}  # only districts with complaints, only of this division
    assert (areas["Peshawar"]["lodged"], areas["Peshawar"]["resolved"], areas["Peshawar"]["resolution_rate"]) == (
        "5", "4", "0.8")


def test_chief_secretary_league_table_has_divisions_and_districts(client, known, tiers):
    login(client, tiers["cs"])
    rows = csv_rows(client, "areas")
    levels = {(r["level"], r["name"]) for r in rows}
    assert ("district", "Peshawar") in levels and ("district", "Mardan") in levels
    assert sum(1 for r in rows if r["level"] == "division") == 2
    assert rows[0]["level"] == "division"
    assert csv_rows(client, "summary")[0]["open"] == "4"


def test_numbers_link_to_the_list_behind_them(client, known, tiers):
    login(client, tiers["dc"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "/complaints?status=open&amp;age=23%2B" in html or "/complaints?age=23%2B&amp;status=open" in html
    listing = client.get("/complaints?status=open&age=23%2B").get_data(as_text=True)
    assert known["open"].tracking_number in listing
    assert known["resolved"][0].tracking_number not in listing
    overdue = client.get("/complaints?overdue=1").get_data(as_text=True)
    assert known["open"].tracking_number in overdue and known["resolved"][2].tracking_number not in overdue


def test_officer_filter_lists_that_officers_complaints(client, known, tiers):
    login(client, tiers["cs"])
    page = client.get(f"/complaints?officer_id={known['systemic'].officer_id}").get_data(as_text=True)
    assert known["systemic"].tracking_number in page and known["open"].tracking_number not in page


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.DISTRICT_OFFICER, Role.ANALYST, Role.ADMIN])
def test_other_roles_are_refused(client, make_user, role):
    login(client, make_user(role))
    assert client.get("/dashboard").status_code == 403
    assert client.get("/dashboard/summary.csv").status_code == 403


def test_unknown_table_is_404(client, tiers):
    login(client, tiers["cs"])
    assert client.get("/dashboard/passwords.csv").status_code == 404
