"""The public lookup: a complaint's milestones by tracking number and the last four digits of
the mobile number it was lodged with, without signing in.

It answers with the milestones and their dates only (`milestones.Tracking`):
no names, no description, no officer, no address. A wrong tracking number and
wrong digits get the same answer, so the page cannot be used to learn which
numbers exist. Every lookup counts against two limits, per caller address and
per tracking number, so guessing the four digits of one complaint takes weeks.
"""
from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Complaint, User, utcnow
from .. import rate_limits
from ..errors import Invalid, NotFound
from .milestones import PAKISTAN_TIME, Tracking, tracking_of

TRACKING_NUMBER = re.compile(r"^KP-\d{4}-\d{7,}$")  # complaints.tracking_number: at least 7 digits
DIGITS = 4


@dataclass(frozen=True)
class LookupLimits:
    per_address: int
    per_number: int
    window_seconds: int


class TooManyLookups(Invalid):
    """The caller (or this tracking number) used up its lookups for now."""

    def __init__(self, retry_after: int, now: datetime):
        again = (now + timedelta(seconds=retry_after)).astimezone(PAKISTAN_TIME).strftime("%H:%M")
        super().__init__({"tracking_number": [
            _l("Too many lookups. Please try again after %(time)s (Pakistan time), or sign in to see your complaint.",
               time=again)]})
        self.retry_after = retry_after


class NotTracked(NotFound):
    """No complaint matches this tracking number and these digits (which of the two is wrong is not said)."""


def look_up(
    session: Session,
    tracking_number: str,
    mobile_digits: str,
    *,
    address: str,
    limits: LookupLimits,
    now: datetime | None = None,
) -> Tracking:
    """The milestones of the complaint with this tracking number lodged from a mobile number ending in
    `mobile_digits`. Raises TooManyLookups, Invalid (malformed input) or NotTracked. The caller commits
    whatever happens: a refused lookup must still count."""
    now = now or utcnow()
    number = normalise_tracking_number(tracking_number)
    digits = re.sub(r"\D", "", mobile_digits or "")
    # Counted first, malformed tries too: a guesser learns nothing for free.
    decisions = [rate_limits.hit(session, f"track:address:{address}", limit=limits.per_address,
                                 window_seconds=limits.window_seconds, now=now)]
    if number:
        decisions.append(rate_limits.hit(session, f"track:number:{rate_limits.bucket_part(number)}",
                                         limit=limits.per_number, window_seconds=limits.window_seconds, now=now))
    refused = [d for d in decisions if not d.allowed]
    if refused:
        raise TooManyLookups(max(d.retry_after for d in refused), now)

    errors = {}
    if not TRACKING_NUMBER.match(number):
        errors["tracking_number"] = [_l("Enter the tracking number as it was given to you, e.g. KP-2603-0000123.")]
    if len(digits) != DIGITS:
        errors["mobile_digits"] = [_l("Enter the last four digits of the mobile number you registered with.")]
    if errors:
        raise Invalid(errors)

    found = session.execute(
        select(Complaint, User.mobile).join(User, User.id == Complaint.citizen_id).where(Complaint.tracking_number == number)
    ).first()
    complaint, mobile = found if found is not None else (None, None)
    # Compared in constant time whether or not the number exists.
    matches = hmac.compare_digest((mobile or "")[-DIGITS:].rjust(DIGITS, "x"), digits)
    if complaint is None or not matches:
        raise NotTracked("no complaint with this tracking number and these digits")
    return tracking_of(session, complaint, now=now)


def normalise_tracking_number(value: str) -> str:
    """"kp 2603 0000123", " KP-2603-0000123 " -> "KP-2603-0000123"."""
    compact = re.sub(r"[\s\-_]", "", (value or "").upper())
    match = re.fullmatch(r"KP(\d{4})(\d{7,})", compact)
    return f"KP-{match.group(1)}-{match.group(2)}" if match else compact
