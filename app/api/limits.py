"""Rate limits of the API's costly or guessable calls (settings API_*_LIMIT / _WINDOW_SECONDS)."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _, ngettext

from ..services import rate_limits
from ..web import db
from .problems import ApiProblem


def enforce(name: str, who: str) -> None:
    """Count this request against `name` for `who`; 429 with Retry-After once over the limit.

    Committed at once, in its own unit of work: a refused sign-in must count
    even though the request then ends without committing anything.
    """
    setting = f"API_{name.upper().replace('-', '_')}"
    session = db()
    decision = rate_limits.hit(
        session,
        f"api-{name}:{who}",
        limit=current_app.config[f"{setting}_LIMIT"],
        window_seconds=current_app.config[f"{setting}_WINDOW_SECONDS"],
    )
    session.commit()
    if not decision.allowed:
        raise ApiProblem(
            429,
            _("Too many requests: at most %(limit)s in %(window)s. Try again in %(seconds)s seconds.",
              limit=decision.limit, window=_duration(current_app.config[f"{setting}_WINDOW_SECONDS"]),
              seconds=decision.retry_after),
            headers={"Retry-After": str(decision.retry_after)},
        )


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return ngettext("an hour", "%(num)s hours", seconds // 3600)
    if seconds % 60 == 0:
        return ngettext("a minute", "%(num)s minutes", seconds // 60)
    return ngettext("%(num)s second", "%(num)s seconds", seconds)
