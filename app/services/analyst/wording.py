"""What workflows/ tells the analyst, in the analyst's language.

The engine adapter has no Flask: its validation errors, warnings, migration
reasons and simulation details are `workflows.notes.Note` values (a code and
the facts it names). Here they become lazy strings, worded with this
portal's catalogues when the page or the JSON answer is rendered; texts that
app/ made itself (lazy strings already) pass through unchanged.
"""
from __future__ import annotations

from babel.lists import format_list
from flask_babel import LazyString, get_locale, gettext
from markupsafe import escape

from workflows.notes import Note, sentence


class Worded(LazyString):
    # Flask-Babel's lazy strings reach templates as markup (its texts are our msgids); a worded note
    # holds what an analyst typed into a diagram (names, expressions), so it is escaped like any value.
    def __html__(self):
        return escape(str(self))


def in_words(message):
    """A Note as a lazy string in the reader's language; anything else (a lazy string, a text) as it is."""
    return Worded(_render, message) if isinstance(message, Note) else message


def detail_in_words(parts) -> Worded:
    """A simulation step's detail (Notes and data) as one lazy string."""
    return Worded(sentence, parts, gettext, _join)


def code_of(message) -> str | None:
    """The code of a Note, for machines reading the JSON answer; None for app/'s own texts."""
    return message.code if isinstance(message, Note) else None


def _render(note: Note) -> str:
    return note.render(gettext, _join)


def _join(items: list[str]) -> str:
    """A list of names (roles, form keys) joined as the reader's language joins a list."""
    locale = get_locale()
    return format_list(items, locale=str(locale) if locale else "en") if items else ""
