"""Citizens who added their voice to a complaint someone else lodged, instead of lodging it again."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ComplaintSupporter(Base):
    """One citizen behind one complaint. The key makes it once per citizen and counts by complaint."""

    __tablename__ = "complaint_supporters"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
