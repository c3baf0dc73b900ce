"""One English word in two senses is two catalogue entries (pgettext), so Urdu and Pashto can say each right."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
# (msgid, the contexts it is used in): a column counting open complaints is not a link that opens a page,
# and a Preview heading is not the button that makes it.
SPLIT = {"Open": {"complaints still open", "link"}, "Preview": {"button", None}}


def _catalogue(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file)


@pytest.mark.parametrize("language", ["ur", "ps"])
@pytest.mark.parametrize("msgid", sorted(SPLIT))
def test_each_sense_has_its_own_translation(language, msgid):
    catalogue = _catalogue(language)
    senses = {m.context: m.string for m in catalogue if m.id == msgid}
    assert set(senses) == SPLIT[msgid]
    assert len(set(senses.values())) == len(senses), senses


def test_the_pages_use_the_senses(app):
    """The dashboard's column and the notification's link come out differently in Urdu."""
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("ur"):
        env = app.jinja_env
        column = env.from_string('{{ pgettext("complaints still open", "Open") }}').render()
        link = env.from_string('{{ pgettext("link", "Open") }}').render()
    assert column != link and "Open" not in column + link
    sources = {p: (ROOT / "app" / "templates" / p).read_text(encoding="utf-8")
               for p in ("dashboards/index.html", "notifications/index.html")}
    assert 'pgettext("complaints still open", "Open")' in sources["dashboards/index.html"]
    assert 'pgettext("link", "Open")' in sources["notifications/index.html"]
    assert '_("Open")' not in "".join(sources.values())
