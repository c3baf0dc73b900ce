"""Where a pin lies: the district whose centre is nearest, and whether it is in Khyber Pakhtunkhwa at all.

No district-boundary dataset is available from the registries we draw on, so
the district is only *suggested*: the one whose centre (its headquarters town,
app/geo/places.json) is nearest to the pin. Near a district's edge the
suggestion can be the neighbour; the citizen still chooses the district.

A pin is outside the province when the nearest town of the whole list
(Pakistan's towns and the neighbouring countries' towns near the province) is
not a town of Khyber Pakhtunkhwa, or when no town of the province lies within
OUTSIDE_KM. That is a coarse test: close to the provincial border a pin can be
judged by a town across it, and the citizen then writes the address instead.
"""
from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import District

PLACES_FILE = Path(__file__).resolve().parents[2] / "geo" / "places.json"
METHOD = "nearest district centre"
KP = "KP"
OUTSIDE_KM = 60
EARTH_KM = 6371.0088


@dataclass(frozen=True)
class Point:
    name: str
    region: str  # "KP", "PK-PB" (another province of Pakistan), "AF" (a country)...
    lat: float
    lon: float


@dataclass(frozen=True)
class Centre:
    code: str  # the district's code (organisation_data)
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Places:
    centres: tuple[Centre, ...]
    towns: tuple[Point, ...]  # every town, the province's district centres among them


@dataclass(frozen=True)
class Location:
    """What a pin tells: the suggested district (by code) and whether the pin is in the province."""

    centre: Centre
    inside: bool
    nearest_town: Point
    nearest_town_km: float
    nearest_kp_km: float

    @property
    def refusal(self):
        """Why a complaint may not carry this pin (None when it may)."""
        if self.inside:
            return None
        if self.nearest_town.region != KP:
            return _l("This point seems to be outside Khyber Pakhtunkhwa: the nearest town we know, %(town)s, is "
                      "not in the province. Move the pin, or clear the latitude and longitude and describe the "
                      "place in the address.", town=self.nearest_town.name)
        return _l("This point seems to be outside Khyber Pakhtunkhwa: it is more than %(km)s km from any town of "
                  "the province we know. Move the pin, or clear the latitude and longitude and describe the place "
                  "in the address.", km=OUTSIDE_KM)


@dataclass(frozen=True)
class Suggestion:
    district: District
    location: Location


@functools.cache
def places() -> Places:
    data = json.loads(PLACES_FILE.read_text(encoding="utf-8"))
    centres = tuple(Centre(d["code"], d["name"], d["lat"], d["lon"]) for d in data["districts"])
    towns = tuple(Point(name, region, lat, lon) for name, region, lat, lon in data["towns"])
    return Places(centres, towns + tuple(Point(c.name, KP, c.lat, c.lon) for c in centres))


def valid_coordinates(lat: float, lon: float) -> bool:
    """Both finite and in range (a NaN compares false with everything, so it fails too)."""
    return -90 <= lat <= 90 and -180 <= lon <= 180


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def locate(lat: float, lon: float) -> Location:
    """The district whose centre is nearest, and whether the point is in the province; coordinates must be valid."""
    known = places()
    centre = min(known.centres, key=lambda c: distance_km(lat, lon, c.lat, c.lon))
    by_distance = [(distance_km(lat, lon, t.lat, t.lon), t) for t in known.towns]
    nearest_km, nearest = min(by_distance, key=lambda pair: pair[0])
    nearest_kp_km = min(km for km, town in by_distance if town.region == KP)
    inside = nearest.region == KP and nearest_kp_km <= OUTSIDE_KM
    return Location(centre, inside, nearest, nearest_km, nearest_kp_km)


def suggest_district(session: Session, lat: float, lon: float) -> Suggestion | None:
    """The seeded district nearest to the point (None for invalid coordinates or an unseeded district)."""
    if not valid_coordinates(lat, lon):
        return None
    location = locate(lat, lon)
    district = session.scalar(select(District).where(District.code == location.centre.code))
    return Suggestion(district, location) if district is not None else None


def location_refusal(lat: float, lon: float):
    """Why a complaint may not be lodged at this (valid) point, or None."""
    return locate(lat, lon).refusal


def district_centres(session: Session) -> list[dict]:
    """{id, name, name_ur, name_ps, lat, lon} of every seeded district with a known centre: the dots a map
    draws for orientation (the page shows the name in its reader's language)."""
    rows = {row.code: row for row in session.execute(select(District.code, District.id, District.name_ur, District.name_ps))}
    return [{"id": rows[c.code].id, "name": c.name, "name_ur": rows[c.code].name_ur, "name_ps": rows[c.code].name_ps,
             "lat": c.lat, "lon": c.lon} for c in places().centres if c.code in rows]
