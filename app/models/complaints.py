"""Complaints, their photos and their append-only timeline."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Float, ForeignKey, Index, Integer, String, Text, event, text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .organisation import Category, Department, District
from .users import User


class ComplaintStatus(enum.Enum):
    """What the citizen sees. Open user tasks set it through their `status` property."""

    SUBMITTED = "submitted"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    SYSTEMIC = "systemic"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ComplaintStatus.SUBMITTED: "Awaiting assignment",
    ComplaintStatus.IN_PROGRESS: "In progress",
    ComplaintStatus.RESOLVED: "Resolved, awaiting your rating",
    ComplaintStatus.SYSTEMIC: "Systemic: long-term action",
    ComplaintStatus.CLOSED: "Closed",
}


def _enum(cls):
    return Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class Complaint(Base):
    """One complaint. The columns marked active_history are what the statistics aggregates count
    (models/statistics_upkeep.py): their old values must be known when they change."""

    __tablename__ = "complaints"
    # The inbox and tier lists ask for "newest open complaints of a district /
    # division"; these composite indexes answer that without touching big rows.
    __table_args__ = (
        Index("ix_complaints_district_status_created", "district_id", "status", "created_at", "id"),
        Index("ix_complaints_division_status_created", "division_id", "status", "created_at", "id"),
        Index("ix_complaints_citizen_created", "citizen_id", "created_at"),
        # Open311's listing pages by (created_at, id); statistics read recent resolutions.
        Index("ix_complaints_created_id", "created_at", "id"),
        Index("ix_complaints_resolved_at", "resolved_at"),
        # A district's / division's complaints newest first, whatever their status (filtered lists).
        Index("ix_complaints_district_created", "district_id", "created_at", "id"),
        Index("ix_complaints_division_created", "division_id", "created_at", "id"),
        # Overdue lists: the open, escalated complaints newest first (services/complaints).
        Index("ix_complaints_open_escalated", "created_at", "id",
              postgresql_where=text("status <> 'closed' AND escalation_level > 0"),
              sqlite_where=text("status <> 'closed' AND escalation_level > 0")),
        # The complaint map: the newest located complaints of a district / division / the province
        # (services/casework/complaint_map), without walking the many complaints that have no pin.
        *(Index(f"ix_complaints_located_{name}", *columns, postgresql_where=text("latitude IS NOT NULL"),
                sqlite_where=text("latitude IS NOT NULL"))
          for name, columns in (("district", ("district_id", "created_at", "id")),
                                ("division", ("division_id", "created_at", "id")),
                                ("created", ("created_at", "id")))),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(20), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True, active_history=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), active_history=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), active_history=True)
    subject: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = deferred(mapped_column(Text))
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    status: Mapped[ComplaintStatus] = mapped_column(
        _enum(ComplaintStatus), default=ComplaintStatus.SUBMITTED, active_history=True
    )
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, active_history=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, active_history=True)
    # Earliest waiting timer of the process (next escalation, rating deadline...).
    next_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    satisfied: Mapped[bool | None] = mapped_column(active_history=True)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, active_history=True)
    closure: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, active_history=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, active_history=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    citizen: Mapped[User] = relationship(foreign_keys=[citizen_id])
    officer: Mapped[User | None] = relationship(foreign_keys=[officer_id])
    category: Mapped[Category] = relationship()
    department: Mapped[Department] = relationship()
    district: Mapped[District] = relationship()


class Attachment(Base):
    """A photo: kept outside the web root under `storage_key`, served only after a scope check."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(20))  # "complaint" or "evidence"
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ComplaintEvent(Base):
    """One line of a complaint's timeline. Append-only: nothing updates or deletes it."""

    __tablename__ = "complaint_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class EventImmutable(Exception):
    pass


@event.listens_for(ComplaintEvent, "before_update")
@event.listens_for(ComplaintEvent, "before_delete")
def _refuse_rewriting_history(mapper, connection, target):
    raise EventImmutable("complaint events are append-only")
