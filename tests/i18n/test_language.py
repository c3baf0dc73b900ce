"""Which language a page is in: the saved choice, then the switch's cookie, then Accept-Language, then English."""
from __future__ import annotations

import re

from app.models import Role
from tests.conftest import login


def html_tag(response) -> str:
    """The page's language and direction as `<html lang=.. dir=..>` (the tag also says how scripts write numbers)."""
    return re.search(r'<html lang="[^"]*" dir="[^"]*"', response.get_data(as_text=True)).group(0) + ">"


def test_english_left_to_right_by_default(client):
    assert html_tag(client.get("/login")) == '<html lang="en" dir="ltr">'


def test_accept_language_picks_urdu_right_to_left(client):
    assert html_tag(client.get("/login", headers={"Accept-Language": "ur-PK,ur;q=0.9,en;q=0.5"})) == \
        '<html lang="ur" dir="rtl">'
    assert html_tag(client.get("/login", headers={"Accept-Language": "ps"})) == '<html lang="ps" dir="rtl">'
    assert html_tag(client.get("/login", headers={"Accept-Language": "fr, de"})) == '<html lang="en" dir="ltr">'


def test_the_switch_works_signed_out_and_its_cookie_beats_the_browser(client):
    response = client.post("/language", data={"language": "ps", "next": "/statistics"})
    assert response.status_code == 302 and response.headers["Location"] == "/statistics"
    assert "lang=ps" in response.headers["Set-Cookie"]
    assert html_tag(client.get("/login", headers={"Accept-Language": "ur"})) == '<html lang="ps" dir="rtl">'


def test_the_switch_saves_a_signed_in_users_choice_which_beats_the_cookie(client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    login(client, citizen)
    client.post("/language", data={"language": "ur", "next": "/my/complaints"})
    session.refresh(citizen)
    assert citizen.language == "ur"
    client.set_cookie("lang", "en")
    assert html_tag(client.get("/my/complaints")) == '<html lang="ur" dir="rtl">'


def test_the_switch_refuses_unknown_languages_and_other_hosts(client):
    assert client.post("/language", data={"language": "xx"}).status_code == 400
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/language", data={"language": "ur", "next": target})
        assert response.headers["Location"] == "/"


def test_every_page_has_the_switch(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'action="/language"' in page and 'lang="ur"' in page and 'lang="ps"' in page


def test_the_stylesheet_uses_logical_properties_only():
    """Right to left works because nothing in the stylesheet says left or right (margin-inline-start, not margin-left)."""
    from pathlib import Path

    for sheet in (Path(__file__).resolve().parents[2] / "app" / "static").rglob("*.css"):
        physical = re.findall(r"[\w-]*\b(?:left|right)\b[\w-]*", sheet.read_text())
        assert physical == [], sheet.name
