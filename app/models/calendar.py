"""Days the province's offices are closed beyond weekends and Pakistan's public holidays.

The `holidays` package knows the federal holidays (Eid, Pakistan Day...); Khyber
Pakhtunkhwa announces more: longer Eid closures, provincial holidays, a day of
mourning, a closure for security. Administrators enter each here; timers that
count working days (workflows/calendar.py) skip them.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .users import User


class Closure(Base):
    """Offices closed from `starts_on` to `ends_on` (both included, Pakistan dates)."""

    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date)
    # As the notification names it ("Eid ul-Fitr, provincial extension"); shown as written, in any language.
    reason: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()
