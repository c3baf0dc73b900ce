"""Working days of the province: which dates its offices are closed, and counting days over them.

A timer event may carry the property `calendar` (see `CALENDARS`): with
"working-days", the days of its duration ("P15D", "P2W") are working days of
Khyber Pakhtunkhwa, not calendar days. A working day is a date, in Pakistan
time, that is not a weekend day, not a public holiday of Pakistan (the
`holidays` package) and not a closure the province announced (the portal's
table of closures, which the app reads and hands in as `closures`).

The calendar is a plain value: the engine never reads the database. The app
builds one (`app/services/casework/working_calendar.py`) and passes it to the
engine's verbs, the simulator and the data generator; tests build their own.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

import holidays
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

# Values of a timer's `calendar` property. A timer without the property counts calendar days, as before.
CALENDAR_DAYS = "calendar-days"
WORKING_DAYS = "working-days"
CALENDARS = (CALENDAR_DAYS, WORKING_DAYS)
DURATION_CALENDARS = (WORKING_DAYS,)  # what only a duration timer can count
CALENDAR_PROPERTY = "calendar"

# Pakistan Standard Time has no daylight saving: a fixed offset is exact.
PAKISTAN_TIME = timezone(timedelta(hours=5), "PKT")
# Provincial offices on the five-day week close on Saturday and Sunday (Monday is 0).
WEEKEND = frozenset({5, 6})
# Counting stops here: a calendar that closes every day must not hang a request.
_MAX_DAYS_SCANNED = 3660


@dataclass(frozen=True)
class WorkingCalendar:
    """Which dates offices are closed: weekends, Pakistan's public holidays and `closures`."""

    closures: frozenset[date] = frozenset()
    weekend: frozenset[int] = WEEKEND
    public_holidays: bool = True  # Pakistan's, from the `holidays` package

    def is_closed(self, day: date) -> bool:
        return (
            day.weekday() in self.weekend
            or day in self.closures
            or (self.public_holidays and day in _pakistan_holidays(day.year))
        )

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The moment `days` working days after `start`, at the same time of day (Pakistan time).

        Day one is the first working day after the date of `start`, so a complaint
        lodged on a Friday afternoon with a 1-working-day timer is due on Monday
        afternoon, and one lodged on a Saturday with 15 working days is due on the
        15th working day at the hour it was lodged.
        """
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        local = start.astimezone(PAKISTAN_TIME)
        day, counted = local.date(), 0
        for _ in range(_MAX_DAYS_SCANNED):
            if counted >= days:
                break
            day += timedelta(days=1)
            if not self.is_closed(day):
                counted += 1
        else:
            raise ValueError(f"no {days} working days within {_MAX_DAYS_SCANNED} days of {local.date()}")
        return datetime.combine(day, local.timetz()).astimezone(timezone.utc)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when `end` is before `start`)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for n in range(1, (end - start).days + 1) if not self.is_closed(start + timedelta(days=n)))


CALENDAR_DAYS_ONLY = WorkingCalendar(weekend=frozenset(), public_holidays=False)


def working_calendar(closures: Iterable[date] = ()) -> WorkingCalendar:
    """The province's calendar with these closures (dates the province or an office announced)."""
    return WorkingCalendar(closures=frozenset(closures))


@lru_cache(maxsize=64)
def _pakistan_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("PK", years=year))


def pakistan_holidays(year: int) -> dict[date, str]:
    """Pakistan's public holidays of `year` (date -> English name), as the calendar counts them."""
    return dict(holidays.country_holidays("PK", years=year))


def calendar_of(element_spec) -> str | None:
    """The `calendar` property of a timer event (None: calendar days, as without the property)."""
    properties = (getattr(element_spec, "extensions", None) or {}).get("properties") or {}
    return properties.get(CALENDAR_PROPERTY) or None


def counts_working_days(element_spec) -> bool:
    return calendar_of(element_spec) == WORKING_DAYS


def working_due(calendar: WorkingCalendar, start: datetime, duration: str) -> datetime:
    """When an ISO 8601 duration counted in working days from `start` ends.

    Days and weeks (a week: 5 working days on the five-day week, i.e. 7 minus the
    weekend) count working days; years, months and a time part ("P15DT4H") are
    added as they are, after the working days.
    """
    parsed = TimerEventDefinition.parse_iso_duration(duration)
    weeks = parsed.pop("weeks", 0)
    days = parsed.pop("days", 0)
    working = int(days + weeks * (7 - len(calendar.weekend)))
    due = calendar.add_working_days(start, working)
    if parsed:  # whatever is left is not counted in working days
        due += TimerEventDefinition.get_timedelta_from_start(parsed, due)
    return due


def calendar_duration(start: datetime, duration: str) -> timedelta:
    """How long an ISO 8601 duration lasts in calendar time from `start` (SpiffWorkflow's own reading)."""
    return TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(duration), start)
