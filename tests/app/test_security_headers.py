"""Every response carries the security headers: pages, errors, API problems, static files and uploads."""
from __future__ import annotations

import pytest

from app import create_app
from app.models import Attachment, Role
from tests.app.helpers import jpeg_bytes, lodge, store_of
from tests.conftest import login

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def assert_secured(response):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    policy = response.headers["Permissions-Policy"]
    assert "camera=()" in policy and "microphone=()" in policy and "geolocation=(self)" in policy
    assert response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/login", 200),
        ("GET", "/no-such-page", 404),
        ("DELETE", "/login", 405),
        ("GET", "/complaints?status=open%00", 400),
        ("POST", "/track", 400),
        ("GET", "/static/portal.css", 200),
        ("GET", "/api/v1/me", 401),
        ("GET", "/api/v1/no-such-thing", 404),
        ("GET", "/open311/v2/services.json", 200),
    ],
)
def test_every_kind_of_response_carries_the_headers(client, method, path, status):
    response = client.open(path, method=method)
    response.close()  # a static file's handle
    assert response.status_code == status
    assert_secured(response)


def test_a_server_error_carries_the_headers(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/test-breaks")
    def breaks():
        raise RuntimeError("a bug")

    response = client.get("/test-breaks")
    assert response.status_code == 500
    assert_secured(response)


def test_an_uploaded_file_keeps_its_sandbox_and_gets_the_rest(app, client, session, make_user, places):
    owner = make_user(Role.CITIZEN)
    lodge(session, owner, places["peshawar"], photo=jpeg_bytes(), store=store_of(app))
    photo = session.query(Attachment).one()
    login(client, owner)
    response = client.get(f"/attachments/{photo.id}")
    response.close()
    assert response.status_code == 200
    assert_secured(response)
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_production_sends_hsts(monkeypatch, db_url):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("HSTS_MAX_AGE", raising=False)
    production = create_app({
        "SECRET_KEY": "production-test",
        "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/never-connected",
        "REDIS_URL": "redis://127.0.0.1:6379/4",
        "SECOND_FACTOR_KEYS": "8u9dG8o6kZ0pB9ng1q3lW2v7m4YxZ5sTqJ0cH1rA2bE=",  # any Fernet key: production needs one
        "SMS_DISABLED": True,  # production refuses to start with neither a gateway nor SMS switched off
    })
    response = production.test_client().get("/static/portal.css")
    response.close()
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert_secured(response)
