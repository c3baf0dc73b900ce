"""Rate limits counted in the database, so every web process shares them: the portal's one mechanism.

Two kinds of bucket, both rows of `rate_limit_counters`:

- **Fixed windows** (`hit`, `hit_all`): a bucket names what is limited and for whom
  (e.g. "register:<ip>"); each window of `window_seconds` (aligned to the epoch) has
  one counter row, incremented with a single upsert, so concurrent requests never
  lose a count.
- **Growing delays** (`claim_try`, `clear_tries`): a streak of tries of one secret
  for one account. A few tries are free; after them each try makes the next one
  wait, twice as long each time, up to a cap (`Backoff`). A try is claimed before
  the secret is checked and counts as a failure until `clear_tries` says it
  succeeded, so tries sent in parallel cannot slip past the delay, and a try
  whose request then fails still counts.

A refused attempt is committed right away: it must count even when the request
that made it then fails. An allowed one may ride with the request's own unit of work
(`hit_with_work`), which saves the request a commit: if that work is rolled back,
`recount_lost` counts it again in a transaction of its own.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache

from sqlalchemy import and_, bindparam, case, delete, event, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import RateLimitCounter, utcnow

# Counters older than this are of no use to any window we allow, and are purged; so is a
# streak of tries (growing delays) whose next try has been allowed for this long.
MAX_WINDOW = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# The one row of a bucket of growing delays sits at this window (its streak has no window).
_STREAK = _EPOCH


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
    statement = _counting_one(session.get_bind().dialect.name)
    # On the connection: the session's execute would take the ORM's path for a statement about a mapped class.
    count = session.connection().execute(statement, {"bucket": bucket, "window_start": start}).scalar_one()
    retry_after = max(1, math.ceil((start + timedelta(seconds=window_seconds) - now).total_seconds()))
    return Decision(count <= limit, count, limit, retry_after)


@cache
def _counting_one(dialect_name: str):
    """The upsert that counts one request in a bucket's window, its values bound at execution: made once per
    dialect, not at every request (every lodging and sign-in counts one; building it took a fifth of a ms)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return (
        dialect.insert(RateLimitCounter)
        .values(bucket=bindparam("bucket"), window_start=bindparam("window_start"), count=1)
        .on_conflict_do_update(
            index_elements=[RateLimitCounter.bucket, RateLimitCounter.window_start],
            set_={"count": RateLimitCounter.count + 1},
        )
        .returning(RateLimitCounter.count)
    )


# session.info keys: counts waiting for the unit of work's commit, and counts its rollback undid.
_RIDING, _LOST = "rate_limits.riding", "rate_limits.lost"


def hit_with_work(session: Session, bucket: str, *, limit: int, window_seconds: int,
                  now: datetime | None = None) -> Decision:
    """As `hit`, uncommitted: the count is committed with the caller's work (one commit, not two).
    The caller commits at once when the decision refuses, and calls `recount_lost` when it ends its session."""
    decision = hit(session, bucket, limit=limit, window_seconds=window_seconds, now=now)
    session.info.setdefault(_RIDING, []).append((bucket, window_seconds))
    return decision


def recount_lost(session: Session) -> None:
    """Count again, and commit, what `hit_with_work` counted in work that was then rolled back
    (a request that failed still counts). Call on a session with nothing else pending."""
    lost = session.info.pop(_LOST, []) + session.info.pop(_RIDING, [])
    if lost:
        for bucket, window_seconds in lost:
            hit(session, bucket, limit=0, window_seconds=window_seconds)
        session.commit()


@event.listens_for(Session, "after_commit")
def _counts_committed(session: Session) -> None:
    session.info.pop(_RIDING, None)


@event.listens_for(Session, "after_rollback")
def _counts_rolled_back(session: Session) -> None:
    riding = session.info.pop(_RIDING, None)
    if riding:
        session.info.setdefault(_LOST, []).extend(riding)


