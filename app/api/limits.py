"""Rate limits of the API's costly or guessable calls (settings API_*_LIMIT / _WINDOW_SECONDS).

The windows are the pages' too (web.count_request): a registration or a complaint
counts the same whether it came from the page or from the app. Tries of a
password or a code are counted by the services (people/tries.py), not here.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _, ngettext

from ..services.errors import TooManyTries
from ..web import count_request
from .problems import ApiProblem


def enforce(name: str, who: str) -> None:
    """Count this request against `name` for `who`; 429 with Retry-After once over the limit (committed at once)."""
    try:
        count_request(name, who)
    except TooManyTries as refused:
        setting = f"API_{name.upper().replace('-', '_')}"
        raise ApiProblem(
            429,
            _("Too many requests: at most %(limit)s in %(window)s. Try again in %(seconds)s seconds.",
              limit=current_app.config[f"{setting}_LIMIT"],
              window=_duration(current_app.config[f"{setting}_WINDOW_SECONDS"]), seconds=refused.retry_after),
            headers={"Retry-After": str(refused.retry_after)},
        ) from None


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return ngettext("an hour", "%(num)s hours", seconds // 3600)
    if seconds % 60 == 0:
        return ngettext("a minute", "%(num)s minutes", seconds // 60)
    return ngettext("%(num)s second", "%(num)s seconds", seconds)
