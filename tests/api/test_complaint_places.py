"""The mobile API refuses a complaint whose pin lies outside Khyber Pakhtunkhwa, on the latitude field."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import Complaint, Role

from .helpers import assert_problem
from .test_complaints import new_complaint


@pytest.mark.parametrize(("point", "town"), [((31.5497, 74.3436), "Lahore"), ((34.5553, 69.2075), "Kabul")],
                         ids=["lahore", "kabul"])
def test_a_pin_outside_the_province_is_refused(api, session, make_user, places, point, town):
    citizen = make_user(Role.CITIZEN)

    response = api.as_(citizen).post("/complaints", json=new_complaint(
        session, places["peshawar"], latitude=point[0], longitude=point[1]))

    body = assert_problem(response, 422, field="latitude")
    assert list(body["errors"]) == ["latitude"]
    assert body["errors"]["latitude"] == [
        f"This point seems to be outside Khyber Pakhtunkhwa: the nearest town we know, {town}, is not in the "
        "province. Move the pin, or clear the latitude and longitude and describe the place in the address."]
    assert session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_a_pin_in_peshawar_is_kept(api, session, make_user, places):
    response = api.as_(make_user(Role.CITIZEN)).post("/complaints", json=new_complaint(
        session, places["peshawar"], latitude=34.008, longitude=71.578))

    assert response.status_code == 201
    complaint = session.get(Complaint, response.get_json()["id"])
    assert (complaint.latitude, complaint.longitude) == (34.008, 71.578)
