"""Numbers on Urdu and Pashto pages: Latin digits and Pakistan's separators, as the province's offices write them.

CLDR's Pashto is Afghanistan's ("1.234,5" in Extended Arabic-Indic digits, the Solar Hijri calendar in
browsers); a reader in Khyber Pakhtunkhwa would read "1.234" as one and a bit. docs/decisions.md ("Digits").
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from flask_babel import force_locale

from app import i18n
from app.web import pk_time

EASTERN_DIGITS = re.compile(r"[\u0660-\u0669\u06F0-\u06F9]")


@pytest.mark.parametrize("language", ["en", "ur", "ps"])
def test_numbers_have_latin_digits_and_pakistans_separators(app, language):
    with app.test_request_context(), force_locale(language):
        assert i18n.format_number(1234567) == "1,234,567"
        assert i18n.format_number(1234.5, "#,##0.0") == "1,234.5"
        rendered = app.jinja_env.from_string('{{ 1234.56|decimalformat("#,##0.0") }} {{ 98765|number }}').render()
        assert rendered == "1,234.6 98,765"


@pytest.mark.parametrize("language", ["ur", "ps"])
def test_dates_keep_the_languages_month_names_with_latin_digits(app, language):
    with app.test_request_context(), force_locale(language):
        shown = pk_time(datetime(2026, 12, 6, 9, 5, tzinfo=timezone.utc))
    assert "2026" in shown and "14:05" in shown and "دسمبر" in shown
    assert not EASTERN_DIGITS.search(shown)


@pytest.mark.parametrize("language, numbers, dates", [
    ("ur", "ur-PK-u-nu-latn", "ur-PK-u-ca-gregory-nu-latn"),
    ("ps", "ur-PK-u-nu-latn", "ps-PK-u-ca-gregory-nu-latn"),
])
def test_pages_tell_their_scripts_how_to_write_numbers_and_dates(client, language, numbers, dates):
    client.set_cookie("lang", language)
    page = client.get("/statistics").get_data(as_text=True)
    assert f'data-numbers="{numbers}"' in page and f'data-dates="{dates}"' in page
    assert not EASTERN_DIGITS.search(page)


def test_scripts_use_the_pages_tags_not_the_bare_language():
    """A bare `lang` in toLocaleString gives Pashto readers Afghan digits and the Solar Hijri calendar."""
    from pathlib import Path

    static = Path(i18n.__file__).parent / "static"
    bare = [f"{path.relative_to(static)}:{n}" for path in static.rglob("*.js")
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if "toLocaleString(" in line and "dataset." not in line and "toLocaleString(\n" not in line
            and not line.rstrip().endswith("toLocaleString(")]
    assert bare == []
