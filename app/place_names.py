"""Which name of a division, district, department or category a reader sees.

Each has an English `name` and may have `name_ur` and `name_ps` (seeded,
editable at /admin/places). A reader of Urdu or Pashto sees that language's
name, or the English one where it is empty. The English name stays the
stable key: lists are sorted by it in every language, CSV exports and
Open311's `service_name` and `group` carry it (Open311's `description`, for
people, follows Accept-Language).

`name_in` takes the language as an argument (services and the API pass it);
pages use `app.i18n.local_name` (the Jinja filter `|local_name`), which passes
the request's language. `lazy_local_name` is for text built before the
language is known, like `lazy_gettext`: it picks when it is rendered.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import LazyString, get_locale
from markupsafe import escape

LOCAL_LANGUAGES = ("ur", "ps")  # the languages a place has its own column for; English is `name`


def name_in(item, language: str, field: str = "name") -> str:
    """`item`'s name (an object or a mapping with `field`, `field_ur`, `field_ps`) in `language`."""
    read = item.get if isinstance(item, Mapping) else lambda key, default=None: getattr(item, key, default)
    english = read(field) or ""
    if language in LOCAL_LANGUAGES:
        return (read(f"{field}_{language}") or "").strip() or english
    return english


def names_of(item) -> dict:
    """The three names of a row, for plain values (statistics, dashboards) that outlive its session."""
    return {"name": item.name, "name_ur": item.name_ur, "name_ps": item.name_ps}


class LazyName(LazyString):
    # LazyString passes itself to templates as markup (its texts are our msgids); a name an
    # administrator typed is text, escaped like any other value.
    def __html__(self):
        return str(escape(str(self)))


def lazy_text(text: LazyString) -> LazyName:
    """A lazily translated sentence holding a lazy name (`_l(..., name=lazy_local_name(row))`), escaped as text."""
    return LazyName(str, text)


def lazy_local_name(item) -> LazyName:
    """The name in the language of whoever reads it, decided when it is rendered."""
    names = names_of(item)
    return LazyName(lambda: name_in(names, _language()))


def _language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"
