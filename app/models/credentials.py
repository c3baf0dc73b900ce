"""One-time codes sent by SMS, the browser sessions a user is signed in with, and staff second factors."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint, false
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
    # The person proved their second factor (a TOTP or recovery code) when this session began. The loader
    # refuses a session without it to a role that must use one (app/services/people/second_factor.py).
    second_factor: Mapped[bool] = mapped_column(default=False, server_default=false())


class SecondFactor(Base):
    """A user's authenticator app (TOTP, RFC 6238): one row per user, from enrolment until reset.

    The shared secret is stored encrypted with a key from the settings (SECOND_FACTOR_KEYS), so a copy of
    the database alone cannot make codes. `confirmed_at` is empty while enrolment waits for the first code;
    `last_step` is the 30-second step of the last code accepted, so a code is never accepted twice.
    """

    __tablename__ = "second_factors"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Base):
    """One of a user's ten one-time recovery codes (for a lost phone); only its sha256 is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
