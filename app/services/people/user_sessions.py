"""The browsers a user is signed in with, one row each, so each can be listed and signed out.

Signing in writes a row keyed by a random key; the browser's Flask session
holds the key, the table only its sha256. The user loader (app/web.py) accepts
a browser only while its row exists, so deleting the row signs that browser out
on its next request, wherever it is.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ...models import User, UserSession, utcnow
from ..errors import NotFound

# A browser not seen for this long is signed out (and its row dropped at the user's next sign-in).
IDLE_LIMIT = timedelta(days=30)
# Writing last_seen_at on every request would turn each page view into a write.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(session: Session, user: User, *, user_agent: str = "", address: str = "",
                  now: datetime | None = None) -> str:
    """A new signed-in browser for `user`; returns its key (for the Flask session, never stored). The caller commits."""
    now = now or utcnow()
    session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                              UserSession.last_seen_at < now - IDLE_LIMIT))
    key = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, key_hash=hash_key(key), user_agent=(user_agent or "")[:200] or None,
                            address=(address or "")[:64] or None, created_at=now, last_seen_at=now))
    session.flush()
    return key


def live_session(session: Session, user_id: int, key: str | None, *, now: datetime | None = None) -> UserSession | None:
    """The browser's row if it is signed in as `user_id` and not idle too long."""
    if not key:
        return None
    row = session.scalar(select(UserSession).where(UserSession.key_hash == hash_key(key)))
    now = now or utcnow()
    if row is None or row.user_id != user_id or row.last_seen_at < now - IDLE_LIMIT:
        return None
    return row


def needs_touch(row: UserSession, *, now: datetime | None = None) -> bool:
    return (now or utcnow()) - row.last_seen_at >= LAST_SEEN_RESOLUTION


def touch_session(session: Session, session_id: int, *, now: datetime | None = None) -> None:
    session.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now or utcnow()))


def sessions_of(session: Session, user: User, *, now: datetime | None = None) -> list[UserSession]:
    """The user's signed-in browsers, most recently seen first."""
    now = now or utcnow()
    return list(session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.last_seen_at >= now - IDLE_LIMIT)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ))


def end_session(session: Session, user: User, session_id: int) -> None:
    """Sign out one of the user's browsers (404 for another user's)."""
    ended = session.execute(delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id))
    if ended.rowcount != 1:
        raise NotFound(f"session {session_id}")


def end_session_by_key(session: Session, key: str | None) -> None:
    """Signing out: this browser's row goes."""
    if key:
        session.execute(delete(UserSession).where(UserSession.key_hash == hash_key(key)))


def end_sessions(session: Session, user: User, *, keep_key: str | None = None) -> int:
    """Sign out every browser of the user but the one holding `keep_key`; returns how many."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_key:
        query = query.where(UserSession.key_hash != hash_key(keep_key))
    return session.execute(query).rowcount
