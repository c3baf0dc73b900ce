"""The reader's language: English, Urdu or Pashto, on every page, message and API answer.

The language of a request comes from, in order: the signed-in user's saved
choice; the `lang` cookie set by the switch in every page's header (so it
works signed out); the browser's Accept-Language; English. Urdu and Pashto are
written right to left: `text_direction` tells the templates.

Under a prefix registered with `without_session` (the JSON API) the session and
the cookie are never read: the reader is the user its bearer token names
(`set_reader`), else the Accept-Language header decides.

Texts live in gettext catalogues under `app/translations/<lang>/LC_MESSAGES/`
(`make translations` extracts, updates and compiles them; `babel.cfg` says what
is read). Services never build finished sentences for people: they use
`lazy_gettext` (imported as `_l`), which the page or the API renders in the
reader's language when it is shown. Names of divisions, districts, departments
and categories are data, not msgids: `local_name` (the filter `|local_name`)
picks their Urdu or Pashto name (see `app/place_names.py`).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g, has_request_context, request
from babel.numbers import format_decimal
from flask_babel import Babel, refresh
from flask_login import current_user

from .place_names import name_in

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
TIMEZONE = "Asia/Karachi"  # Pakistan time (UTC+5, no daylight saving)


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself, as the switch shows it
    direction: str  # "ltr" or "rtl"
    # How numbers are written (docs/decisions.md, "Digits"): Latin digits with "," between thousands and "."
    # before decimals on every page, as the province's offices write them in all three languages.
    number_locale: str  # the Babel locale numbers are formatted with on the server
    script_numbers: str  # the BCP 47 tag the page's scripts give Intl for numbers (<html data-numbers>)
    script_dates: str  # ... and for dates: Gregorian calendar, Latin digits (<html data-dates>)


LANGUAGES = {
    "en": Language("en", "English", "ltr", "en", "en", "en"),
    "ur": Language("ur", "اردو", "rtl", "ur_PK", "ur-PK-u-nu-latn", "ur-PK-u-ca-gregory-nu-latn"),
    # CLDR's Pashto is Afghanistan's: Extended Arabic-Indic digits, "." between thousands and "," before
    # decimals, and in browsers the Solar Hijri calendar. In Khyber Pakhtunkhwa Pashto is written with
    # Pakistan's numbers, which are Urdu's; its dates keep Pashto month names, on the Gregorian calendar.
    "ps": Language("ps", "پښتو", "rtl", "ur_PK", "ur-PK-u-nu-latn", "ps-PK-u-ca-gregory-nu-latn"),
}
DEFAULT = "en"

babel = Babel()


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    babel.init_app(app, locale_selector=select_language, timezone_selector=lambda: TIMEZONE)
    app.context_processor(_language_context)
    # Flask-Babel's own number filters would use the page's locale (Afghan separators in Pashto): one way.
    for name in ("number", "decimalformat", "numberformat"):
        app.jinja_env.filters[name] = format_number
    app.jinja_env.filters["local_name"] = local_name


def format_number(value, pattern: str | None = None) -> str:
    """A count or a figure as the reader's pages write numbers: Latin digits, Pakistan's separators.

    `pattern` is a Babel number pattern ("#,##0.0" for one decimal); without it, the locale's own.
    """
    return format_decimal(value, format=pattern, locale=current_language().number_locale)


def local_name(item, field: str = "name") -> str:
    """A division's, district's, department's or category's name in the reader's language.

    `item` is a row or any object or mapping with `name`, `name_ur`, `name_ps`
    (or `field`, `field_ur`, `field_ps`); an empty local name shows the English one.
    """
    return name_in(item, current_language().code, field)


def known(code: str | None) -> str | None:
    return code if code in LANGUAGES else None


def select_language() -> str:
    """The request's language: saved choice → cookie → Accept-Language → English.

    Outside a request (a job, a command) it is English; messages for a person
    are rendered inside `flask_babel.force_locale(their language)` instead.
    """
    if not has_request_context():
        return DEFAULT
    if _sessionless():
        reader = g.get(READER)
        saved = known(getattr(reader, "language", None))
        return saved or request.accept_languages.best_match(LANGUAGES) or DEFAULT
    if current_user and current_user.is_authenticated:
        saved = known(getattr(current_user, "language", None))
        if saved:
            return saved
    return known(request.cookies.get(COOKIE)) or request.accept_languages.best_match(LANGUAGES) or DEFAULT


READER = "i18n_reader"


def without_session(app: Flask, prefix: str) -> None:
    """Requests under `prefix` choose their language without the session's user or the cookie."""
    app.extensions.setdefault("i18n_sessionless", set()).add(prefix)


def _sessionless() -> bool:
    return any(request.path.startswith(prefix) for prefix in current_app.extensions.get("i18n_sessionless", ()))


def set_reader(user) -> None:
    """The user a request answers (the API's token user): their saved language from now on in this request."""
    setattr(g, READER, user)
    refresh()  # a language chosen before the user was known (none is, usually) is chosen again


def current_language() -> Language:
    from flask_babel import get_locale

    locale = get_locale()
    return LANGUAGES.get(locale.language if locale else DEFAULT, LANGUAGES[DEFAULT])


def _language_context() -> dict:
    language = current_language()
    return {"current_language": language, "text_direction": language.direction, "languages": LANGUAGES.values()}
