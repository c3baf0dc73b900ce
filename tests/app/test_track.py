"""The public lookup: tracking number and the last four digits of the mobile number, no sign-in.

It shows the milestones and their dates only; a wrong number and wrong digits
get the same answer; lookups are limited per address and per tracking number.
"""
from __future__ import annotations

import re

import pytest

from app import create_app
from tests.app.helpers import assign, lodge, text_of
from app.models import Role

ADDRESS = "House 12, Street 4, University Town"


@pytest.fixture()
def lodged(session, make_user, places):
    citizen = make_user(Role.CITIZEN, name="Zarmina Yousafzai")
    dc = make_user(Role.DEPUTY_COMMISSIONER, name="Zahid Khan DC")
    complaint = lodge(session, citizen, places["peshawar"], subject="Sewage overflowing near the school")
    complaint.address = ADDRESS
    session.commit()
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id, name="Imran Officer")
    assign(session, complaint, dc, officer)
    return complaint, citizen


def track(client, number, digits, **environ):
    return client.post("/track", data={"tracking_number": number, "mobile_digits": digits},
                       environ_base=environ)


def test_the_right_number_and_digits_show_the_milestones_and_nothing_personal(client, lodged):
    complaint, citizen = lodged

    response = track(client, complaint.tracking_number.lower().replace("-", " "), citizen.mobile[-4:])

    page = text_of(response)
    assert response.status_code == 200
    for shown in (complaint.tracking_number, "Received", "With the district office, Peshawar",
                  f"With an officer of {complaint.department.name}", "The office has 15 days left to resolve it."):
        assert shown in page
    for hidden in ("Zarmina", "Yousafzai", citizen.mobile, citizen.cnic, "Sewage", complaint.description[:30],
                   ADDRESS, "University Town", "Imran Officer", "Zahid Khan DC", "Assigned to", "Please fix"):
        assert hidden not in page, hidden


def test_a_wrong_number_and_wrong_digits_get_the_same_answer(client, lodged):
    complaint, citizen = lodged
    wrong_digits = f"{(int(citizen.mobile[-4:]) + 1) % 10000:04d}"
    wrong_number = complaint.tracking_number[:-1] + ("9" if complaint.tracking_number[-1] != "9" else "8")

    answers = [track(client, complaint.tracking_number, wrong_digits), track(client, wrong_number, citizen.mobile[-4:])]

    assert [a.status_code for a in answers] == [404, 404]
    # The forms' CSRF tokens carry the second they were made in: two answers a second apart differ there only.
    bodies = [re.sub(r'(name="csrf_token" value=")[^"]*', r"\1", text_of(a).split("<main", 1)[1]) for a in answers]
    assert "We found no complaint with this tracking number and these digits." in bodies[0]
    assert bodies[0].replace(complaint.tracking_number, wrong_number).replace(wrong_digits, citizen.mobile[-4:]) \
        == bodies[1]
    assert "Received" not in bodies[0]


@pytest.mark.parametrize(("number", "digits", "field"), [("", "1234", "tracking_number"),
                                                         ("KP-12", "1234", "tracking_number"),
                                                         ("KP-2603-0000001", "12", "mobile_digits"),
                                                         ("KP-2603-0000001", "", "mobile_digits")])
def test_malformed_input_is_refused_with_field_errors(client, lodged, number, digits, field):
    response = track(client, number, digits)
    assert response.status_code == 400 and f'id="{field}-error"' in response.get_data(as_text=True)


def test_lookups_are_limited_per_tracking_number(app, client, session, places, lodged):
    complaint, citizen = lodged
    app.config.update(TRACK_LIMIT_PER_NUMBER=3, TRACK_LIMIT_PER_ADDRESS=100)
    for n in range(3):  # from three addresses: the limit follows the number
        assert track(client, complaint.tracking_number, "0000", REMOTE_ADDR=f"10.0.0.{n}").status_code == 404

    refused = track(client, complaint.tracking_number, citizen.mobile[-4:], REMOTE_ADDR="10.0.0.9")

    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many lookups. Please try again after" in text_of(refused) and "Received" not in text_of(refused)
    other = lodge(session, citizen, places["peshawar"])  # another number from the same address still answers
    assert track(client, other.tracking_number, citizen.mobile[-4:], REMOTE_ADDR="10.0.0.9").status_code == 200


def test_lookups_are_limited_per_address(app, client, lodged):
    complaint, citizen = lodged
    app.config.update(TRACK_LIMIT_PER_NUMBER=100, TRACK_LIMIT_PER_ADDRESS=2)
    assert track(client, "KP-2601-0000001", "1111", REMOTE_ADDR="10.1.1.1").status_code == 404
    assert track(client, "not a number", "1", REMOTE_ADDR="10.1.1.1").status_code == 400  # malformed tries count

    refused = track(client, complaint.tracking_number, citizen.mobile[-4:], REMOTE_ADDR="10.1.1.1")

    assert refused.status_code == 429 and "Too many lookups" in text_of(refused)
    assert track(client, complaint.tracking_number, citizen.mobile[-4:], REMOTE_ADDR="10.1.1.2").status_code == 200


def test_the_landing_and_sign_in_pages_link_to_the_lookup(client):
    for path in ("/", "/login"):
        assert 'href="/track"' in client.get(path).get_data(as_text=True)
    page = client.get("/track")
    assert page.status_code == 200 and 'name="mobile_digits"' in page.get_data(as_text=True)


def test_the_lookup_form_carries_its_csrf_token(app, lodged):
    protected = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"],
                            "UPLOAD_DIR": app.config["UPLOAD_DIR"], "WTF_CSRF_ENABLED": True})
    try:
        client = protected.test_client()
        html = client.get("/track").get_data(as_text=True)
        token = html.split('name="csrf_token" value="')[1].split('"')[0]
        complaint, citizen = lodged
        found = client.post("/track", data={"csrf_token": token, "tracking_number": complaint.tracking_number,
                                            "mobile_digits": citizen.mobile[-4:]})
        assert found.status_code == 200 and "Received" in text_of(found)
    finally:
        protected.extensions["db_engine"].dispose()
