"""Open311 API keys: an administrator issues and revokes them; clients present them.

Only the sha256 of a key is stored. The plain key exists once, in the page that
issues it, so a copy of the database cannot be used to post requests.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import ApiKey, Role, User, utcnow
from ..errors import Invalid, NotAllowed, NotFound

# A recognisable prefix lets secret scanners and people tell what a leaked string is.
KEY_PREFIX = "kp311_"


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def issue_api_key(session: Session, admin: User, name: str, *, now: datetime | None = None) -> tuple[ApiKey, str]:
    """A new key for the client called `name`; returns the row and the plain key (show it once)."""
    _require_admin(admin)
    name = (name or "").strip()
    if not 3 <= len(name) <= 120:
        raise Invalid({"name": [_l("Name the client that gets the key (3 to 120 characters).")]})
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, key_hash=hash_key(plain), created_by_id=admin.id, created_at=now or utcnow())
    session.add(key)
    session.flush()
    return key, plain


def revoke_api_key(session: Session, admin: User, key_id: int, *, now: datetime | None = None) -> ApiKey:
    """Revoke a key at once; revoking it again keeps the first time."""
    _require_admin(admin)
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"api key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = now or utcnow()
        session.flush()
    return key


def api_keys(session: Session) -> list[tuple[ApiKey, User | None]]:
    """Every key, newest first, with the administrator who issued it."""
    rows = session.execute(
        select(ApiKey, User).outerjoin(User, User.id == ApiKey.created_by_id).order_by(ApiKey.id.desc())
    )
    return [(key, issuer) for key, issuer in rows]


def authenticate_api_key(session: Session, plain: str | None) -> ApiKey | None:
    """The active key `plain` is, or None when it is missing, unknown or revoked."""
    if not plain:
        return None
    # Looking up by the hash of the input compares no secret byte by byte.
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(plain)))
    if key is None or key.revoked_at is not None:
        return None
    return key


def _require_admin(user: User) -> None:
    if user.role is not Role.ADMIN:
        raise NotAllowed(_l("only an administrator manages API keys"))
