"""The complaint list on a map: the located complaints a reader may see, newest first, capped.

The same scope and filters as the list (`complaint_conditions`); only what a
marker needs leaves here (id, point, status, subject), at most `limit` of
them, and the caller is told when there were more.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Complaint, User
from .complaints import ComplaintFilters, complaint_conditions

MAP_LIMIT = 5000
# Written as the partial indexes' predicate (migration 0019), so PostgreSQL can use them.
LOCATED = Complaint.latitude.is_not(None)


@dataclass
class MapPoints:
    points: list[dict]
    capped: bool  # more complaints matched than `limit`: these are the newest
    limit: int


def map_query(user: User, filters: ComplaintFilters | None = None, *, limit: int = MAP_LIMIT,
              now: datetime | None = None):
    conditions = complaint_conditions(user, filters, now=now, newest=limit + 1, also=(LOCATED,))
    return (select(Complaint.id, Complaint.latitude, Complaint.longitude, Complaint.status, Complaint.subject)
            .where(*conditions).order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(limit + 1))


def map_points(session: Session, user: User, filters: ComplaintFilters | None = None, *, limit: int = MAP_LIMIT,
               now: datetime | None = None) -> MapPoints:
    rows = session.execute(map_query(user, filters, limit=limit, now=now)).all()
    points = [{"id": id_, "lat": round(lat, 5), "lon": round(lon, 5), "status": status.value, "subject": subject}
              for id_, lat, lon, status, subject in rows[:limit]]
    return MapPoints(points, len(rows) > limit, limit)
