"""Staff finding complaints: by tracking number, or by the words of the subject and description.

A tracking number names one complaint; `find_by_tracking_number` answers None
alike for a number that does not exist and for one outside the reader's scope.
Other text is split into words, each of which must occur in the subject or
the description: as a whole word on PostgreSQL (a full-text query along
migration 0017's GIN index, 'simple' configuration so Urdu is searched as
written) and anywhere in the text on SQLite (LIKE).

Whole words, not prefixes: PostgreSQL estimates how many complaints hold a
word from its statistics, so a rare word is read from the GIN index and a
common one along the date index until a page is full. A prefix term (`word:*`)
gets a flat guess instead, and the list then walked the whole table by date
looking for a rare word.
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import String, and_, func, literal, literal_column, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Boolean

from ...models import Complaint, User
from .scope import complaint_filter

MAX_QUERY = 200  # characters of a search: a subject is at most 150
MAX_WORDS = 8
# KP-2612-0000123 (tracking_number in complaints.py), in any case, with spaces or without the dashes.
_TRACKING = re.compile(r"KP-?(\d{4})-?(\d{7,10})")
_JOINERS = {"\u200c", "\u200d"}  # zero-width (non-)joiners sit inside Urdu and Pashto words


def tracking_number_in(text: str) -> str | None:
    """The tracking number `text` is, written the portal's way; None when it is not one."""
    compact = re.sub(r"\s+", "", text).upper().replace("\u2013", "-").replace("\u2011", "-")
    match = _TRACKING.fullmatch(compact)
    return f"KP-{match.group(1)}-{match.group(2)}" if match else None


def search_words(text: str) -> list[str]:
    """The words of a search: runs of letters, marks and digits (any script), at most MAX_WORDS."""
    words, current = [], []
    for char in text[:MAX_QUERY]:
        if unicodedata.category(char)[0] in "LMN" or char in _JOINERS:
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return list(dict.fromkeys(words))[:MAX_WORDS]


def normalized_query(text: str | None) -> str:
    """What the search box keeps: a tracking number as the portal writes it, other text trimmed;
    "" when there is nothing to search for (no word in it)."""
    text = (text or "").strip()[:MAX_QUERY]
    return tracking_number_in(text) or (text if search_words(text) else "")


def search_condition(text: str):
    """SQL condition for a search box's text (see normalized_query), or None when it searches nothing."""
    number = tracking_number_in(text)
    if number:
        return Complaint.tracking_number == number
    words = search_words(text)
    if not words:
        return None
    # One quoted term per word; the words hold no quote or operator (letters, marks, digits only).
    tsquery = " & ".join(f"'{word}'" for word in words)
    return _matches_words(literal(tsquery, String), *(literal(word, String) for word in words))


def find_by_tracking_number(session: Session, user: User, number: str) -> Complaint | None:
    """The complaint with this tracking number if `user` may read it; None otherwise, not telling which."""
    return session.scalar(select(Complaint).where(Complaint.tracking_number == number, complaint_filter(user)))


class _matches_words(FunctionElement):
    """The complaint's text holds every word: arguments are the tsquery, then the words one by one.

    A construct of its own because each database compiles it differently; the
    values stay bound parameters, so the statement cache keys on their number only.
    """

    type = Boolean()
    name = "matches_words"
    inherit_cache = True


# Exactly the expression of ix_complaints_search (migration 0017): PostgreSQL uses an
# expression index only for the same expression, with the same constants written in.
_SIMPLE = literal_column("'simple'")
SEARCH_DOCUMENT = func.to_tsvector(_SIMPLE, Complaint.subject.concat(literal_column("' '", String))
                                   .concat(Complaint.description))


@compiles(_matches_words, "postgresql")
def _full_text(element, compiler, **kw):
    tsquery = element.clauses.clauses[0]
    # Parenthesised: the text is spliced into the statement's WHERE as it is, beside other conditions.
    return f"({compiler.process(SEARCH_DOCUMENT.op('@@')(func.to_tsquery(_SIMPLE, tsquery)), **kw)})"


@compiles(_matches_words)
def _like(element, compiler, **kw):
    words = element.clauses.clauses[1:]
    every = and_(*(or_(Complaint.subject.icontains(word), Complaint.description.icontains(word)) for word in words))
    return f"({compiler.process(every, **kw)})"
