"""The audit log: who changed what about people, roles, places and sign-in, and when.

One table for every administrative and security act (staff edited or moved, a second factor reset, a
password change forced, a department renamed...), written in the same transaction as the act, so a
change and its record land or fail together. Rows are only ever added.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .users import User


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_created_at", "created_at"), Index("ix_audit_log_target_user_id", "target_user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who did it; NULL when an operator did it from the command line (`details["via"] == "cli"`).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A short code (e.g. "staff.moved", "second_factor.reset"); pages translate it for the reader.
    action: Mapped[str] = mapped_column(String(40))
    # The person the act was about, if any, and otherwise what it was about ("department:4").
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str | None] = mapped_column(String(120))
    # Facts of the act (old and new values, a reason...); never a password, code or secret.
    details: Mapped[dict | None] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id])
