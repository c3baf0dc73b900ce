"""The timeline is append-only: the ORM and the database both refuse rewrites."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from app.models import ComplaintEvent, EventImmutable, Role
from tests.app.helpers import lodge


def test_events_cannot_be_edited_or_deleted(session, make_user, places, engine):
    complaint = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    event = session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id))
    event.note = "rewritten"
    with pytest.raises(EventImmutable):
        session.flush()
    session.rollback()
    session.delete(session.get(ComplaintEvent, event.id))
    with pytest.raises(EventImmutable):
        session.flush()
    session.rollback()

    for statement in (
        f"UPDATE complaint_events SET note = 'x' WHERE id = {event.id}",
        f"DELETE FROM complaint_events WHERE id = {event.id}",
    ):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert session.get(ComplaintEvent, event.id).note == complaint.subject
