"""Public statistics (no sign-in): the page /statistics and its JSON /api/public/stats.

Both read one snapshot computed by `statistics.public_stats` and kept for at
most STATS_MAX_AGE seconds per process, so the numbers are never more than a
minute stale and a burst of visitors costs one computation a minute.
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
    cache = current_app.extensions.setdefault("public_stats", {})
    with _lock:
        if cache.get("expires", 0) > time.monotonic():
            return cache["stats"]
    stats = statistics.public_stats(db())
    with _lock:
        cache.update(stats=stats, expires=time.monotonic() + current_app.config.get("STATS_MAX_AGE", STATS_MAX_AGE))
    return stats


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
