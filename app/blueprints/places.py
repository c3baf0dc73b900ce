"""The district a map pin suggests, for the lodge page's script (GET /places/district?lat=&lon=),
and what every map element carries (`map_attributes()` in templates).

Open to everyone (it tells only which district centre is nearest to a point),
and lightly rate-limited per address, since each call is a computation.
"""
from __future__ import annotations

import json
import math

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from markupsafe import Markup

from ..i18n import local_name
from ..services import rate_limits
from ..services.casework import places
from ..web import client_address, db

bp = Blueprint("places", __name__, url_prefix="/places")


@bp.get("/district")
def district():
    session = db()
    lat, lon = _number("lat"), _number("lon")
    if lat is None or lon is None or not places.valid_coordinates(lat, lon):
        return _answer({"error": _("Give lat and lon as decimal degrees, e.g. lat=34.0151&lon=71.5249.")}, 400)
    window = current_app.config["PLACES_LOOKUP_WINDOW_SECONDS"]
    decision = rate_limits.hit(session, f"places-district:{client_address()}",
                               limit=current_app.config["PLACES_LOOKUP_LIMIT"], window_seconds=window)
    session.commit()  # a refused call counts too
    if not decision.allowed:
        response = _answer({"error": _("Too many look-ups. Try again in %(seconds)s seconds.",
                                       seconds=decision.retry_after)}, 429)
        response.headers["Retry-After"] = str(decision.retry_after)
        return response
    suggestion = places.suggest_district(session, lat, lon)
    inside = suggestion is not None and suggestion.location.inside
    refusal = suggestion.location.refusal if suggestion is not None else None
    return _answer({
        "district_id": suggestion.district.id if inside else None,
        "name": local_name(suggestion.district) if inside else None,
        "inside": inside,
        "method": places.METHOD,
        "message": str(refusal) if refusal is not None else None,
    })


@bp.app_template_global()
def map_centres() -> list[dict]:
    """The district centres in the reader's language: the dots every map draws for orientation."""
    return [{"id": c["id"], "name": local_name(c), "lat": c["lat"], "lon": c["lon"]} for c in places.district_centres(db())]


@bp.app_template_global()
def map_attributes() -> Markup:
    """What every map element carries: the tile server (none: a blank ground), its attribution, and the
    district centres drawn for orientation. Maps are laid out left to right on every page."""
    settings = current_app.config
    return Markup('dir="ltr" hidden data-tiles="{}" data-attribution="{}" data-centres="{}"').format(
        settings["MAP_TILE_URL"], settings["MAP_ATTRIBUTION"], json.dumps(map_centres(), ensure_ascii=False))


def _number(name: str) -> float | None:
    try:
        value = float(request.args.get(name, ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _answer(body: dict, status: int = 200):
    response = jsonify(body)
    response.status_code = status
    # The name is in the reader's language.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response
