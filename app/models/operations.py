"""What the background work reports about itself, so a web process can tell an operator it is alive."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class WorkerHeartbeat(Base):
    """The last time a worker (worker.py's RQ worker, or the embedded server's in-process schedule) ran its beat.

    In the database rather than Redis, so the embedded default (no Redis) has one too and /readyz needs
    nothing but the database to read it. One row per machine and kind, overwritten at each beat.
    """

    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # "rq@host" or "embedded@host"
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pid: Mapped[int] = mapped_column(Integer)
