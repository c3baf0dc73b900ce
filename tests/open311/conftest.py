"""Fixtures of the Open311 tests: an issued API key, a posting helper, parsed bodies."""
from __future__ import annotations

import pytest
from lxml import etree

from app.models import Role
from app.services.interop import api_keys
from tests.app.helpers import cheap_password_hashing

SERVICE_CODE = "HEALTH-STAFF-ABSENT"
DESCRIPTION = "The doctor at the Basic Health Unit has not come to work for two weeks."


@pytest.fixture(autouse=True)
def _cheap_passwords(monkeypatch):
    cheap_password_hashing(monkeypatch)


@pytest.fixture()
def admin(make_user):
    return make_user(Role.ADMIN)


@pytest.fixture()
def api_key(session, admin) -> str:
    """The plain key of an active API key."""
    _, plain = api_keys.issue_api_key(session, admin, "Peshawar civic app")
    session.commit()
    return plain


def post_request(client, fmt: str, key: str | None, **fields):
    """POST a service request the way the specification says: form-encoded, api_key among the fields."""
    form = {"service_code": SERVICE_CODE, "district_code": "PES", "lat": "34.01512", "long": "71.52491",
            "description": DESCRIPTION}
    if key is not None:
        form["api_key"] = key
    form.update(fields)
    return client.post(f"/open311/v2/requests.{fmt}", data={k: v for k, v in form.items() if v is not None})


def xml_of(response) -> etree._Element:
    assert response.content_type == "text/xml; charset=utf-8"
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return etree.fromstring(response.data)


def json_of(response):
    assert response.content_type == "application/json; charset=utf-8"
    return response.get_json()


def records(response, fmt: str, root: str, item: str) -> list[dict]:
    """The list a response holds, as dicts of text (XML) or values (JSON); checks the XML element names."""
    if fmt == "json":
        body = json_of(response)
        assert isinstance(body, list)
        return body
    element = xml_of(response)
    assert element.tag == root and all(child.tag == item for child in element)
    return [{field.tag: field.text for field in child} for child in element]


def error_codes(response, fmt: str) -> list[tuple[int, str]]:
    found = records(response, fmt, "errors", "error")
    assert found and all(set(error) == {"code", "description"} for error in found)
    return [(int(error["code"]), error["description"]) for error in found]
