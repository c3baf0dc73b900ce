"""An Open311 request whose point lies outside Khyber Pakhtunkhwa is refused on `lat`, like the portal's own forms."""
from __future__ import annotations

from sqlalchemy import func, select

from app.models import Complaint
from tests.open311.conftest import json_of, post_request


def test_a_point_in_lahore_is_refused_on_lat(client, session, api_key):
    response = post_request(client, "json", api_key, lat="31.5497", long="74.3436")

    assert response.status_code == 400
    (error,) = json_of(response)
    assert error["description"].startswith("lat: This point seems to be outside Khyber Pakhtunkhwa")
    assert "Lahore" in error["description"]
    assert session.scalar(select(func.count()).select_from(Complaint)) == 0
