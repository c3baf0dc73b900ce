"""Bearer tokens of the mobile app: issued at sign-in, checked on every call, revoked at sign-out.

Only the token's sha256 is stored, so a copy of the database holds no usable token. A token is also
revoked when its owner's post or access changes (accounts.sign_out_everywhere), and refused once its
owner's role is not the one it was issued for.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from ...models import ApiToken, User, utcnow
from ..errors import NotFound

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
    row = ApiToken(user_id=user.id, token_hash=hash_token(token), created_at=now, expires_at=now + lifetime,
                   role=user.role)
    row.user = user
    session.add(row)
    session.flush()
    return IssuedToken(token, row)


# Made once, the hash bound at execution: every API request authenticates, and building the query each time cost
# a tenth of the reading.
_TOKEN_WITH_USER = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash")).options(
    joinedload(ApiToken.user))


def authenticate_token(session: Session, token: str, *, now: datetime | None = None) -> ApiToken:
    """The live token row (with its user) for `token`; raises TokenRefused otherwise."""
    now = now or utcnow()
    row = session.scalar(_TOKEN_WITH_USER, {"token_hash": hash_token(token)})
    if row is None:
        raise TokenRefused(_l("The token is not valid. Sign in again."))
    if row.revoked_at is not None:
        raise TokenRefused(_l("The token was revoked (signed out). Sign in again."))
    if row.expires_at <= now:
        raise TokenRefused(_l("The token has expired. Sign in again."))
    if not row.user.is_active:
        raise TokenRefused(_l("This account is blocked or deactivated."))
    if row.role is not None and row.role is not row.user.role:
        # Whoever changed it (there is no page for it), the phone signs in afresh, as a browser must.
        raise TokenRefused(_l("This account's role has changed. Sign in again."))
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.flush()
    return row


def revoke_token(session: Session, row: ApiToken, *, now: datetime | None = None) -> None:
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.flush()


def tokens_of(session: Session, user: User, *, now: datetime | None = None) -> list[ApiToken]:
    """The user's live tokens (signed-in phones), most recently used first."""
    now = now or utcnow()
    return list(session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
        .order_by(func.coalesce(ApiToken.last_used_at, ApiToken.created_at).desc(), ApiToken.id.desc())
    ))


def revoke_token_of(session: Session, user: User, token_id: int, *, now: datetime | None = None) -> None:
    """Sign out one of the user's phones (404 for another user's token, or one already revoked)."""
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    if revoked.rowcount != 1:
        raise NotFound(f"token {token_id}")


def revoke_tokens(session: Session, user: User, *, keep_id: int | None = None, now: datetime | None = None) -> int:
    """Sign out every phone of the user but the one with token `keep_id`; returns how many."""
    query = update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if keep_id is not None:
        query = query.where(ApiToken.id != keep_id)
    return session.execute(query.values(revoked_at=now or utcnow()).execution_options(synchronize_session=False)).rowcount
