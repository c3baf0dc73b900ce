"""Rate limits of the API's costly or guessable calls (settings API_*_LIMIT / _WINDOW_SECONDS)."""
from __future__ import annotations

from flask import current_app

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
            f"Too many requests: at most {decision.limit} in {_duration(current_app.config[f'{setting}_WINDOW_SECONDS'])}. "
            f"Try again in {decision.retry_after} seconds.",
            headers={"Retry-After": str(decision.retry_after)},
        )


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "an hour" if hours == 1 else f"{hours} hours"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return "a minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"
