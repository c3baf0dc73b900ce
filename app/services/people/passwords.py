"""The rules a new password meets, everywhere one is set, and passwords that signed in under older rules.

A password is refused when it is:
- shorter than 10 characters for a citizen, 12 for staff (whose accounts reach
  many people's complaints), or longer than 128 (nobody types more; it bounds the work);
- among the most common passwords (`app/passwords/common.txt.gz`, 112,130 of at
  least 10 characters; case is ignored);
- easy to guess by zxcvbn's estimate (score below 3: fewer than about 10^8
  guesses), which also knows the person's own name, CNIC, number and username.

zxcvbn explains itself in English; the portal says what to do in the reader's
language instead, one hint per kind of weakness zxcvbn found.

Passwords set before these rules still sign in; `flag_if_weak` marks such an
account at sign-in (the only moment the password is known) and the person is
asked for a new one before anything else (users.must_change_password).
"""
from __future__ import annotations

import gzip
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from flask_babel import lazy_gettext as _l
from werkzeug.security import generate_password_hash
from zxcvbn import zxcvbn

from ...models import User

CITIZEN_MIN = 10
STAFF_MIN = 12
MAX_LENGTH = 128
GOOD_SCORE = 3  # zxcvbn: 3 is "safely unguessable" (about 10^8 guesses), enough behind throttled sign-in
# zxcvbn's cost grows with the length; what it finds in the first 64 characters decides.
ESTIMATED_LENGTH = 64
COMMON_FILE = Path(__file__).resolve().parents[2] / "passwords" / "common.txt.gz"
# Words anyone guessing at this portal would try first.
SITE_WORDS = ("citizen", "citizens", "portal", "complaint", "khyber", "pakhtunkhwa", "peshawar")

COMMON = _l("This password is one of the most common passwords: anyone guessing tries those first. Choose another.")
GUESSABLE = _l("This password is easy to guess. A good one is three or four words that do not belong together "
               "(in any language, written in Latin letters), with a number or a sign between them.")
PERSONAL = _l("Do not build your password from your name, CNIC, mobile number or username.")
DIFFERENT = _l("The two passwords differ.")
# What to avoid, by the kind of pattern zxcvbn found.
HINTS = {
    "repeat": _l("Avoid repeats such as “aaaa” or “abcabc”."),
    "sequence": _l("Avoid sequences such as “abcd” or “1234”."),
    "spatial": _l("Avoid rows of keys such as “qwerty” or “asdf”."),
    "date": _l("Avoid dates and years."),
    "dictionary": _l("Avoid common words and names on their own: a capital letter or “@” for “a” does not help much."),
}


def minimum_length(*, staff: bool) -> int:
    return STAFF_MIN if staff else CITIZEN_MIN


def problems(password: str, *, staff: bool, personal: Iterable[str] = ()) -> list:
    """What is wrong with `password` as a new password (lazy strings; empty when it is good)."""
    shortest = minimum_length(staff=staff)
    if len(password) < shortest:
        return [_l("Use at least %(count)s characters.", count=shortest)]
    if len(password) > MAX_LENGTH:
        return [_l("Use at most %(count)s characters.", count=MAX_LENGTH)]
    if is_common(password):
        return [COMMON]
    words = [word for word in _words(personal) if len(word) >= 3]
    if _little_besides(password, words):
        return [PERSONAL]
    estimate = zxcvbn(password[:ESTIMATED_LENGTH], user_inputs=[*words, *SITE_WORDS])
    if estimate["score"] >= GOOD_SCORE:
        return []
    found = [match for match in estimate["sequence"] if match["pattern"] != "bruteforce"]
    if any(match.get("dictionary_name") == "user_inputs" and match.get("matched_word") in words for match in found):
        return [PERSONAL]
    hints = [HINTS[kind] for kind in dict.fromkeys(match["pattern"] for match in found) if kind in HINTS]
    return [GUESSABLE, *hints[:2]]


def new_password_errors(password: str, confirm: str, *, staff: bool, personal: Iterable[str] = (),
                        field: str = "password") -> dict[str, list]:
    """Form errors for a new password and its repetition: on `field`, or on "password_confirm" when they differ."""
    found = problems(password or "", staff=staff, personal=personal)
    if found:
        return {field: found}
    if password != confirm:
        return {"password_confirm": [DIFFERENT]}
    return {}


def personal_words(user: User) -> list[str]:
    """What a guesser knows of this person: their name, CNIC, number, username, e-mail."""
    return [value for value in (user.full_name, user.cnic, user.mobile, user.username, user.email) if value]


def meets_rules(user: User, password: str) -> bool:
    return not problems(password, staff=user.is_staff, personal=personal_words(user))


def set_password(user: User, password: str) -> None:
    """Store a new password (already checked by the rules); a forced change is done with it."""
    user.password_hash = generate_password_hash(password)
    user.must_change_password = False


def flag_if_weak(user: User, password: str) -> bool:
    """At sign-in, with the password just checked: mark it to be changed if today's rules refuse it."""
    if not user.must_change_password and not meets_rules(user, password):
        user.must_change_password = True
    return user.must_change_password


def is_common(password: str) -> bool:
    return password.lower() in _common_passwords()


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # About 10 MB in memory per process, read once; a look-up is a set probe.
    with gzip.open(COMMON_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n") for line in lines)


def _little_besides(password: str, words: list[str]) -> bool:
    """True when the password is hardly more than the person's own words ("bilal-ahmad-1")."""
    rest = password.lower()
    for word in sorted(words, key=len, reverse=True):
        rest = rest.replace(word, "")
    return len(re.sub(r"[\W_]", "", rest)) < 4


def _words(values: Iterable[str]) -> list[str]:
    """Each value as typed, without spaces and dashes, and word by word (a name's parts)."""
    words: list[str] = []
    for value in values:
        value = value.strip().lower()
        words += [value, value.replace("-", "").replace(" ", ""), *value.replace("@", " ").replace(".", " ").split()]
        if value.startswith("03") and value.isdigit():
            words += [value[1:], "92" + value[1:], f"{value[:4]}-{value[4:]}"]  # 300…, 92300…, 0300-…
        if len(value) == 13 and value.isdigit():
            words.append(f"{value[:5]}-{value[5:12]}-{value[12]}")  # a CNIC as printed on the card
    return list(dict.fromkeys(words))
