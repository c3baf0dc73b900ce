"""Forgotten passwords: a citizen proves they hold their phone with a code sent by SMS.

This is also how a citizen account that an Open311 client created for a phone
number (it has no password) is claimed: its owner asks for a code with that number.

Nothing here tells whether an account exists. `request_code` returns nothing and
sends only when a citizen account (not staff, not blocked) has the mobile number
or CNIC and the rate limits allow it; `reset_password` refuses an unknown number,
a wrong, expired or used-up code with one and the same message.

The code is 6 random digits. A million codes are quickly tried against a bare
hash, so only an HMAC keyed with the portal's secret is stored. It lives 15
minutes and allows 5 tries; each try is counted in the database before the code
is compared, so guesses sent in parallel cannot take more.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
import hashlib
import hmac
import logging
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import ApiToken, Channel, DeliveryStatus, Notification, PasswordReset, Role, User, utcnow
from . import accounts
from ..notifications import outbox
from .. import rate_limits
from ..errors import Invalid

log = logging.getLogger(__name__)

CODE_LIFETIME = timedelta(minutes=15)
MAX_TRIES = 5
TEMPLATE = "password_reset_code"
RESET_PATH = "/password/reset"
# Fixed windows of an hour (rate_limits): code requests per typed login, per
# account and per client address; code tries per typed login and per address.
WINDOW_SECONDS = 3600
REQUESTS_PER_LOGIN = 3
REQUESTS_PER_ADDRESS = 10
TRIES_PER_LOGIN = 10
TRIES_PER_ADDRESS = 30

WRONG_CODE = _l("This code is not right, or it has expired or been used up. Check the SMS, or ask for a new code.")
TOO_MANY_TRIES = _l("Too many tries from here or for this number. Wait an hour, then ask for a new code.")
_CODE_RE = re.compile(r"^\d{6}$")
MASK = "••••••"


class TooManyTries(Invalid):
    """Over the rate limit of code tries: the code was not even compared."""


def request_code(session: Session, login: str, *, address: str, pepper: str, now: datetime | None = None) -> None:
    """Send a new code by SMS if `login` is a citizen's mobile number or CNIC; the caller commits.

    The caller answers the same whatever happened here (no code for a staff
    account, a blocked one, an unknown number, or over a limit).
    """
    login = (login or "").strip()
    if not login:
        raise Invalid({"login": [_l("Enter your mobile number or CNIC.")]})
    now = now or utcnow()
    if not _within(session, "password-code", address, login, REQUESTS_PER_ADDRESS, REQUESTS_PER_LOGIN, now):
        return
    user = _citizen_for(session, login)
    # A citizen's CNIC and mobile number are two logins: the account has its own limit too.
    if user is None or not _hit(session, f"password-code:user:{user.id}", REQUESTS_PER_LOGIN, now):
        return
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(16)
    values = {
        "salt": salt,
        "code_hash": _code_hash(pepper, salt, code),
        "created_at": now,
        "expires_at": now + CODE_LIFETIME,
        "attempts": 0,
        "used_at": None,
    }
    # One row per user, overwritten in one statement: a new request kills the old code,
    # and two requests at once cannot both insert.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(PasswordReset)
        .values(user_id=user.id, **values)
        .on_conflict_do_update(index_elements=[PasswordReset.user_id], set_=values)
    )
    _forget_sent_codes(session, user)
    context = {"code": code, "minutes": int(CODE_LIFETIME.total_seconds() // 60), "path": RESET_PATH}
    # SMS only: the reader is signed out, and an in-app copy would outlive the code.
    outbox.queue(session, user, TEMPLATE, context, (Channel.SMS,), now=now)
    session.flush()


def reset_password(
    session: Session,
    login: str,
    code: str,
    password: str,
    password_confirm: str,
    *,
    address: str,
    pepper: str,
    now: datetime | None = None,
) -> User:
    """Set a new password with the code of the SMS; the caller commits, also when this raises
    (the tries and the rate-limit counts must stand).

    Uses the code up and revokes every API token of the account.
    """
    now = now or utcnow()
    login, code = (login or "").strip(), re.sub(r"\s", "", code or "")
    errors: dict[str, list[str]] = {}
    if not login:
        errors["login"] = [_l("Enter your mobile number or CNIC.")]
    if not _CODE_RE.match(code):
        errors["code"] = [_l("The code has 6 digits; it is in the SMS we sent.")]
    errors.update(accounts.new_password_errors(password or "", password_confirm or ""))
    if errors:
        raise Invalid(errors)  # nothing was compared, so no try is taken
    if not _within(session, "password-try", address, login, TRIES_PER_ADDRESS, TRIES_PER_LOGIN, now):
        raise TooManyTries({"code": [TOO_MANY_TRIES]})
    user = _citizen_for(session, login)
    reset = session.scalar(select(PasswordReset).where(PasswordReset.user_id == user.id)) if user else None
    if reset is None or not _take_try(session, reset, now):
        raise Invalid({"code": [WRONG_CODE]})
    if not hmac.compare_digest(reset.code_hash, _code_hash(pepper, reset.salt, code)):
        raise Invalid({"code": [WRONG_CODE]})
    used = session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # the same code, sent twice at once: the first one used it
        raise Invalid({"code": [WRONG_CODE]})
    user.password_hash = accounts.hash_password(password)
    # Whoever knew the old password may hold a signed-in phone: sign those out.
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    _forget_sent_codes(session, user)
    session.flush()
    log.info("password of user %s reset with a code sent by SMS", user.id)
    return user


def _forget_sent_codes(session: Session, user: User) -> None:
    """Mask the codes of SMS already sent to `user`: a dead code need not stay readable in the database.

    Messages still waiting in the outbox keep theirs (they are being delivered).
    """
    for row in session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.template == TEMPLATE,
        Notification.status != DeliveryStatus.PENDING,
    )):
        code = (row.context or {}).get("code")
        if code and code != MASK:
            row.context = {**row.context, "code": MASK}
            row.body = (row.body or "").replace(code, MASK)


def _citizen_for(session: Session, login: str) -> User | None:
    """The citizen account that may get a code for this mobile number or CNIC, if any."""
    cnic, mobile = accounts.normalise_cnic(login), accounts.normalise_mobile(login)
    if accounts.CNIC_RE.match(cnic):
        user = session.scalar(select(User).where(User.cnic == cnic))
    elif accounts.MOBILE_RE.match(mobile):
        user = session.scalar(select(User).where(User.mobile == mobile))
    else:
        return None
    # Staff ask their administrator; blocked and deactivated accounts get nothing.
    if user is None or user.role is not Role.CITIZEN or not user.is_active or not user.mobile:
        return None
    return user


def _login_key(login: str) -> str:
    """The same bucket however the number is written (0300-…, +92 300 …)."""
    cnic, mobile = accounts.normalise_cnic(login), accounts.normalise_mobile(login)
    if accounts.CNIC_RE.match(cnic):
        return cnic
    return mobile if accounts.MOBILE_RE.match(mobile) else login


def _within(session, name, address, login, per_address, per_login, now) -> bool:
    """Count the request against both limits (both are counted even when the first refuses)."""
    by_address = _hit(session, f"{name}:address:{address}", per_address, now)
    by_login = _hit(session, f"{name}:login:{rate_limits.bucket_part(_login_key(login))}", per_login, now)
    return by_address and by_login


def _hit(session, bucket, limit, now) -> bool:
    return rate_limits.hit(session, bucket, limit=limit, window_seconds=WINDOW_SECONDS, now=now).allowed


def _take_try(session: Session, reset: PasswordReset, now: datetime) -> bool:
    """Count one try, atomically; False when the reset is used, expired, out of tries,
    or was replaced by a new request since it was read."""
    taken = session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.id == reset.id,
            PasswordReset.code_hash == reset.code_hash,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
            PasswordReset.attempts < MAX_TRIES,
        )
        .values(attempts=PasswordReset.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def _code_hash(pepper: str, salt: str, code: str) -> str:
    key = hashlib.sha256(b"password-reset-code\0" + pepper.encode()).digest()
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()
