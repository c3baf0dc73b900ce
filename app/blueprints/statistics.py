"""Public statistics (no sign-in): /statistics, one page per division, district and department, and JSON.

The figures come from the aggregate tables (milliseconds to read, see README
Performance) and are kept as one snapshot per process (made by the factory)
for at most STATS_MAX_AGE seconds, so a burst of visitors costs one read a
minute and the numbers are at most about a minute stale. An area page adds that area's own
trends, read on each request. Only counts, rates and names of places and
departments leave this module. The JSON carries each area's English `name` and
its `name_ur` and `name_ps` (one cached answer serves every reader); the pages
show the reader's with `|local_name`.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template

from ..services.statistics import figures, public_map
from ..web import db
from ..offline import offline_copy

bp = Blueprint("statistics", __name__)
STATS_MAX_AGE = 60


def current_stats() -> figures.PublicStats:
    """The province's figures, at most about STATS_MAX_AGE seconds old (see services/statistics/snapshot.py)."""
    return current_app.extensions["public_stats"].get(db())


@bp.get("/statistics")
@offline_copy
def page():
    stats = current_stats()
    data = stats.as_dict()

    def rows(level):
        return [{"name": a["name"], "name_ur": a["name_ur"], "name_ps": a["name_ps"], "numbers": a} for a in data[level]]

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


@bp.get("/api/public/map")
def map_json():
    """Open and resolved complaints per district (at its centre) and per cell of about 1 km: counts only."""
    cells = current_app.extensions["public_map"].get(db())
    response = jsonify(public_map.public_map(db(), current_stats(), cells))
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
                           district_rows=[{**a.names(), "numbers": a.figures.as_dict()} for a in area.parts])


@bp.get("/api/public/stats/<level>/<int:area_id>")
def area_json(level: str, area_id: int):
    response = jsonify(_area_or_404(level, area_id).as_dict())
    response.headers["Cache-Control"] = f"public, max-age={STATS_MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
