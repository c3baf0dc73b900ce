"""One-time codes sent by SMS: the one way a person proves they hold a phone.

Used to reset a forgotten password (`password_resets`) and to confirm a mobile
number, at registration or when it changes (`mobile_numbers`). A user has at
most one live code per purpose: a new one overwrites the old in one statement.

The code is 6 random digits. A million codes are quickly tried against a bare
hash, so only an HMAC keyed with the portal's secret is stored. It lives 15
minutes and allows 5 tries; each try is counted in the database before the code
is compared, so guesses sent in parallel cannot take more. Using a code proves
the number it was sent to (`sent_to`).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import DeliveryStatus, Notification, User, VerificationCode, utcnow

PASSWORD_RESET = "password_reset"
MOBILE = "mobile"
CODE_LIFETIME = timedelta(minutes=15)
MINUTES = int(CODE_LIFETIME.total_seconds() // 60)
MAX_TRIES = 5
MASK = "••••••"
CODE_RE = re.compile(r"^\d{6}$")


def clean(code: str) -> str:
    """The code as typed, without the spaces people put in ("123 456")."""
    return re.sub(r"\s", "", code or "")


def issue_code(session: Session, user: User, purpose: str, *, sent_to: str | None, pepper: str,
               now: datetime | None = None) -> str:
    """A new code for `user` and `purpose`, replacing any earlier one; the caller sends it and commits."""
    now = now or utcnow()
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(16)
    values = {
        "sent_to": sent_to,
        "salt": salt,
        "code_hash": _code_hash(pepper, purpose, salt, code),
        "created_at": now,
        "expires_at": now + CODE_LIFETIME,
        "attempts": 0,
        "used_at": None,
    }
    # One row per user and purpose, overwritten in one statement: a new code kills the
    # old one, and two requests at once cannot both insert.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(VerificationCode)
        .values(user_id=user.id, purpose=purpose, **values)
        .on_conflict_do_update(index_elements=[VerificationCode.user_id, VerificationCode.purpose], set_=values)
    )
    session.flush()
    return code


def code_of(session: Session, user: User, purpose: str) -> VerificationCode | None:
    """The user's code row for `purpose` (live or not), read afresh."""
    return session.scalar(
        select(VerificationCode)
        .where(VerificationCode.user_id == user.id, VerificationCode.purpose == purpose)
        .execution_options(populate_existing=True)
    )


def redeem_code(session: Session, user: User | None, purpose: str, code: str, *, pepper: str,
                now: datetime | None = None) -> VerificationCode | None:
    """Use the code up if it is the user's live code for `purpose`; None if it is wrong,
    expired, used up or out of tries. Takes a try either way; the caller commits, also on None."""
    now = now or utcnow()
    row = code_of(session, user, purpose) if user is not None else None
    if row is None or not _take_try(session, row, now):
        return None
    if not hmac.compare_digest(row.code_hash, _code_hash(pepper, purpose, row.salt, clean(code))):
        return None
    used = session.execute(
        update(VerificationCode)
        .where(VerificationCode.id == row.id, VerificationCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # the same code, sent twice at once: the first one used it
        return None
    return code_of(session, user, purpose)


def kill_code(session: Session, user: User, purpose: str, *, now: datetime | None = None) -> None:
    """The user's code for `purpose`, if any, can no longer be used."""
    session.execute(
        update(VerificationCode)
        .where(VerificationCode.user_id == user.id, VerificationCode.purpose == purpose,
               VerificationCode.used_at.is_(None))
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def forget_sent_codes(session: Session, user: User, template: str) -> None:
    """Mask the codes of SMS already sent to `user` with `template`: a dead code need not stay readable.

    Messages still waiting in the outbox keep theirs (they are being delivered).
    """
    for row in session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.template == template,
        Notification.status != DeliveryStatus.PENDING,
    )):
        code = (row.context or {}).get("code")
        if code and code != MASK:
            row.context = {**row.context, "code": MASK}
            row.body = (row.body or "").replace(code, MASK)


def _take_try(session: Session, row: VerificationCode, now: datetime) -> bool:
    """Count one try, atomically; False when the code is used, expired, out of tries,
    or was replaced by a new one since it was read."""
    taken = session.execute(
        update(VerificationCode)
        .where(
            VerificationCode.id == row.id,
            VerificationCode.code_hash == row.code_hash,
            VerificationCode.used_at.is_(None),
            VerificationCode.expires_at > now,
            VerificationCode.attempts < MAX_TRIES,
        )
        .values(attempts=VerificationCode.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def _code_hash(pepper: str, purpose: str, salt: str, code: str) -> str:
    # A key per purpose: a code sent for one thing can never be taken for another.
    # ("password-reset-code" is the key of the codes made before purposes existed.)
    key = hashlib.sha256(purpose.replace("_", "-").encode() + b"-code\0" + pepper.encode()).digest()
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()
