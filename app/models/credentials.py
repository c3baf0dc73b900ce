"""One-time codes sent by SMS, and the browser sessions a user is signed in with."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class VerificationCode(Base):
    """The one code of a user for a purpose (a new code overwrites it). Only a keyed hash of the code is stored.

    `purpose` says what the code may do ("password_reset", "mobile"); `sent_to` is
    the number it went to, which using the code proves the user holds. The row stays
    after use: `used_at` records when.
    """

    __tablename__ = "verification_codes"
    __table_args__ = (UniqueConstraint("user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(20))
    sent_to: Mapped[str | None] = mapped_column(String(12))
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Tries taken, the right one included: each is counted before the code is compared.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(Base):
    """A browser signed in: the Flask session holds the random key, the table only its sha256.

    The user loader accepts a browser only while its row exists, so deleting the
    row ("sign out this session", a password change) really signs it out.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
