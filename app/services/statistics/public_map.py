"""The public map: open and resolved complaints per district, and per cell of about 1 km.

Per district, the counts are the public figures' own (in progress = open, and
resolved), drawn at the district's centre. Complaints with a location are
also counted per cell: their coordinates rounded to CELL_DECIMALS decimals
(0.01 degree, about 1.1 km north-south), and only the counts of a cell leave
here: no complaint, no id, no exact point. The cells are kept as a snapshot
like the figures (app/factory.py), recomputed at most every PUBLIC_MAP_MAX_AGE
seconds (a grouped pass over every located complaint: about a second at a
million complaints), so a burst of visitors costs nothing more.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ...models import Complaint, ComplaintStatus, utcnow
from ..casework import places
from .dashboards import resolved_condition
from .figures import PublicStats

CELL_DECIMALS = 2
CELL_FIELDS = ("lat", "lon", "open", "resolved")


@dataclass
class Cells:
    generated_at: datetime
    cells: list[list]  # [lat, lon, open, resolved] (CELL_FIELDS): a list of thousands, kept compact


def located_cells(session: Session, *, now: datetime | None = None) -> Cells:
    """One grouped pass over the located complaints (its cost is measured by bench/map_list.py)."""
    # Rounded as floating point (not numeric): half the time on PostgreSQL, and a cell's
    # edge a hair off is of no consequence at this scale.
    scale = 10 ** CELL_DECIMALS
    lat, lon = func.round(Complaint.latitude * scale), func.round(Complaint.longitude * scale)
    is_open = func.sum(case((Complaint.status != ComplaintStatus.CLOSED, 1), else_=0))
    resolved = func.sum(case((resolved_condition(), 1), else_=0))
    query = (select(lat, lon, is_open, resolved).where(Complaint.latitude.is_not(None))
             .group_by(lat, lon).order_by(lat, lon))
    cells = [[round(y / scale, CELL_DECIMALS), round(x / scale, CELL_DECIMALS), int(o), int(r)]
             for y, x, o, r in session.execute(query) if o or r]
    return Cells(now or utcnow(), cells)


def public_map(session: Session, stats: PublicStats, cells: Cells) -> dict:
    """The map's data: the districts' circles from the public figures, the cells from their snapshot."""
    centres = {c["id"]: c for c in places.district_centres(session)}
    districts = [{"id": a.id, "name": a.name, "lat": centres[a.id]["lat"], "lon": centres[a.id]["lon"],
                  "open": a.figures.in_progress + a.figures.systemic, "resolved": a.figures.resolved}
                 for a in stats.districts if a.id in centres]
    return {
        "generated_at": min(stats.generated_at, cells.generated_at).isoformat(),
        "method": places.METHOD,
        "cell_decimals": CELL_DECIMALS,
        "districts": districts,
        "cell_fields": list(CELL_FIELDS),
        "cells": cells.cells,
    }