def refund(session: Session, bucket: str, *, window_seconds: int, now: datetime | None = None) -> None:
    """Take back one request counted in `bucket`'s current window (it turned out not to be what the limit is for)."""
    now = now or utcnow()
    elapsed = (now - _EPOCH).total_seconds()
    start = _EPOCH + timedelta(seconds=int(elapsed // window_seconds) * window_seconds)
    table = RateLimitCounter
    session.execute(update(table).where(table.bucket == bucket, table.window_start == start, table.count > 0)
                    .values(count=table.count - 1).execution_options(synchronize_session=False))


def purge_counters(session: Session, *, before: datetime) -> int:
    """Drop windows that ended before `before`, and streaks whose next try was allowed before it."""
    table = RateLimitCounter
    result = session.execute(
        delete(table).where(table.window_start < before, or_(table.next_try_at.is_(None), table.next_try_at < before))
    )
    return result.rowcount


def hit_all(session: Session, limits: dict[str, int], *, window_seconds: int, now: datetime | None = None) -> int | None:
    """Count one request in every bucket of `limits` (bucket: limit), all of them even when one refuses.

    None when every bucket allows it; otherwise the seconds until the refusing windows end.
    """
    decisions = [hit(session, bucket, limit=limit, window_seconds=window_seconds, now=now) for bucket, limit in limits.items()]
    refused = [d.retry_after for d in decisions if not d.allowed]
    return max(refused) if refused else None


@dataclass(frozen=True)
class Backoff:
    """Growing delays for one account's tries of a secret.

    `free` tries cost nothing; after the n-th try (n >= free) the next one waits
    `first_delay` seconds, doubled for each try since, never more than `max_delay`.
    """

    free: int
    first_delay: int
    max_delay: int

    def delay_after(self, tries: int) -> int:
        """Seconds the next try waits after `tries` tries in a row that did not succeed."""
        if tries < self.free:
            return 0
        # The exponent is bounded: after enough tries the cap holds anyway.
        return min(self.max_delay, self.first_delay * 2 ** min(tries - self.free, 32))


def claim_try(session: Session, bucket: str, backoff: Backoff, *, now: datetime | None = None) -> int | None:
    """Claim the next try of `bucket`'s streak before the secret is checked; the caller commits at once.

    None: go ahead (the try now counts as a failure, and the next one waits its
    delay, until `clear_tries`). Otherwise the seconds to wait; that refusal is
    not counted, so the owner of an attacked account never waits longer than
    the cap after the last try. A streak is forgotten a day after its next try
    was allowed.
    """
    now = now or utcnow()
    table = RateLimitCounter
    row = and_(table.bucket == bucket, table.window_start == _STREAK)
    for _ in range(3):  # a row that appears or is purged between two statements: look again
        # The UPDATE takes the row's lock; a try made at the same moment waits for it and then
        # sees the delay this one set (PostgreSQL re-reads the row; SQLite has one writer).
        tries = session.execute(
            update(table)
            # Within the free tries there is no delay to wait, whatever another server's clock wrote.
            .where(row, or_(table.next_try_at.is_(None), table.next_try_at <= now, table.count < backoff.free))
            .values(count=case((table.next_try_at < now - MAX_WINDOW, 1), else_=table.count + 1))
            .returning(table.count)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if tries is None:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            tries = session.execute(
                dialect.insert(table)
                .values(bucket=bucket, window_start=_STREAK, count=1, next_try_at=now)
                .on_conflict_do_nothing(index_elements=[table.bucket, table.window_start])
                .returning(table.count)
            ).scalar_one_or_none()
        if tries is not None:
            next_try = now + timedelta(seconds=backoff.delay_after(tries))
            session.execute(update(table).where(row).values(next_try_at=next_try)
                            .execution_options(synchronize_session=False))
            return None
        next_try = session.scalar(select(table.next_try_at).where(row))
        if next_try is not None and next_try > now:
            return max(1, math.ceil((next_try - now).total_seconds()))
    raise RuntimeError(f"the streak of {bucket!r} kept changing under this try")


def clear_tries(session: Session, bucket: str) -> None:
    """The secret was right: the streak of `bucket` ends, and its next try is free again."""
    table = RateLimitCounter
    session.execute(delete(table).where(table.bucket == bucket, table.window_start == _STREAK))


def wait_of(session: Session, bucket: str, *, now: datetime | None = None) -> int:
    """Seconds before `bucket`'s next try may come (0: now), without claiming it."""
    now = now or utcnow()
    table = RateLimitCounter
    next_try = session.scalar(select(table.next_try_at).where(table.bucket == bucket, table.window_start == _STREAK))
    return max(0, math.ceil((next_try - now).total_seconds())) if next_try else 0
