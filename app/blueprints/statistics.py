"""Public statistics (no sign-in): /statistics, one page per division, district and department, and JSON.

The figures come from the aggregate tables (milliseconds to read, see README
Performance) and are kept as one snapshot per process for at most
STATS_MAX_AGE seconds, so a burst of visitors costs one read a minute and the
numbers are at most about a minute stale. An area page adds that area's own
trends, read on each request. Only counts, rates and names of places and
departments leave this module.
"""
from __future__ import annotations

import threading
import time

from flask import Blueprint, abort, current_app, jsonify, render_template

from ..services.statistics import figures
from ..web import db

bp = Blueprint("statistics", __name__)
STATS_MAX_AGE = 60
_lock = threading.Lock()


def current_stats() -> figures.PublicStats:
    """The snapshot; when older than STATS_MAX_AGE one thread recomputes it while visitors get the last one.

    No visitor waits for a recomputation except the very first after a start.
    The figures are at most STATS_MAX_AGE plus one computation old.
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


def _refresh(app, cache, session) -> figures.PublicStats:
    try:
        stats = figures.public_stats(session)
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


def _area_or_404(level: str, area_id: int) -> figures.AreaStats:
    area = figures.area_stats(db(), current_stats(), level, area_id)
    if area is None:
        abort(404)
    return area


@bp.get("/statistics/<level>/<int:area_id>")
def area_page(level: str, area_id: int):
    area = _area_or_404(level, area_id)
    return render_template("statistics/area.html", area=area, data=area.as_dict(),
                           district_rows=[{"name": a.name, "numbers": a.figures.as_dict()} for a in area.parts])


@bp.get("/api/public/stats/<level>/<int:area_id>")
def area_json(level: str, area_id: int):
    response = jsonify(_area_or_404(level, area_id).as_dict())
    response.headers["Cache-Control"] = f"public, max-age={STATS_MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
