"""A citizen's mobile number is theirs once they prove it with a code sent to it.

At registration, and when a citizen changes their number, the number waits in
the code row (`codes.MOBILE`, `sent_to`) until its code comes back; only then
does it become the account's `mobile` (unique) with `mobile_confirmed_at`. A
number waiting for its code holds nothing: whoever proves it first has it, so
nobody can keep a number from its owner by typing it into a form.

Nothing here tells whether a number belongs to another account. For such a
number the same code row is written, with a code nobody receives, and the
number's owner gets an SMS instead ("someone tried to add your number...").
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Channel, Role, User, utcnow
from .. import rate_limits
from ..errors import Invalid, TooManyTries
from ..notifications import outbox
from . import codes, tries
from .identifiers import MOBILE_RE, masked_mobile, normalise_mobile

CODE_TEMPLATE = "mobile_code"
IN_USE_TEMPLATE = "mobile_in_use"
CHANGED_TEMPLATE = "mobile_changed"
VERIFY_PATH = "/account/verify"
FORGOT_PATH = "/password/forgot"
# Fixed windows of an hour (rate_limits): codes sent per number, per account and per
# client address; warnings to an owner. Code tries: people/tries.py (MOBILE_CODE).
WINDOW_SECONDS = 3600
SENDS_PER_NUMBER = 3
SENDS_PER_ACCOUNT = 3
SENDS_PER_ADDRESS = 10
WARNINGS_PER_ACCOUNT = 3

WRONG_CODE = _l("This code is not right, or it has expired or been used up. Check the SMS, or ask for a new code.")
MALFORMED_CODE = _l("The code has 6 digits; it is in the SMS we sent.")
TOO_MANY_CODES = _l("Too many codes were sent to this number or from here.")
NUMBER_TAKEN = _l("This number now belongs to another account.")
BAD_NUMBER = _l("Give a Pakistani mobile number, e.g. 0300-1234567.")


def send_code(session: Session, user: User, mobile: str, *, address: str | None, pepper: str,
              now: datetime | None = None) -> str:
    """Send a code to `mobile` so `user` can prove it is theirs; returns the number. The caller commits.

    The answer is the same when the number belongs to another account (see the module).
    `address` is the client's, for the rate limits (None: not a web client, no limits).
    """
    number = normalise_mobile(mobile)
    if not MOBILE_RE.match(number):
        raise Invalid({"mobile": [BAD_NUMBER]})
    if number == user.mobile and user.mobile_confirmed_at is not None:
        raise Invalid({"mobile": [_l("This is already your confirmed number.")]})
    check_send_limits(session, number, user=user, address=address, now=now)
    deliver_code(session, user, number, pepper=pepper, now=now)
    return number


def resend_code(session: Session, user: User, *, address: str | None, pepper: str,
                now: datetime | None = None) -> str:
    """A new code for the number waiting for confirmation; returns the number. The caller commits."""
    number = pending_number(session, user)
    if number is None:
        raise Invalid({"mobile": [_l("No number is waiting for confirmation: give the number to confirm.")]})
    check_send_limits(session, number, user=user, address=address, now=now)
    deliver_code(session, user, number, pepper=pepper, now=now)
    return number


def check_send_limits(session: Session, number: str, *, user: User | None, address: str | None,
                      now: datetime | None = None) -> None:
    """Count a code for `number` against its limits; TooManyTries when over one (nothing is sent then)."""
    if address is None:
        return
    limits = {
        f"mobile-code:number:{rate_limits.bucket_part(number)}": SENDS_PER_NUMBER,
        f"mobile-code:address:{address}": SENDS_PER_ADDRESS,
    }
    if user is not None:
        limits[f"mobile-code:user:{user.id}"] = SENDS_PER_ACCOUNT
    retry_after = rate_limits.hit_all(session, limits, window_seconds=WINDOW_SECONDS, now=now)
    if retry_after is not None:
        raise TooManyTries({"mobile": [TOO_MANY_CODES]}, retry_after)


def deliver_code(session: Session, user: User, number: str, *, pepper: str, now: datetime | None = None) -> None:
    """Write the code row for `number` and send its code (or, for another account's number, warn its owner)."""
    code = codes.issue_code(session, user, codes.MOBILE, sent_to=number, pepper=pepper, now=now)
    codes.forget_sent_codes(session, user, CODE_TEMPLATE)
    owner = session.scalar(select(User).where(User.mobile == number, User.id != user.id))
    if owner is None:
        context = {"code": code, "minutes": codes.MINUTES, "path": VERIFY_PATH}
        # SMS only, to the number itself: the point is to prove it reaches this person.
        outbox.queue(session, user, CODE_TEMPLATE, context, (Channel.SMS,), address=number, now=now)
    else:
        warn_owner(session, owner, IN_USE_TEMPLATE, now=now)
    session.flush()


def warn_owner(session: Session, owner: User, template: str, *, now: datetime | None = None) -> None:
    """Tell an account's owner by SMS that someone tried to use their number or CNIC (a few times an hour at most)."""
    decision = rate_limits.hit(session, f"owner-warning:user:{owner.id}", limit=WARNINGS_PER_ACCOUNT,
                               window_seconds=WINDOW_SECONDS, now=now)
    if decision.allowed:
        outbox.queue(session, owner, template, {"path": FORGOT_PATH}, (Channel.SMS,), now=now)


def pending_number(session: Session, user: User) -> str | None:
    """The number waiting for its code (asked for, not yet proved; its code may have expired)."""
    row = codes.code_of(session, user, codes.MOBILE)
    if row is None or row.used_at is not None or not row.sent_to:
        return None
    if row.sent_to == user.mobile and user.mobile_confirmed_at is not None:
        return None
    return row.sent_to


def confirm_mobile(session: Session, user: User, code: str, *, address: str | None, pepper: str,
                   now: datetime | None = None) -> User:
    """Prove the waiting number with its code: it becomes the account's number.

    The caller commits, also when this raises (the tries and the rate-limit counts must stand).
    """
    now = now or utcnow()
    if not codes.CODE_RE.match(codes.clean(code)):
        raise Invalid({"code": [MALFORMED_CODE]})  # nothing was compared, so no try is taken
    tries.claim(session, tries.MOBILE_CODE, account=str(user.id), address=address, field="code", now=now)
    row = codes.redeem_code(session, user, codes.MOBILE, code, pepper=pepper, now=now)
    if row is None or not row.sent_to:
        raise Invalid({"code": [WRONG_CODE]})
    tries.succeeded(session, tries.MOBILE_CODE, account=str(user.id), address=address, now=now)
    if not adopt_number(session, user, row.sent_to, now=now):
        raise Invalid({"code": [NUMBER_TAKEN]})
    codes.forget_sent_codes(session, user, CODE_TEMPLATE)
    return user


def adopt_number(session: Session, user: User, number: str, *, now: datetime | None = None) -> bool:
    """`user` proved they hold `number` (with a code sent to it): it becomes their confirmed number.

    False, and nothing changes, when another account proved it first.
    """
    now = now or utcnow()
    if user.mobile == number and user.mobile_confirmed_at is not None:
        return True
    if session.scalar(select(User.id).where(User.mobile == number, User.id != user.id)) is not None:
        return False
    first, old = user.mobile_confirmed_at is None, user.mobile
    user.mobile, user.mobile_confirmed_at = number, now
    waiting = codes.code_of(session, user, codes.MOBILE)
    if waiting is not None and waiting.sent_to == number:
        codes.kill_code(session, user, codes.MOBILE, now=now)
    session.flush()
    if first and user.role is Role.CITIZEN:
        outbox.notify_user_registered(session, user, now=now)
    elif old and old != number:
        # To the old number too: if somebody else changed it, its owner hears of it there.
        context = {"mobile": masked_mobile(number), "path": FORGOT_PATH}
        outbox.queue(session, user, CHANGED_TEMPLATE, context, (Channel.SMS,), address=old, now=now)
        outbox.queue(session, user, CHANGED_TEMPLATE, context, (Channel.IN_APP,), now=now)
    return True
