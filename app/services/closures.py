"""The province's closures as administrators keep them, and the closed dates timers skip.

Timers that count working days (a timer event with calendar="working-days",
workflows/calendar.py) skip weekends, Pakistan's public holidays (the `holidays`
package) and the closures kept here: provincial holidays, longer Eid closures than
the federal ones, ad-hoc closures. The engine never reads the database: the engine
door (casework/processes.py) and the demo generator read `closed_dates` and hand
the engine a calendar. A closure counts for timers reached after it is entered: a
deadline already given stays as it was (see workflows/timers.count_working_days).
Every change is written to the audit log in the caller's transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import holidays
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Closure, Role, User
from .errors import Invalid, NotAllowed, NotFound
from .people import audit

REASON_LENGTH = 200
# A closure longer than this is a typing mistake (a wrong year), not a closure.
LONGEST_CLOSURE = timedelta(days=60)


@dataclass(frozen=True)
class PublicHoliday:
    day: date
    name: str


def closed_dates(session: Session) -> frozenset[date]:
    """Every date a closure covers."""
    found: set[date] = set()
    for starts_on, ends_on in session.execute(select(Closure.starts_on, Closure.ends_on)):
        found.update(starts_on + timedelta(days=n) for n in range((ends_on - starts_on).days + 1))
    return frozenset(found)


def list_closures(session: Session, admin: User) -> list[Closure]:
    """Every closure, the latest first."""
    _admins_only(admin)
    return list(session.scalars(select(Closure).order_by(Closure.starts_on.desc(), Closure.id.desc())))


def add_closure(session: Session, admin: User, starts_on: date | None, ends_on: date | None, reason: str) -> Closure:
    """A closure from `starts_on` to `ends_on` (both included; None: one day)."""
    _admins_only(admin)
    errors: dict[str, list] = {}
    reason = " ".join((reason or "").split())
    if starts_on is None:
        errors["starts_on"] = [_l("Give the first day of the closure.")]
    ends_on = ends_on or starts_on
    if starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_l("The last day cannot come before the first.")]
    elif starts_on is not None and ends_on - starts_on > LONGEST_CLOSURE:
        errors["ends_on"] = [_l("A closure lasts at most %(count)s days.", count=LONGEST_CLOSURE.days + 1)]
    if not 3 <= len(reason) <= REASON_LENGTH:
        errors["reason"] = [_l("Say why offices are closed (3 to %(count)s characters).", count=REASON_LENGTH)]
    if errors:
        raise Invalid(errors)
    closure = Closure(starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=admin)
    session.add(closure)
    session.flush()
    audit.record(session, admin, "closure.added", subject=f"closure:{closure.id}", starts_on=starts_on.isoformat(),
                 ends_on=ends_on.isoformat(), reason=reason)
    return closure


def remove_closure(session: Session, admin: User, closure_id: int) -> Closure:
    _admins_only(admin)
    closure = session.get(Closure, closure_id)
    if closure is None:
        raise NotFound(f"closure {closure_id}")
    audit.record(session, admin, "closure.removed", subject=f"closure:{closure.id}",
                 starts_on=closure.starts_on.isoformat(), ends_on=closure.ends_on.isoformat(), reason=closure.reason)
    session.delete(closure)
    session.flush()
    return closure


def public_holidays(year: int, language: str = "en") -> list[PublicHoliday]:
    """Pakistan's public holidays of `year` as the timers count them, named in Urdu for an Urdu or Pashto
    reader (`language`; the `holidays` package has no Pashto) and in English otherwise."""
    found = holidays.country_holidays("PK", years=year, language="ur_PK" if language in ("ur", "ps") else "en_PK")
    return [PublicHoliday(day, name) for day, name in sorted(found.items())]


def _admins_only(admin: User) -> None:
    if admin.role is not Role.ADMIN:
        raise NotAllowed(_l("Only an administrator can change the days offices are closed."))
