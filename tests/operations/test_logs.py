"""Request ids and JSON log lines: taken from X-Request-ID when valid or made, returned, logged once per
request with no personal data; the 500 page and the API's problem show the id in the reader's language."""
from __future__ import annotations

import json
import logging
import re

import pytest

from app.logs import JsonFormatter
from app.models import Role
from tests.conftest import login


def request_lines(caplog) -> list[dict]:
    return [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "portal.request"]


def test_a_request_without_an_id_gets_one_made_and_returned(client):
    answer = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])
    assert client.get("/healthz").headers["X-Request-ID"] != answer.headers["X-Request-ID"]


@pytest.mark.parametrize(("sent", "kept"), [
    ("lb-7f3a.2026:42_x", True),
    ("a" * 64, True),
    ("a" * 65, False),  # too long
    ("abc def", False),  # a space
    ('x"}, {"admin": true', False),  # would break a log line
    ("", False),
])
def test_a_callers_request_id_is_kept_only_when_valid(client, sent, kept):
    returned = client.get("/healthz", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
    assert (returned == sent) is kept
    if not kept:
        assert re.fullmatch(r"[0-9a-f]{32}", returned)


def test_one_json_line_per_request_with_the_user_id_and_no_personal_data(client, make_user, caplog):
    citizen = make_user(Role.CITIZEN, name="Zarmina Yousafzai")
    login(client, citizen)
    with caplog.at_level(logging.INFO, logger="portal.request"):
        answer = client.get("/my/complaints?q=03001234567", headers={"X-Request-ID": "trace-1"})
    (line,) = request_lines(caplog)
    assert line["request_id"] == answer.headers["X-Request-ID"] == "trace-1"
    assert {k: line[k] for k in ("method", "path", "endpoint", "status", "user_id", "logger", "level")} == {
        "method": "GET", "path": "/my/complaints", "endpoint": "citizen.my_complaints", "status": 200,
        "user_id": citizen.id, "logger": "portal.request", "level": "INFO"}
    assert isinstance(line["duration_ms"], float) and line["ts"].endswith("+00:00")
    text = json.dumps(line, ensure_ascii=False)
    assert "Zarmina" not in text and citizen.mobile not in text and citizen.cnic not in text and "0300" not in text


def test_an_anonymous_request_and_an_unknown_url_are_logged_too(client, caplog):
    with caplog.at_level(logging.INFO, logger="portal.request"):
        client.get("/no/such/page")
    (line,) = request_lines(caplog)
    assert (line["status"], line["endpoint"], line["user_id"]) == (404, None, None)


@pytest.fixture()
def failing(app):
    """Routes that fail as a bug would, on a page and in the API."""

    def boom():
        raise RuntimeError("a bug")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    app.testing = False  # errors are answered as in production, not raised into the test
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_the_500_page_shows_the_request_id_in_the_readers_language(failing, caplog):
    client = failing.test_client()
    with caplog.at_level(logging.INFO):
        answer = client.get("/boom", headers={"X-Request-ID": "ref-500-page"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 500 and answer.headers["X-Request-ID"] == "ref-500-page"
    assert "Something went wrong" in page and "quote this reference: ref-500-page" in page
    assert "a bug" not in page
    (line,) = request_lines(caplog)
    assert (line["status"], line["request_id"]) == (500, "ref-500-page")
    # The error's own log record carries the same id, so the reference finds the traceback.
    (error,) = [r for r in caplog.records if r.exc_info and r.name == failing.logger.name]
    assert json.loads(JsonFormatter().format(error))["request_id"] == "ref-500-page"

    urdu = client.get("/boom", headers={"X-Request-ID": "ref-ur", "Accept-Language": "ur"}).get_data(as_text=True)
    assert "ref-ur" in urdu and "quote this reference" not in urdu


def test_the_api_problem_of_a_500_carries_the_request_id(failing):
    answer = failing.test_client().get("/api/v1/boom", headers={"X-Request-ID": "ref-api"})
    assert answer.status_code == 500 and answer.mimetype == "application/problem+json"
    body = answer.json
    assert body["request_id"] == "ref-api" and "ref-api" in body["detail"] and body["status"] == 500
    assert "a bug" not in answer.get_data(as_text=True)
