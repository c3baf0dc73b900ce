"""The administrator creates staff accounts; nobody else reaches the page."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import Role, User
from tests.conftest import login


def test_admin_creates_a_deputy_commissioner_with_a_district(client, session, make_user, places):
    login(client, make_user(Role.ADMIN))
    response = client.post(
        "/admin/staff",
        data={"role": "deputy_commissioner", "full_name": "DC Nowshera", "username": "dc.nowshera",
              "password": "long-enough-1", "district_id": places["nowshera"].id},
    )
    assert response.status_code == 302
    dc = session.scalar(select(User).where(User.username == "dc.nowshera"))
    assert (dc.role, dc.district_id, dc.division_id) == (
        Role.DEPUTY_COMMISSIONER, places["nowshera"].id, places["nowshera"].division_id)
    assert dc.password_hash != "long-enough-1"


def test_a_commissioner_without_division_is_refused_keeping_the_input(client, make_user):
    login(client, make_user(Role.ADMIN))
    response = client.post(
        "/admin/staff",
        data={"role": "commissioner", "full_name": "Commissioner X", "username": "com.x", "password": "long-enough-1"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose the division." in page and 'value="com.x"' in page and "long-enough-1" not in page


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_only_the_administrator_reaches_staff_accounts(client, make_user, role):
    login(client, make_user(role))
    assert client.get("/admin/staff").status_code == 403
    assert client.post("/admin/staff", data={"role": "chief_secretary"}).status_code == 403


def test_pages_send_a_strict_content_security_policy(client):
    headers = client.get("/login").headers
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert headers["X-Content-Type-Options"] == "nosniff"
