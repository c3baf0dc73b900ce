"""Public statistics (no sign-in): the page /statistics and its JSON /api/public/stats.

Both read one snapshot computed by `statistics.public_stats`, recomputed when
older than STATS_MAX_AGE seconds (per process), so the numbers are at most about
a minute stale and a burst of visitors costs one computation a minute.
Only counts, rates and names of places and departments leave this module.
"""
from __future__ import annotations

import threading
import time

from flask import Blueprint, current_app, jsonify, render_template

from ..services import statistics
from ..web import db

bp = Blueprint("statistics", __name__)
STATS_MAX_AGE = 60
_lock = threading.Lock()


def current_stats() -> statistics.PublicStats:
    """The snapshot; when older than STATS_MAX_AGE one thread recomputes it while visitors get the last one.

    At province scale the computation takes seconds (README, Performance), so no
    visitor waits for it except the very first after a start. The figures are at
    most STATS_MAX_AGE plus one computation old.
    """
    app = current_app._get_current_object()
    cache = app.extensions.setdefault("public_stats", {})
    with _lock:
        stats, fresh = cache.get("stats"), cache.get("expires", 0) > time.monotonic()
        refresh = not fresh and not cache.get("refreshing")
        if refresh and stats is not None:
            cache["refreshing"] = True
    if stats is None:
        return _refresh(app, cache, db())
    if refresh:
        worker = threading.Thread(target=_refresh_in_background, args=(app, cache), name="public-stats", daemon=True)
        cache["thread"] = worker
        worker.start()
    return stats


def _refresh(app, cache, session) -> statistics.PublicStats:
    try:
        stats = statistics.public_stats(session)
        with _lock:
            cache.update(stats=stats, expires=time.monotonic() + app.config.get("STATS_MAX_AGE", STATS_MAX_AGE))
        return stats
    finally:
        cache["refreshing"] = False


def _refresh_in_background(app, cache) -> None:
    with app.app_context(), app.extensions["db_sessions"]() as session:
        _refresh(app, cache, session)


@bp.get("/statistics")
def page():
    stats = current_stats()
    data = stats.as_dict()

    def rows(level):
        return [{"name": a["name"], "numbers": a} for a in data[level]]

    return render_template(
        "statistics/page.html",
        stats=stats,
        data=data,
        division_rows=rows("divisions"),
        district_rows=rows("districts"),
        department_rows=rows("departments"),
    )


@bp.get("/api/public/stats")
def as_json():
    response = jsonify(current_stats().as_dict())
    response.headers["Cache-Control"] = f"public, max-age={STATS_MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
