"""Complaints, their attachments (photos, documents) and their append-only timeline."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Enum, Float, ForeignKey, Index, Integer, String, Text, event, text
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
        """The status as the reader's language says it."""
        return str(STATUS_LABELS[self])

    @property
    def staff_label(self) -> str:
        return STAFF_STATUS_LABELS[self]


STATUS_LABELS = {
    ComplaintStatus.SUBMITTED: _l("Awaiting assignment"),
    ComplaintStatus.IN_PROGRESS: _l("In progress"),
    ComplaintStatus.RESOLVED: _l("Resolved, awaiting your rating"),
    ComplaintStatus.SYSTEMIC: _l("Systemic: long-term action"),
    ComplaintStatus.CLOSED: _l("Closed"),
}
# Staff read the statuses from the office's side: the rating awaited is the citizen's, not theirs.
STAFF_STATUS_LABELS = {**STATUS_LABELS, ComplaintStatus.RESOLVED: _l("Resolved, awaiting the citizen's rating")}

# Escalation levels of the diagram contract (the statistics count them the same way):
# level 1 is the Commissioner's review, level 2 the Chief Secretary's.
ESCALATION_LABELS = {1: _l("Escalated to the Commissioner"), 2: _l("Escalated to the Chief Secretary")}


def escalation_label(level: int) -> str | None:
    """"Escalated to the Commissioner" for level 1, "... the Chief Secretary" from level 2; None below 1."""
    if level < 1:
        return None
    return ESCALATION_LABELS[min(level, max(ESCALATION_LABELS))]


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
        # The list's category filter in date order; the open complaints of a category near a pin (lodging).
        Index("ix_complaints_category_created", "category_id", "created_at", "id"),
        Index("ix_complaints_category_location", "category_id", "latitude", "longitude"),
        # On PostgreSQL migration 0017 adds ix_complaints_search, a GIN index over the words of the
        # subject and description (services/casework/search.py); SQLite searches with LIKE.
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
    """A photo or a PDF document of a complaint: kept outside the web root under `storage_key`
    (named by its content hash), served only after a scope check."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(20))  # "complaint" (the citizen's) or "evidence" (an officer's)
    kind: Mapped[str] = mapped_column(String(20), default="photo", server_default="photo")  # or "document"
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    # Photos stored since migration 0018 have a small version for pages; older ones show in full.
    thumbnail_key: Mapped[str | None] = mapped_column(String(200))
    # Documents: the name the uploader gave it (cleaned), offered as the download's name. Never a path.
    original_filename: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    complaint: Mapped[Complaint] = relationship()
    uploaded_by: Mapped[User] = relationship()


class ComplaintEvent(Base):
    """One line of a complaint's timeline. Append-only: nothing updates or deletes it."""

    __tablename__ = "complaint_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    # A person's own words (or the diagram's); the portal's facts go in details (services/casework/events.py).
    note: Mapped[str | None] = mapped_column(Text)
    # Names, numbers and choices the line is made from when shown; None on lines written before it existed.
    details: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()
    # Never read through: it makes a flush write the complaint before its events (a lodging on PostgreSQL
    # inserts the complaint in the flush of its first events, messages and inbox rows).
    complaint: Mapped[Complaint] = relationship()


class EventImmutable(Exception):
    pass


@event.listens_for(ComplaintEvent, "before_update")
@event.listens_for(ComplaintEvent, "before_delete")
def _refuse_rewriting_history(mapper, connection, target):
    raise EventImmutable("complaint events are append-only")
