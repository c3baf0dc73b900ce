"""The browsers a user is signed in with, one row each, so each can be listed and signed out.

Signing in writes a row keyed by a random key; the browser's Flask session
holds the key, the table only its sha256. The user loader (app/web.py) accepts
a browser only while its row exists and is within its limits, so deleting the
row signs that browser out on its next request, wherever the cookie is
presented (a copy of the cookie taken before signing out is worth nothing).

Two limits end a session (`SessionLimits`, from settings): the idle limit (not
seen for so long) and the lifetime (so long after signing in, however busy).
Staff have short ones, citizens long ones. The rows of ended sessions are
dropped by the scheduled `purge_sessions` (app/background.py).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from ...models import Role, User, UserSession, utcnow
from ..errors import NotFound

# Writing last_seen_at on every request would turn each page view into a write; at most every few
# minutes, and at least ten times within an idle limit, so the limit is kept to within a tenth.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class SessionLimits:
    """How long a signed-in browser lives, for staff and for citizens."""

    staff_idle: timedelta = timedelta(minutes=30)
    staff_lifetime: timedelta = timedelta(hours=12)
    citizen_idle: timedelta = timedelta(days=30)
    citizen_lifetime: timedelta = timedelta(days=90)

    @classmethod
    def from_settings(cls, config) -> SessionLimits:
        return cls(
            staff_idle=timedelta(minutes=int(config["SESSION_IDLE_MINUTES_STAFF"])),
            staff_lifetime=timedelta(hours=int(config["SESSION_LIFETIME_HOURS_STAFF"])),
            citizen_idle=timedelta(minutes=int(config["SESSION_IDLE_MINUTES_CITIZEN"])),
            citizen_lifetime=timedelta(hours=int(config["SESSION_LIFETIME_HOURS_CITIZEN"])),
        )

    def idle(self, role: Role) -> timedelta:
        return self.citizen_idle if role is Role.CITIZEN else self.staff_idle

    def lifetime(self, role: Role) -> timedelta:
        return self.citizen_lifetime if role is Role.CITIZEN else self.staff_lifetime

    def touch_every(self, role: Role) -> timedelta:
        return min(LAST_SEEN_RESOLUTION, self.idle(role) / 10)


DEFAULT_LIMITS = SessionLimits()


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(session: Session, user: User, *, user_agent: str = "", address: str = "",
                  second_factor: bool = False, limits: SessionLimits = DEFAULT_LIMITS,
                  now: datetime | None = None) -> str:
    """A new signed-in browser for `user`; returns its key (for the Flask session, never stored). The caller commits.

    `second_factor`: the person proved their second factor (a TOTP or recovery code) when signing in.

    The user's sessions that have ended are dropped on the way (the scheduled purge gets everybody's).
    """
    now = now or utcnow()
    session.execute(delete(UserSession).where(
        UserSession.user_id == user.id,
        or_(UserSession.last_seen_at < now - limits.idle(user.role),
            UserSession.created_at < now - limits.lifetime(user.role))))
    key = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, key_hash=hash_key(key), user_agent=(user_agent or "")[:200] or None,
                            address=(address or "")[:64] or None, second_factor=second_factor,
                            created_at=now, last_seen_at=now))
    session.flush()
    return key


def is_live(row: UserSession, role: Role, limits: SessionLimits, now: datetime) -> bool:
    return row.last_seen_at >= now - limits.idle(role) and row.created_at >= now - limits.lifetime(role)


def live_session(session: Session, user: User, key: str | None, *, limits: SessionLimits = DEFAULT_LIMITS,
                 now: datetime | None = None) -> UserSession | None:
    """The browser's row if it is signed in as `user`, neither idle too long nor past its lifetime."""
    if not key:
        return None
    row = session.scalar(select(UserSession).where(UserSession.key_hash == hash_key(key)))
    if row is None or row.user_id != user.id or not is_live(row, user.role, limits, now or utcnow()):
        return None
    return row


def ends_at(row: UserSession, role: Role, limits: SessionLimits = DEFAULT_LIMITS) -> datetime:
    """When the session ends if the browser stays as idle as it is now."""
    return min(row.last_seen_at + limits.idle(role), row.created_at + limits.lifetime(role))


def needs_touch(row: UserSession, role: Role, *, limits: SessionLimits = DEFAULT_LIMITS,
                now: datetime | None = None) -> bool:
    return (now or utcnow()) - row.last_seen_at >= limits.touch_every(role)


def touch_session(session: Session, session_id: int, *, now: datetime | None = None) -> None:
    session.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now or utcnow()))


def renew_key(session: Session, row: UserSession) -> str:
    """Give this browser's session a new key (after a password change): a key seen before it stops working."""
    key = secrets.token_urlsafe(32)
    row.key_hash = hash_key(key)
    session.flush()
    return key


def sessions_of(session: Session, user: User, *, limits: SessionLimits = DEFAULT_LIMITS,
                now: datetime | None = None) -> list[UserSession]:
    """The user's signed-in browsers, most recently seen first."""
    now = now or utcnow()
    return list(session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.last_seen_at >= now - limits.idle(user.role),
               UserSession.created_at >= now - limits.lifetime(user.role))
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


def purge_sessions(session: Session, *, limits: SessionLimits = DEFAULT_LIMITS, now: datetime | None = None) -> int:
    """Drop the rows of every session that has ended (idle too long or past its lifetime); returns how many.

    Such a row already signs nobody in: this keeps the table to the sessions that can.
    """
    now = now or utcnow()
    staff = select(User.id).where(User.role != Role.CITIZEN)
    ended = or_(
        # Past the longer of the two limits, whoever it belongs to.
        UserSession.last_seen_at < now - max(limits.citizen_idle, limits.staff_idle),
        UserSession.created_at < now - max(limits.citizen_lifetime, limits.staff_lifetime),
        and_(UserSession.user_id.in_(staff),
             or_(UserSession.last_seen_at < now - limits.staff_idle,
                 UserSession.created_at < now - limits.staff_lifetime)),
        and_(UserSession.user_id.not_in(staff),
             or_(UserSession.last_seen_at < now - limits.citizen_idle,
                 UserSession.created_at < now - limits.citizen_lifetime)),
    )
    return session.execute(delete(UserSession).where(ended)).rowcount
