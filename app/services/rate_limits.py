"""Fixed-window rate limits counted in the database, so every web process shares them.

A bucket names what is limited and for whom (e.g. "api-sign-in:<ip>:<login hash>");
each window of `window_seconds` (aligned to the epoch) has one counter row,
incremented with a single upsert, so concurrent requests never lose a count.
The caller commits right away: a refused attempt must count even when the
request that made it then fails.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import RateLimitCounter, utcnow

# Counters older than this are of no use to any window we allow, and are purged.
MAX_WINDOW = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int  # requests in this window so far, this one included
    limit: int
    retry_after: int  # seconds until the window ends (whole seconds, at least 1)


def bucket_part(value: str) -> str:
    """A short, stable stand-in for a personal value (a CNIC, a phone number) in a bucket name."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:24]


def hit(session: Session, bucket: str, *, limit: int, window_seconds: int, now: datetime | None = None) -> Decision:
    """Count one request in `bucket`; allowed while the window's count stays within `limit`."""
    if not 0 < window_seconds <= MAX_WINDOW.total_seconds():
        raise ValueError(f"a rate-limit window is 1 s to {MAX_WINDOW}, not {window_seconds} s")
    now = now or utcnow()
    elapsed = (now - _EPOCH).total_seconds()
    start = _EPOCH + timedelta(seconds=int(elapsed // window_seconds) * window_seconds)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(RateLimitCounter)
        .values(bucket=bucket, window_start=start, count=1)
        .on_conflict_do_update(
            index_elements=[RateLimitCounter.bucket, RateLimitCounter.window_start],
            set_={"count": RateLimitCounter.count + 1},
        )
        .returning(RateLimitCounter.count)
    )
    count = session.execute(statement).scalar_one()
    if count == 1:
        # A new window: a good moment to drop counters nobody can need any more.
        purge_counters(session, before=now - MAX_WINDOW)
    retry_after = max(1, math.ceil((start + timedelta(seconds=window_seconds) - now).total_seconds()))
    return Decision(count <= limit, count, limit, retry_after)


def purge_counters(session: Session, *, before: datetime) -> int:
    result = session.execute(delete(RateLimitCounter).where(RateLimitCounter.window_start < before))
    return result.rowcount


def hit_all(session: Session, limits: dict[str, int], *, window_seconds: int, now: datetime | None = None) -> int | None:
    """Count one request in every bucket of `limits` (bucket: limit), all of them even when one refuses.

    None when every bucket allows it; otherwise the seconds until the refusing windows end.
    """
    decisions = [hit(session, bucket, limit=limit, window_seconds=window_seconds, now=now) for bucket, limit in limits.items()]
    refused = [d.retry_after for d in decisions if not d.allowed]
    return max(refused) if refused else None
