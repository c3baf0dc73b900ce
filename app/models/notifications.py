"""Notifications: the transactional outbox and each user's in-app list."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Channel(enum.Enum):
    SMS = "sms"
    EMAIL = "email"
    IN_APP = "in_app"


class DeliveryStatus(enum.Enum):
    PENDING = "pending"  # waiting in the outbox (also while Redis or the worker is down)
    SENT = "sent"
    PARKED = "parked"  # gave up after the last retry; an administrator can retry it
    # Nowhere to send it: no gateway for its channel (SMS_DISABLED, or development without one),
    # or the user has no number or address. Never retried, never counted as sent.
    UNDELIVERABLE = "undeliverable"


class Notification(Base):
    """One message to one user on one channel, written in the transaction of its cause."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_outbox", "status", "next_attempt_at"),
        Index("ix_notifications_user_read", "user_id", "channel", "read_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    channel: Mapped[Channel] = mapped_column(
        Enum(Channel, native_enum=False, length=12, values_callable=lambda e: [m.value for m in e])
    )
    template: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(2), default="en")
    # Where to send it instead of the user's own number: a number being confirmed, or the old one after a change.
    address: Mapped[str | None] = mapped_column(String(200))
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=DeliveryStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")
    # Never read through: a flush writes the complaint before its messages (see ComplaintEvent.complaint).
    complaint = relationship("Complaint")
