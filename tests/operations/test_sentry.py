"""Sentry, when SENTRY_DSN is set: a real event from a failing request, caught by a transport of our own
instead of the network, reaches Sentry with the request id and without CNIC, mobile, e-mail or passwords."""
from __future__ import annotations

import json

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from app import create_app
from app.services.operations import scrubbing

CNIC, MOBILE, EMAIL, PASSWORD = "17301-1234567-1", "0300-1234567", "zarmina@example.pk", "correct-horse-1"


class Captured(Transport):
    events: list[dict] = []

    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                Captured.events.append(item.payload.json)


@pytest.fixture()
def sentry_app(db_url, tmp_path):
    Captured.events = []
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "UPLOAD_DIR": str(tmp_path), "WTF_CSRF_ENABLED": False,
                      "SENTRY_DSN": "http://public@127.0.0.1:9/1"})
    # create_app initialised Sentry from SENTRY_DSN; again with the capturing transport, same options otherwise.
    from app.observability import init_sentry

    init_sentry("http://public@127.0.0.1:9/1", transport=Captured)

    def lodge_badly():
        from flask import request

        cnic, mobile, email, password = CNIC, MOBILE, EMAIL, request.form["password"]  # noqa: F841 (frame locals)
        raise ValueError(f"no account for {cnic} / {mobile} / {email}")

    app.add_url_rule("/boom", "boom", lodge_badly, methods=["POST"])
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield app
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: off again for the other tests
    app.extensions["db_engine"].dispose()


def test_a_failing_request_reaches_sentry_scrubbed_with_its_request_id(sentry_app):
    answer = sentry_app.test_client().post(
        f"/boom?mobile={MOBILE}&next=/x", data={"password": PASSWORD, "login": MOBILE, "cnic": CNIC, "note": EMAIL},
        headers={"X-Request-ID": "ref-sentry", "Authorization": "Bearer s3cret-token", "Cookie": "session=abc"})
    assert answer.status_code == 500
    sentry_sdk.flush()
    (event,) = Captured.events
    text = json.dumps(event)
    # A real event: the exception, its frames' locals and the request are all there...
    assert event["exception"]["values"][-1]["type"] == "ValueError"
    assert event["tags"]["request_id"] == "ref-sentry"
    assert any(frame.get("vars") for frame in event["exception"]["values"][-1]["stacktrace"]["frames"])
    assert event["request"]["method"] == "POST"
    # ... and none of the personal data or secrets.
    for secret in (CNIC, "1730112345671", MOBILE, "03001234567", EMAIL, PASSWORD, "s3cret-token"):
        assert secret not in text, secret
    assert "[cnic]" in text and "[mobile]" in text and "[email]" in text


def test_the_scrubber_on_the_shape_of_an_event():
    event = {
        "event_id": "e1", "level": "error", "platform": "python",
        "exception": {"values": [{"type": "Invalid", "value": f"CNIC {CNIC} and +92 300 1234567 taken",
                                  "stacktrace": {"frames": [{"function": "register", "lineno": 3, "vars": {
                                      "password": "'hunter2'", "form": {"password_confirm": "hunter2", "mobile": MOBILE},
                                      "note": f"'write to {EMAIL}'", "count": 3}}]}}]},
        "request": {"url": "https://portal/register", "method": "POST", "query_string": "code=483920&lang=ur",
                    "data": {"cnic": CNIC, "password": "hunter2", "full_name": "Zarmina"},
                    "headers": {"Authorization": "Bearer abc", "User-Agent": "phone"}, "cookies": {"session": "x"}},
        "breadcrumbs": {"values": [{"category": "log", "message": "sms to 923001234567: your code is 483920"}]},
        "logentry": {"message": "reset for %s", "params": [EMAIL]},
        "user": {"id": 7, "email": EMAIL, "username": "zarmina", "ip_address": "1.2.3.4"},
        "extra": {"sys.argv": ["gunicorn"]},
    }
    clean = scrubbing.before_send(event, {})
    text = json.dumps(clean)
    for secret in (CNIC, "1234567", "hunter2", "483920", EMAIL, "Bearer abc", "1.2.3.4", "zarmina\""):
        assert secret not in text, secret
    assert clean["user"] == {"id": 7}
    assert clean["request"]["data"]["full_name"] == "Zarmina"  # only what the patterns name goes
    assert clean["request"]["headers"]["User-Agent"] == "phone"
    assert clean["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["count"] == 3
    assert clean["request"]["query_string"] == "code=[Filtered]&lang=ur"
    assert event["request"]["data"]["password"] == "hunter2"  # the original is not changed in place
