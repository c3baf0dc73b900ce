"""Bearer tokens of the mobile app: issued at sign-in, checked on every call, revoked at sign-out.

Only the token's sha256 is stored, so a copy of the database holds no usable token.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ...models import ApiToken, User, utcnow

# Writing last_used_at on every call would turn each read into a write; knowing
# which phones were active in the last few minutes is enough.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class TokenRefused(Exception):
    """The bearer token does not sign anybody in; `message` says why (for the client, not the log)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class IssuedToken:
    token: str  # shown to the client once, never stored
    row: ApiToken


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, *, lifetime: timedelta, now: datetime | None = None) -> IssuedToken:
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=hash_token(token), created_at=now, expires_at=now + lifetime)
    row.user = user
    session.add(row)
    session.flush()
    return IssuedToken(token, row)


def authenticate_token(session: Session, token: str, *, now: datetime | None = None) -> ApiToken:
    """The live token row (with its user) for `token`; raises TokenRefused otherwise."""
    now = now or utcnow()
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token)).options(joinedload(ApiToken.user))
    )
    if row is None:
        raise TokenRefused(_l("The token is not valid. Sign in again."))
    if row.revoked_at is not None:
        raise TokenRefused(_l("The token was revoked (signed out). Sign in again."))
    if row.expires_at <= now:
        raise TokenRefused(_l("The token has expired. Sign in again."))
    if not row.user.is_active:
        raise TokenRefused(_l("This account is blocked or deactivated."))
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.flush()
    return row


def revoke_token(session: Session, row: ApiToken, *, now: datetime | None = None) -> None:
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.flush()
