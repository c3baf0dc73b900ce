"""Incidents: errors inside a process at run time, recorded for the process analysts.

A task completion, a timer, a signal or a migration step that fails inside the
engine rolls back; the failure is then written here in a short transaction of
its own, so the analysts hear of it and the person gets a reference instead of
a bare error page. The same failure repeating (same complaint, element, source
and error) counts up on one open row rather than adding rows. A lodging whose
process cannot start has no complaint: its row names the version and category.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class IncidentSource(enum.Enum):
    """What was running when the process failed."""

    TASK = "task"  # a person completing a task (pages and API)
    TIMER = "timer"  # the timer sweep firing a due timer
    SIGNAL = "signal"  # a signal sent into the process (e.g. an officer's work taken back)
    MIGRATION = "migration"  # moving the complaint to another version
    LODGING = "lodging"  # a citizen lodging a complaint: the process start failed, so no complaint was kept


class IncidentStatus(enum.Enum):
    OPEN = "open"
    RESOLVED = "resolved"


def _enum(cls, length: int):
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        # A repeat finds its open row by complaint; a success resolves the complaint's open rows.
        Index("ix_incidents_complaint_status", "complaint_id", "status"),
        # The incidents page: open (or resolved) ones grouped by version and element, newest first.
        Index("ix_incidents_status_group", "status", "definition_id", "element_id", "last_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Shown to the person who met the failure, so they (or a call centre) can quote it.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    # None for a lodging that failed: its complaint was rolled back with it.
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    # A failed lodging's category (its department through it): which complaints cannot be lodged.
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definitions.id"))
    # The diagram element that failed (a gateway, a script task); None when the state itself could not be read.
    element_id: Mapped[str | None] = mapped_column(String(120))
    element_name: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[IncidentSource] = mapped_column(_enum(IncidentSource, 12))
    # The error's type and message, with digit runs and addresses masked: no personal data.
    error_type: Mapped[str] = mapped_column(String(120))
    error_message: Mapped[str] = mapped_column(Text)
    # Who met it last: a person, or None for the timer sweep.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    count: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[IncidentStatus] = mapped_column(_enum(IncidentStatus, 12), default=IncidentStatus.OPEN)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # How it ended: "succeeded" (the next try went through), "retried", "marked" (by an analyst), "migrated".
    resolution: Mapped[str | None] = mapped_column(String(16))

    complaint = relationship("Complaint")
    category = relationship("Category")
    definition = relationship("ProcessDefinition")
    actor = relationship("User", foreign_keys=[actor_id])
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])
