"""Readiness: may this web process take traffic, and is the work behind it getting done?

Each check answers on its own and never raises, so /readyz always says which one failed. The
checks read the database once each (a `SELECT 1`, the Alembic revision, the newest heartbeat, the
oldest due timer, all answered by a primary key or an index), and ping Redis when it is configured.

Heartbeats: worker.py's RQ worker and the embedded server's in-process schedule run the `beat`
entry of `app.background.SCHEDULE`, which calls `record_heartbeat`. A beat is written by a job that
went through the queue, so a fresh one says the scheduler, Redis and a worker all work.
"""
from __future__ import annotations

import functools
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ...models import InstanceStatus, ProcessInstance, WorkerHeartbeat, utcnow


@dataclass(frozen=True)
class ReadinessLimits:
    heartbeat_max_age: float  # seconds; older than this the worker counts as gone
    timer_lag_max: float  # seconds; a due timer waiting longer than this means the sweep is behind
    redis_url: str = ""
    migrations: Path | None = None  # the Alembic scripts; None skips the schema check


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"ok": self.ok, **self.detail}


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks.values())

    def as_dict(self) -> dict:
        return {"status": "ok" if self.ok else "failing", "checks": {n: c.as_dict() for n, c in self.checks.items()}}


def readiness(session_factory: sessionmaker[Session], limits: ReadinessLimits, *, now: datetime | None = None) -> Readiness:
    now = now or utcnow()
    checks: dict[str, Check] = {}
    try:
        with session_factory() as session:
            session.execute(text("SELECT 1"))
            checks["database"] = Check(True)
            checks["schema"] = _schema(session, limits.migrations)
            checks["worker"] = _heartbeat(session, limits.heartbeat_max_age, now)
            checks["timers"] = _timer_lag(session, limits.timer_lag_max, now)
    except SQLAlchemyError as error:
        failed = Check(False, {"error": type(error).__name__})
        checks.setdefault("database", failed)
        for name in ("schema", "worker", "timers"):
            checks.setdefault(name, Check(False, {"error": "database unreachable"}))
    checks["redis"] = _redis(limits.redis_url)
    return Readiness(checks)


def _schema(session: Session, migrations: Path | None) -> Check:
    if migrations is None:
        return Check(True, {"skipped": True})
    current = session.scalar(text("SELECT version_num FROM alembic_version"))
    newest = newest_revision(str(migrations))
    return Check(current == newest, {"current": current, "newest": newest})


@functools.cache
def newest_revision(migrations: str) -> str | None:
    """The head of the Alembic scripts shipped with this code (read from disk once per process)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(migrations).get_current_head()


def _heartbeat(session: Session, max_age: float, now: datetime) -> Check:
    newest = session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
    if newest is None:
        return Check(False, {"error": "no worker has reported yet"})
    age = heartbeat_age(newest, now)
    return Check(age <= max_age, {"age_seconds": round(age, 1), "max_age_seconds": max_age})


def _timer_lag(session: Session, max_lag: float, now: datetime) -> Check:
    lag = timer_lag(session, now)
    return Check(lag <= max_lag, {"lag_seconds": round(lag, 1), "max_lag_seconds": max_lag})


def _redis(redis_url: str) -> Check:
    if not redis_url:
        return Check(True, {"configured": False})
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        with Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1) as connection:
            connection.ping()
    except (RedisError, OSError, ValueError) as error:
        return Check(False, {"configured": True, "error": type(error).__name__})
    return Check(True, {"configured": True})


def heartbeat_age(beat_at: datetime, now: datetime) -> float:
    # SQLite gives back what it stored; UTCDateTime makes it aware UTC, as now is.
    return max((now - beat_at).total_seconds(), 0.0)


def timer_lag(session: Session, now: datetime) -> float:
    """Seconds the oldest due timer of a running process has waited (0 when none is due).

    A failing instance's next try is postponed (services.casework.timers), so it does not hold this up.
    """
    oldest = session.scalar(
        select(func.min(ProcessInstance.next_timer_due_at))
        .where(ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.next_timer_due_at <= now)
    )
    return max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0


def newest_heartbeat_age(session: Session, now: datetime) -> float | None:
    newest = session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
    return None if newest is None else heartbeat_age(newest, now)


def heartbeat_name(kind: str) -> str:
    """One row per machine and kind of worker ("rq@web-2"): a forking worker's jobs each have a new pid."""
    return f"{kind}@{socket.gethostname()}"[:200]


def record_heartbeat(session_factory: sessionmaker[Session], kind: str, *, now: datetime | None = None) -> datetime:
    """Write this worker's beat (its own short transaction)."""
    now, name = now or utcnow(), heartbeat_name(kind)
    with session_factory() as session:
        updated = session.execute(
            update(WorkerHeartbeat).where(WorkerHeartbeat.name == name).values(beat_at=now, pid=os.getpid())
        )
        if updated.rowcount == 0:
            session.add(WorkerHeartbeat(name=name, beat_at=now, pid=os.getpid()))
        try:
            session.commit()
        except IntegrityError:  # another worker of this machine wrote the first row at the same moment: it beat
            session.rollback()
    return now
