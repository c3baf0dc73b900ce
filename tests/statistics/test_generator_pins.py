"""Generated complaints carry map pins as citizens' would: most of them, near their district's centre."""
from __future__ import annotations

from sqlalchemy import select

from app.models import Complaint, District
from app.services.casework import places as place_service
from app.services.demo import generator


def test_most_generated_complaints_have_a_pin_near_their_districts_centre(app, session):
    generator.generate(app.extensions["db_sessions"], 300, batch_size=150, seed=3)
    centres = {c.code: c for c in place_service.places().centres}
    rows = session.execute(select(Complaint.latitude, Complaint.longitude, District.code)
                           .join(District, District.id == Complaint.district_id)).all()

    pinned = [(lat, lon, code) for lat, lon, code in rows if lat is not None]
    assert 0.45 < len(pinned) / len(rows) < 0.75  # LOCATED_SHARE is 0.6
    assert all((lat is None) == (lon is None) for lat, lon, _ in rows)
    far = [(lat, lon, code) for lat, lon, code in pinned
           if place_service.distance_km(lat, lon, centres[code].lat, centres[code].lon) > 25]  # > 4 sigma
    assert far == []
