"""The public figures on a known data set match the numbers worked out by hand."""
from __future__ import annotations

import json

import pytest

from app.services.statistics import figures
from app.services.statistics.figures import pk_day
from app.services.statistics.percentiles import percentile
from tests.statistics.conftest import ADDRESS, PEOPLE


def by_name(areas, name):
    return next(a for a in areas if a.name == name).figures


def test_province_figures_match_hand_computed_values(session, known):
    stats = figures.public_stats(session, now=known["now"])
    p = stats.province
    # Of 6 lodged: 4 resolved (2 of them still awaiting the rating), 1 in progress, 1 systemic.
    assert (p.citizens, p.lodged, p.resolved, p.in_progress, p.systemic) == (2, 6, 4, 1, 1)
    assert (p.awaiting_rating, p.closed_unresolved) == (2, 0)
    assert p.resolution_rate == round(4 / 6, 4)
    # Days to resolve 1, 2, 3, 10: median (2+3)/2; p90 at rank 0.9*3 = 2.7 -> 3 + 0.7*(10-3).
    assert (p.median_days, p.p90_days) == (2.5, 7.9)
    assert (p.rated, p.satisfied, p.satisfied_share) == (2, 1, 0.5)
    assert (p.escalated_commissioner, p.escalated_chief_secretary) == (2, 1)


def test_per_district_division_and_department(session, known, places):
    stats = figures.public_stats(session, now=known["now"])
    peshawar, mardan = by_name(stats.districts, "Peshawar"), by_name(stats.districts, "Mardan")
    assert (peshawar.lodged, peshawar.resolved, peshawar.citizens, peshawar.median_days) == (5, 4, 2, 2.5)
    assert (mardan.lodged, mardan.resolved, mardan.systemic, mardan.median_days) == (1, 0, 1, None)
    assert by_name(stats.districts, "Nowshera").lodged == 0
    division = next(a for a in stats.divisions if a.id == places["peshawar"].division_id).figures
    assert (division.lodged, division.p90_days, division.escalated_chief_secretary) == (5, 7.9, 1)
    department = next(a for a in stats.departments if a.id == known["systemic"].department_id).figures
    assert (department.lodged, department.systemic, department.escalated_commissioner) == (1, 1, 1)


def test_trends_count_per_pakistan_day_and_week(session, known):
    stats = figures.public_stats(session, now=known["now"])
    daily = {d["day"]: d for d in stats.daily}
    lodged_day = pk_day(known["resolved"][0].created_at)
    assert daily[lodged_day]["lodged"] == 4  # the four resolved ones were lodged 20 days ago
    assert sum(d["resolved"] for d in stats.daily) == 4
    assert sum(d["lodged"] for d in stats.daily) == 5  # the one lodged 30 days ago is outside the 30 days
    assert len(stats.weekly) == 12 and sum(w["lodged"] for w in stats.weekly) == 6


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([1, 2, 3, 10], 0.5) == 2.5
    assert round(percentile([1, 2, 3, 10], 0.9), 6) == 7.9
    assert percentile([4], 0.9) == 4 and percentile([], 0.5) is None


def test_public_json_has_no_personal_data(client, known):
    response = client.get("/api/public/stats")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert json.loads(body)["province"]["lodged"] == 6
    for name, cnic, mobile in PEOPLE:
        for secret in (name, cnic, cnic.replace("-", ""), mobile, mobile.replace("-", ""), name.split()[1]):
            assert secret not in body
    assert ADDRESS not in body and "Gulbahar" not in body and "Broken water pipe" not in body
    assert known["resolved"][0].tracking_number not in body


def test_public_page_needs_no_sign_in_and_shows_charts_with_tables(client, known):
    response = client.get("/statistics")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<svg" in html and "<table" in html and "Peshawar" in html
    assert PEOPLE[0][0] not in html and ADDRESS not in html


def test_public_figures_are_cached_at_most_a_minute(app, client, known, session, places):
    client.get("/api/public/stats")
    known["open"].district_id = places["mardan"].id
    session.commit()
    assert client.get("/api/public/stats").json["districts"] == client.get("/api/public/stats").json["districts"]
    app.extensions["public_stats"].expires = 0  # a minute later: this visitor gets the last snapshot...
    stale = next(d for d in client.get("/api/public/stats").json["districts"] if d["name"] == "Mardan")
    assert stale["lodged"] == 1
    app.extensions["public_stats"].thread.join(10)  # ...while one thread recomputes it for the next
    mardan = next(d for d in client.get("/api/public/stats").json["districts"] if d["name"] == "Mardan")
    assert mardan["lodged"] == 2


def test_each_area_has_its_own_page_and_json_with_its_trends(client, known, places):
    peshawar = places["peshawar"]
    body = client.get(f"/api/public/stats/district/{peshawar.id}").json
    assert (body["name"], body["lodged"], body["resolved"], body["median_days"], body["p90_days"]) == (
        "Peshawar", 5, 4, 2.5, 7.9)
    assert sum(d["resolved"] for d in body["trends"]["daily"]) == 4
    assert sum(w["lodged"] for w in body["trends"]["weekly"]) == 5  # Mardan's complaint is not in Peshawar's trend
    division = client.get(f"/api/public/stats/division/{peshawar.division_id}").json
    assert {d["name"] for d in division["districts"]} >= {"Peshawar", "Nowshera"}
    assert "Mardan" not in {d["name"] for d in division["districts"]}
    department = client.get(f"/api/public/stats/department/{known['systemic'].department_id}").json
    assert (department["lodged"], department["systemic"]) == (1, 1) and "citizens" not in department
    page = client.get(f"/statistics/district/{peshawar.id}").get_data(as_text=True)
    assert "Peshawar" in page and "<svg" in page and PEOPLE[0][0] not in page and ADDRESS not in page
    overview = client.get("/statistics").get_data(as_text=True)
    assert f'href="/statistics/district/{peshawar.id}"' in overview


@pytest.mark.parametrize("path", ["/statistics/district/999999", "/statistics/province/1", "/statistics/user/1",
                                  "/api/public/stats/district/999999", "/api/public/stats/officer/1"])
def test_unknown_areas_are_not_found(client, known, path):
    assert client.get(path).status_code == 404
