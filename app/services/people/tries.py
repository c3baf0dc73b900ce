"""Tries of a secret — a password or an SMS code — are counted per account and per address.

Everywhere a person types a secret the portal checks (signing in on the page and
the API, the current password on the account page and the API, the code of a
password reset or of a new mobile number) the try goes through `claim` first:

- **per account, growing delays** (`rate_limits.claim_try`): `FREE` tries in a row
  cost nothing; after them each try makes the next wait, 30 seconds, then 1, 2,
  4, 8 minutes... never more than 15 minutes. A success ends the streak. Nobody
  is locked out for good: the wait caps, and the SMS reset has limits of its own.
- **per client address, a fixed window** of failures: many accounts tried from
  one place. A try is counted before it is checked and taken back when it
  succeeds, and the window is generous: a mobile network puts many phones
  behind one address.

The account is the bucket whatever login was typed (CNIC, mobile number or
username; an unknown login is its own bucket), so spelling a login another way
buys nothing. A refusal is `TooManyTries` with the seconds to wait; it checks
nothing and counts nothing against the account, so the wait never grows while
the owner waits it out. The caller commits at once, before the secret is
compared: a try counts even if the request then fails.

The figures are in docs/security.md ("Throttling"); keep the two in step.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from .. import rate_limits
from ..errors import TooManyTries


@dataclass(frozen=True)
class Secret:
    """What is tried (the bucket's name), the account's delays, and the address's window."""

    name: str
    backoff: rate_limits.Backoff
    per_address: int
    address_window_seconds: int
    message: object  # a lazy string for the field the secret was typed in


FREE = 5
FIRST_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 15 * 60
ACCOUNT_DELAYS = rate_limits.Backoff(FREE, FIRST_DELAY_SECONDS, MAX_DELAY_SECONDS)
HOUR = 3600

SIGN_IN = Secret("sign-in", ACCOUNT_DELAYS, 100, HOUR,
                 _l("Too many sign-in attempts for this account or from this network."))
CURRENT_PASSWORD = Secret("password-check", ACCOUNT_DELAYS, 30, HOUR,
                          _l("Too many tries of your current password."))
RESET_CODE = Secret("password-try", ACCOUNT_DELAYS, 30, HOUR,
                    _l("Too many tries of a code for this number or from this network."))
MOBILE_CODE = Secret("mobile-try", ACCOUNT_DELAYS, 30, HOUR, _l("Too many tries of a code."))
SECRETS = (SIGN_IN, CURRENT_PASSWORD, RESET_CODE, MOBILE_CODE)


def account_bucket(secret: Secret, account: str) -> str:
    return f"{secret.name}:account:{account}"


def address_bucket(secret: Secret, address: str) -> str:
    return f"{secret.name}:address:{address}"


def claim(session: Session, secret: Secret, *, account: str, address: str | None, field: str,
          now: datetime | None = None) -> None:
    """Count one try of `secret` for `account` (a user id, or a hashed login) and `address`; the caller commits.

    TooManyTries (on `field`) when the account must wait or the address is over its window.
    `address` None: not a web client (a command), only the account counts.
    """
    wait = None
    if address is not None:
        wait = rate_limits.hit_all(session, {address_bucket(secret, address): secret.per_address},
                                   window_seconds=secret.address_window_seconds, now=now)
    if wait is None:
        wait = rate_limits.claim_try(session, account_bucket(secret, account), secret.backoff, now=now)
    if wait is not None:
        raise TooManyTries({field: [secret.message]}, wait)


def succeeded(session: Session, secret: Secret, *, account: str, address: str | None = None,
              now: datetime | None = None) -> None:
    """The secret was right: the account's streak ends, and the address's window counts only failures
    (many people behind one mobile network's address sign in every hour). The caller commits."""
    rate_limits.clear_tries(session, account_bucket(secret, account))
    if address is not None:
        rate_limits.refund(session, address_bucket(secret, address), window_seconds=secret.address_window_seconds,
                           now=now)


def forget_sign_in_failures(session: Session, user_id: int) -> None:
    """A new password (a reset by SMS) ends the streak of failed sign-ins: the owner signs in at once."""
    rate_limits.clear_tries(session, account_bucket(SIGN_IN, str(user_id)))
