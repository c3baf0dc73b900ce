"""One error format under /api/: RFC 9457 problem details for every status the API uses; pages keep HTML."""
from __future__ import annotations

import pytest

from app import create_app
from app.models import Role
from app.services import organisation
from app.services.people import tries
from tests.conftest import PASSWORD

from .helpers import assert_problem


def _400(api, people):
    return api.post("/auth/token", data=b'{"login": ', content_type="application/json")


def _401(api, people):
    return api.get("/me")


def _403(api, people):
    return api.as_(people["dc"]).post("/complaints", json={})


def _404(api, people):
    return api.as_(people["citizen"]).get("/complaints/424242")


def _405(api, people):
    return api.client.put("/api/v1/me")


def _409(api, people):
    return api.as_(people["citizen"]).post(f"/complaints/{people['complaint_id']}/rating", json={"rating": 5, "satisfied": True})


def _413(api, people):
    api.client.application.config["MAX_CONTENT_LENGTH"] = 1024
    return api.as_(people["citizen"]).post_multipart("/complaints", {"subject": "x" * 4096})


def _415(api, people):
    return api.post("/auth/token", data="login=a&password=b", content_type="application/x-www-form-urlencoded")


def _422(api, people):
    return api.as_(people["citizen"]).post("/complaints", json={"subject": "Hi"})


def _429(api, people):
    for _ in range(tries.FREE):
        api.post("/auth/token", json={"login": people["citizen"].cnic, "password": "not-the-password"})
    return api.post("/auth/token", json={"login": people["citizen"].cnic, "password": PASSWORD})


CASES = {400: _400, 401: _401, 403: _403, 404: _404, 405: _405, 409: _409, 413: _413, 415: _415, 422: _422, 429: _429}
WITH_FIELD_ERRORS = {422: "subject", 429: "password"}


@pytest.fixture()
def people(api, make_user, session, places):
    citizen = make_user(Role.CITIZEN)
    complaint = api.as_(citizen).post("/complaints", json={
        "category_id": organisation.categories_by_department(session)[0][1][0].id,
        "subject": "Overflowing drain", "description": "The drain on Main Bazaar road overflows when it rains."})
    return {"citizen": citizen, "dc": make_user(Role.DEPUTY_COMMISSIONER), "complaint_id": complaint.get_json()["id"]}


@pytest.mark.parametrize("status", CASES)
def test_each_status_is_a_problem_document(api, people, status):
    response = CASES[status](api, people)

    body = assert_problem(response, status, field=WITH_FIELD_ERRORS.get(status))
    assert set(body) <= {"type", "title", "status", "detail", "errors", "completed_by", "completed_at"}
    assert "<html" not in response.get_data(as_text=True).lower()
    assert response.headers["Cache-Control"] == "no-store"


def test_a_405_says_which_methods_are_allowed(api):
    response = api.client.patch("/api/v1/complaints")

    assert_problem(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_a_400_for_a_parameter_names_the_field(api, make_user):
    body = assert_problem(api.get("/categories?department_id=abc"), 400, field="department_id")
    assert body["errors"]["department_id"] == ["A whole number from 1 to 2147483647."]


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v2/complaints", "/api/"])
def test_unknown_api_urls_are_problem_404s(client, path):
    assert_problem(client.get(path), 404)


def test_pages_keep_their_html_errors(client):
    missing, wrong_method = client.get("/nothing-here"), client.put("/login")

    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert wrong_method.status_code == 405 and wrong_method.mimetype == "text/html"
    assert "<html" in missing.get_data(as_text=True)


def test_a_json_body_that_is_not_an_object_is_400(api):
    assert "JSON object" in assert_problem(api.post("/auth/token", json=["login"]), 400)["detail"]


def test_nan_is_not_json(api, make_user):
    response = api.as_(make_user(Role.CITIZEN)).post(
        "/complaints", data='{"latitude": NaN, "longitude": 1}', content_type="application/json"
    )

    assert "not valid JSON" in assert_problem(response, 400)["detail"]


def test_an_unexpected_failure_is_a_problem_500(app, monkeypatch):
    """Outside testing, an exception in a view is a problem document too (and the traceback stays in the log)."""
    production_like = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "PROPAGATE_EXCEPTIONS": False})

    def broken(session):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(organisation, "districts", broken)
    try:
        response = production_like.test_client().get("/api/v1/districts")
    finally:
        production_like.extensions["db_engine"].dispose()

    body = assert_problem(response, 500)
    assert "database" not in body["detail"]


def test_a_nul_character_is_a_field_error_not_a_database_error(api, make_user, places):
    """PostgreSQL refuses NUL in text; the API says so per field instead of failing with 500."""
    citizen = make_user(Role.CITIZEN)

    sign_in = api.post("/auth/token", json={"login": "\x00", "password": "x"})
    lodge = api.as_(citizen).post("/complaints", json={"category_id": 1, "subject": "Broken\x00light",
                                                      "description": "Dark for three weeks on our street."})

    assert assert_problem(sign_in, 422, field="login")["errors"]["login"] == ["Must not contain a NUL character."]
    assert_problem(lodge, 422, field="subject")
