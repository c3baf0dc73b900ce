"""Machine access: the app's bearer tokens, idempotency keys, Open311 API keys, rate limits."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .users import Role


class ApiToken(Base):
    """A signed-in phone's bearer token. Only its sha256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The user's role when it was issued: with another role now the token is refused, as a browser's
    # session is (User.sign_in_fingerprint covers the role). None only for a token of an older release.
    role: Mapped[Role | None] = mapped_column(
        Enum(Role, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e]))

    user = relationship("User")


class IdempotencyKey(Base):
    """The first complaint a client filed under an Idempotency-Key; a retry gets it back."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    # A fingerprint of the request body: the same key with another body is a client error.
    request_hash: Mapped[str] = mapped_column(String(64))
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    # Never read through: a flush writes the complaint before its key (see ComplaintEvent.complaint).
    complaint = relationship("Complaint")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    """An Open311 client's key, issued and revoked by an administrator. Only its sha256 is stored."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RateLimitCounter(Base):
    """Requests counted per bucket (e.g. "login:<ip>") in a fixed window, shared by all web processes.

    A bucket of growing delays (rate_limits.claim_try) has one row whose `count` is its streak of
    tries and `next_try_at` the moment the next may come.
    """

    __tablename__ = "rate_limit_counters"
    __table_args__ = (UniqueConstraint("bucket", "window_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(200))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
