"""Open311 answers in the language its client asks for with Accept-Language, never by a page's cookie."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.models import Category
from tests.open311.conftest import SERVICE_CODE, json_of

ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")


def _extensions(response) -> dict:
    return {e["name"]: e["description"] for e in json_of(response)["extensions"]}


def test_discovery_descriptions_follow_accept_language(client):
    english = client.get("/open311/v2/discovery.json")
    urdu = client.get("/open311/v2/discovery.json", headers={"Accept-Language": "ur"})
    assert english.headers["Content-Language"] == "en" and urdu.headers["Content-Language"] == "ur"
    assert "Accept-Language" in urdu.headers["Vary"]
    assert set(_extensions(english)) == set(_extensions(urdu))
    for name, text in _extensions(urdu).items():
        assert ARABIC_SCRIPT.search(text), name
        assert text != _extensions(english)[name]
    assert "100" in _extensions(urdu)["page, page_size"] or "100" in _extensions(english)["page, page_size"]
    assert ARABIC_SCRIPT.search(json_of(urdu)["key_service"])
    assert not ARABIC_SCRIPT.search(json_of(english)["key_service"])


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_discovery_in_pashto_in_both_formats(client, fmt):
    response = client.get(f"/open311/v2/discovery.{fmt}", headers={"Accept-Language": "ps"})
    assert response.headers["Content-Language"] == "ps"
    assert ARABIC_SCRIPT.search(response.get_data(as_text=True))


def test_a_page_cookie_does_not_choose_the_language_of_a_machine_interface(client):
    client.set_cookie("lang", "ur")
    response = client.get("/open311/v2/discovery.json")
    assert response.headers["Content-Language"] == "en"
    assert not ARABIC_SCRIPT.search(json_of(response)["key_service"])


def test_service_descriptions_are_in_the_asked_language_and_names_stay_the_key(client, session, places):
    category = session.scalar(select(Category).where(Category.code == SERVICE_CODE))
    assert category.name_ur, "the seeded categories carry Urdu names"
    english = {s["service_code"]: s for s in json_of(client.get("/open311/v2/services.json"))}
    urdu = {s["service_code"]: s for s in json_of(client.get("/open311/v2/services.json",
                                                              headers={"Accept-Language": "ur"}))}
    assert urdu[SERVICE_CODE]["description"] == f"{category.name_ur} ({category.department.name_ur})"
    assert english[SERVICE_CODE]["description"] == f"{category.name} ({category.department.name})"
    # What a client matches on stays the same in every language: code, English name, group, keywords.
    for key in ("service_code", "service_name", "group", "keywords"):
        assert urdu[SERVICE_CODE][key] == english[SERVICE_CODE][key], key
    assert english[SERVICE_CODE]["service_name"] == category.name


def test_errors_follow_accept_language(client):
    english = client.get("/open311/v2/requests/NOPE.json")
    urdu = client.get("/open311/v2/requests/NOPE.json", headers={"Accept-Language": "ur"})
    assert english.status_code == urdu.status_code == 404
    assert ARABIC_SCRIPT.search(json_of(urdu)[0]["description"])
