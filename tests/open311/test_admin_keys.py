"""The administrator issues and revokes Open311 API keys; nobody else reaches the page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app import create_app
from app.models import ApiKey, Role
from app.services.interop import api_keys
from tests.app.helpers import fresh, reread, text_of
from tests.conftest import login
from tests.open311.conftest import post_request


def key_count(session) -> int:
    reread(session)
    return session.scalar(select(func.count()).select_from(ApiKey))


@pytest.fixture()
def existing(session, admin) -> ApiKey:
    key, _ = api_keys.issue_api_key(session, admin, "Existing client")
    session.commit()
    return key


def test_the_admin_sees_the_keys_and_the_nav_link(client, admin, existing):
    login(client, admin)
    response = client.get("/admin/api-keys")
    page = text_of(response)
    assert response.status_code == 200
    assert "Existing client" in page and admin.full_name in page and "active" in page
    assert 'href="/admin/api-keys"' in page  # the navigation link


def test_issuing_shows_the_key_once_and_stores_only_its_hash(client, session, admin):
    login(client, admin)
    response = client.post("/admin/api-keys", data={"name": "Peshawar Development Authority app"})

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    match = re.search(r'id="new_key"[^>]*value="(kp311_[^"]+)"', response.get_data(as_text=True))
    assert match, "the page shows no key"
    plain = match.group(1)
    reread(session)
    (key,) = session.scalars(select(ApiKey)).all()
    assert key.name == "Peshawar Development Authority app" and key.created_by_id == admin.id
    assert key.key_hash == api_keys.hash_key(plain) and plain not in key.key_hash
    assert plain not in client.get("/admin/api-keys").get_data(as_text=True)  # shown once only
    assert post_request(client, "json", plain).status_code == 201  # and it works


def test_a_key_needs_a_name(client, session, admin):
    login(client, admin)
    response = client.post("/admin/api-keys", data={"name": " x "})
    assert response.status_code == 400 and "Name the client" in text_of(response)
    assert key_count(session) == 0


def test_revoking_refuses_the_key_from_then_on(client, session, admin):
    key, plain = api_keys.issue_api_key(session, admin, "Retired client")
    session.commit()
    login(client, admin)

    response = client.post(f"/admin/api-keys/{key.id}/revoke")

    assert response.status_code == 200 and "The key of Retired client is revoked" in text_of(response)
    revoked_at = fresh(session, ApiKey, key.id).revoked_at
    assert revoked_at is not None
    assert post_request(client, "json", plain).status_code == 403
    client.post(f"/admin/api-keys/{key.id}/revoke")  # again: nothing changes
    assert fresh(session, ApiKey, key.id).revoked_at == revoked_at
    assert client.post("/admin/api-keys/999999/revoke").status_code == 404


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_only_the_administrator_reaches_api_keys(client, session, make_user, existing, role):
    login(client, make_user(role))
    assert client.get("/admin/api-keys").status_code == 403
    assert client.post("/admin/api-keys", data={"name": "Sneaky client"}).status_code == 403
    assert client.post(f"/admin/api-keys/{existing.id}/revoke").status_code == 403
    assert key_count(session) == 1 and fresh(session, ApiKey, existing.id).revoked_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client, session, existing):
    for response in (
        client.get("/admin/api-keys"),
        client.post("/admin/api-keys", data={"name": "Sneaky client"}),
        client.post(f"/admin/api-keys/{existing.id}/revoke"),
    ):
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert key_count(session) == 1 and fresh(session, ApiKey, existing.id).revoked_at is None


def test_the_key_forms_need_the_csrf_token_of_the_page(app, session, admin, existing):
    protected = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "WTF_CSRF_ENABLED": True})
    try:
        client = protected.test_client()
        login(client, admin)
        assert client.post("/admin/api-keys", data={"name": "Forged client"}).status_code == 400
        assert client.post(f"/admin/api-keys/{existing.id}/revoke").status_code == 400
        assert key_count(session) == 1 and fresh(session, ApiKey, existing.id).revoked_at is None

        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/api-keys").get_data(as_text=True))[1]
        assert client.post("/admin/api-keys", data={"name": "Real client", "csrf_token": token}).status_code == 200
        assert client.post(f"/admin/api-keys/{existing.id}/revoke", data={"csrf_token": token}).status_code == 200
        assert key_count(session) == 2 and fresh(session, ApiKey, existing.id).revoked_at is not None
    finally:
        protected.extensions["db_engine"].dispose()
