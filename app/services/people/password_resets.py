"""Forgotten passwords: a citizen proves they hold their phone with a code sent by SMS.

This is also how a citizen account that an Open311 client created for a phone
number (it has no password) is claimed: its owner asks for a code with that number.
The code is one of `codes` (purpose "password_reset"); using it proves the number
it went to, so a reset also confirms that number (people/mobile_numbers.py).

Nothing here tells whether an account exists. `request_code` returns nothing and
sends only when a citizen account (not staff, not blocked) has the mobile number
or CNIC and the rate limits allow it; `reset_password` refuses an unknown number,
a wrong, expired or used-up code with one and the same message.
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Channel, Role, User, utcnow
from . import accounts, codes, mobile_numbers, passwords, tries, user_sessions
from ..interop import api_tokens
from ..notifications import outbox
from .. import rate_limits
from ..errors import Invalid

log = logging.getLogger(__name__)

CODE_LIFETIME = codes.CODE_LIFETIME
MAX_TRIES = codes.MAX_TRIES
MASK = codes.MASK
TEMPLATE = "password_reset_code"
RESET_PATH = "/password/reset"
# Fixed windows of an hour (rate_limits): code requests per typed login, per
# account and per client address. Code tries: people/tries.py (RESET_CODE).
WINDOW_SECONDS = 3600
REQUESTS_PER_LOGIN = 3
REQUESTS_PER_ADDRESS = 10

WRONG_CODE = mobile_numbers.WRONG_CODE


def request_code(session: Session, login: str, *, address: str, pepper: str, now: datetime | None = None) -> None:
    """Send a new code by SMS if `login` is a citizen's mobile number or CNIC; the caller commits.

    The caller answers the same whatever happened here (no code for a staff
    account, a blocked one, an unknown number, or over a limit).
    """
    login = (login or "").strip()
    if not login:
        raise Invalid({"login": [_l("Enter your mobile number or CNIC.")]})
    now = now or utcnow()
    if _refused(session, "password-code", address, login, REQUESTS_PER_ADDRESS, REQUESTS_PER_LOGIN, now):
        return
    user = _citizen_for(session, login)
    # A citizen's CNIC and mobile number are two logins: the account has its own limit too.
    if user is None or not _hit(session, f"password-code:user:{user.id}", REQUESTS_PER_LOGIN, now):
        return
    # A citizen who registered but never confirmed their number has only the one waiting for its code.
    number = user.mobile or mobile_numbers.pending_number(session, user)
    if number is None:
        return
    code = codes.issue_code(session, user, codes.PASSWORD_RESET, sent_to=number, pepper=pepper, now=now)
    codes.forget_sent_codes(session, user, TEMPLATE)
    context = {"code": code, "minutes": codes.MINUTES, "path": RESET_PATH}
    # SMS only: the reader is signed out, and an in-app copy would outlive the code.
    outbox.queue(session, user, TEMPLATE, context, (Channel.SMS,),
                 address=number if number != user.mobile else None, now=now)
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

    Uses the code up, confirms the number it went to, revokes every API token of
    the account and signs out every browser.
    """
    now = now or utcnow()
    login, code = (login or "").strip(), codes.clean(code)
    errors: dict[str, list[str]] = {}
    if not login:
        errors["login"] = [_l("Enter your mobile number or CNIC.")]
    if not codes.CODE_RE.match(code):
        errors["code"] = [mobile_numbers.MALFORMED_CODE]
    user = _citizen_for(session, login)
    personal = passwords.personal_words(user) if user else (login,)
    errors.update(passwords.new_password_errors(password or "", password_confirm or "", staff=False,
                                                personal=personal))
    if errors:
        raise Invalid(errors)  # nothing was compared, so no try is taken
    account = str(user.id) if user else "login-" + rate_limits.bucket_part(_login_key(login))
    tries.claim(session, tries.RESET_CODE, account=account, address=address, field="code", now=now)
    used = codes.redeem_code(session, user, codes.PASSWORD_RESET, code, pepper=pepper, now=now)
    if used is None:
        raise Invalid({"code": [WRONG_CODE]})
    tries.succeeded(session, tries.RESET_CODE, account=account, address=address, now=now)
    passwords.set_password(user, password)
    # The owner of an account under attack gets in at once with the new password.
    tries.forget_sign_in_failures(session, user.id)
    # Whoever knew the old password may hold a signed-in phone or browser: sign those out.
    api_tokens.revoke_tokens(session, user, now=now)
    user_sessions.end_sessions(session, user)
    if used.sent_to:
        mobile_numbers.adopt_number(session, user, used.sent_to, now=now)
    codes.forget_sent_codes(session, user, TEMPLATE)
    session.flush()
    log.info("password of user %s reset with a code sent by SMS", user.id)
    return user


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
    if user is None or user.role is not Role.CITIZEN or not user.is_active:
        return None
    return user


def _login_key(login: str) -> str:
    """The same bucket however the number is written (0300-…, +92 300 …)."""
    cnic, mobile = accounts.normalise_cnic(login), accounts.normalise_mobile(login)
    if accounts.CNIC_RE.match(cnic):
        return cnic
    return mobile if accounts.MOBILE_RE.match(mobile) else login


def _refused(session, name, address, login, per_address, per_login, now) -> int | None:
    """Count the request against both limits; the seconds to wait when over one, else None."""
    limits = {f"{name}:address:{address}": per_address,
              f"{name}:login:{rate_limits.bucket_part(_login_key(login))}": per_login}
    return rate_limits.hit_all(session, limits, window_seconds=WINDOW_SECONDS, now=now)


def _hit(session, bucket, limit, now) -> bool:
    return rate_limits.hit(session, bucket, limit=limit, window_seconds=WINDOW_SECONDS, now=now).allowed
