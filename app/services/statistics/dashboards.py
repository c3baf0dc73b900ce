"""Tier dashboards: the DC's district, the Commissioner's division, the Chief Secretary's province.

Every number comes from the aggregate tables (app/models/statistics.py),
restricted to the reader's scope, plus one live count that no running total
can hold: open complaints whose deadline passed a moment ago and whose timer
has not fired yet (an index on next_deadline_at reads only those). The
conditions below are also the complaint list's filters (`complaints_query`),
so a number and the list behind its link agree.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import LazyString, format_date, lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ...models import (
    Complaint,
    ComplaintStatus,
    Department,
    District,
    Division,
    Role,
    StatCell,
    StatDay,
    StatOfficer,
    StatOpenDay,
    User,
    utcnow,
)
from ...models.statistics_upkeep import PKT_OFFSET, pk_day
from ..errors import NotAllowed
from .figures import trends
from .percentiles import resolution_percentiles
from ...place_names import lazy_local_name, lazy_text

DASHBOARD_ROLES = (Role.DEPUTY_COMMISSIONER, Role.COMMISSIONER, Role.CHIEF_SECRETARY)
# Ageing of open complaints in whole days since lodging: (filter value, label, first day, last day).
AGE_BUCKETS = (("0-7", _l("0–7 days"), 0, 7), ("8-15", _l("8–15 days"), 8, 15), ("16-22", _l("16–22 days"), 16, 22),
               ("23+", _l("Over 22 days"), 23, None))
# What a column's number links to: the row's own filter plus these list filters.
COLUMN_FILTERS = {"open": {"status": "open"}, "overdue": {"overdue": 1}, "escalated": {"status": "open", "escalated": 1},
                  "lodged": {}, "assigned": {}, "resolved": {"resolved": 1}, "reopened": {"reopened": 1}}
OFFICER_ROWS_SHOWN = 100  # on the page; the CSV has all


def scope_of(user: User, model=Complaint):
    """SQL condition: the complaints (or aggregate rows of `model`) this tier's dashboard covers."""
    if user.role is Role.DEPUTY_COMMISSIONER:
        return model.district_id == user.district_id
    if user.role is Role.COMMISSIONER:
        return model.division_id == user.division_id
    if user.role is Role.CHIEF_SECRETARY:
        return model.district_id.is_not(None)
    raise NotAllowed(_l("dashboards are for Deputy Commissioners, Commissioners and the Chief Secretary"))


def open_condition():
    return Complaint.status != ComplaintStatus.CLOSED


def overdue_condition(now: datetime):
    """Open, and past a deadline: escalated at least once, or its next deadline has passed."""
    return and_(open_condition(), or_(Complaint.escalation_level > 0, Complaint.next_deadline_at < now))


def resolved_condition():
    """The list's side of `statistics_upkeep.is_resolved`: the rule the aggregates count by."""
    return or_(Complaint.resolved_at.is_not(None),
               and_(Complaint.status == ComplaintStatus.CLOSED, or_(Complaint.satisfied.is_(None), Complaint.satisfied)))


def _start_of_pk_day(day) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=utcnow().tzinfo) - PKT_OFFSET


def age_condition(bucket: str, now: datetime):
    """Open complaints lodged `first`..`last` Pakistan calendar days before today (today is day 0)."""
    today = pk_day(now)
    for value, _label, first, last in AGE_BUCKETS:
        if value == bucket:
            condition = and_(open_condition(), Complaint.created_at < _start_of_pk_day(today - timedelta(days=first - 1)))
            if last is not None:
                condition = and_(condition, Complaint.created_at >= _start_of_pk_day(today - timedelta(days=last)))
            return condition
    raise ValueError(bucket)


def on_pk_day(column, day):
    """`column` (a UTC moment) falls on this Pakistan calendar day."""
    return and_(column >= _start_of_pk_day(day), column < _start_of_pk_day(day + timedelta(days=1)))


def age_bucket(days: int) -> str:
    return next(value for value, _label, first, last in AGE_BUCKETS if days >= first and (last is None or days <= last))


@dataclass
class Row:
    """One line of a dashboard table: what it is about, its numbers, and its list filter."""

    key: int | str | None
    name: str  # English (the order of ties, the CSV); the page shows name_ur / name_ps by the reader's language
    numbers: dict
    link: dict = field(default_factory=dict)
    column_links: dict = field(default_factory=dict)  # column -> its own list filter, instead of link + column's
    name_ur: str | None = None
    name_ps: str | None = None

    def filters_for(self, column: str) -> dict | None:
        """The complaint-list filters behind this row's number in `column`; None: not a count of complaints."""
        if column in self.column_links:
            return self.column_links[column]
        if column in COLUMN_FILTERS:
            return {**self.link, **COLUMN_FILTERS[column]}
        return None


@dataclass
class Dashboard:
    title: LazyString  # in the language of whoever reads it
    role: Role
    summary: dict
    ageing: list[Row]
    departments: list[Row]
    areas: list[Row]  # districts of the division / divisions then districts of the province; empty for a DC
    officers: list[Row]
    trends: list[Row]  # lodged and resolved per Pakistan day, newest first
    generated_at: datetime

    def tables(self) -> dict[str, tuple[list[str], list[Row]]]:
        """Every table by name, with its column names: what the page and the CSV export show."""
        counts = ["open", "overdue", "escalated"]
        league = ["lodged", "resolved", "resolution_rate", "open", "overdue", "escalated"]
        tables = {
            "summary": (counts, [Row(None, self.title, self.summary)]),
            "ageing": (["open"], self.ageing),
            "departments": (["lodged", *counts], self.departments),
            "officers": (["assigned", "resolved", "median_days", "satisfied_share", "reopened"], self.officers),
        }
        if self.areas:
            tables["areas"] = (["level", *league], self.areas)
        tables["trends"] = (["lodged", "resolved"], self.trends)
        return tables


def build_dashboard(session: Session, user: User, *, now: datetime | None = None,
                    officer_medians: int | None = None) -> Dashboard:
    """The reader's dashboard. `officer_medians`: compute the median days of only the first
    that many officers (the page shows OFFICER_ROWS_SHOWN; the CSV wants all, None)."""
    now = now or utcnow()
    cells = _cells(session, user, now)
    summary = {name: sum(c[name] for c in cells.values()) for name in ("open", "overdue", "escalated")}
    return Dashboard(
        title=_title(session, user),
        role=user.role,
        summary=summary,
        ageing=_ageing(session, user, now),
        departments=_departments(session, cells),
        areas=_areas(session, user, cells),
        officers=_officers(session, user, officer_medians),
        trends=_trends(session, user, now),
        generated_at=now,
    )


CELL_NUMBERS = ("lodged", "resolved", "open", "overdue", "escalated")


def _cells(session, user, now) -> dict[tuple[int, int], dict]:
    """{(district_id, department_id): counts} in the reader's scope: the aggregate cells plus the live overdue."""
    query = select(StatCell.district_id, StatCell.department_id, StatCell.lodged, StatCell.resolved, StatCell.open,
                   StatCell.open_escalated).where(scope_of(user, StatCell), StatCell.lodged > 0)
    cells = {(district_id, department_id): {"lodged": lodged, "resolved": resolved, "open": open_,
                                            "overdue": escalated, "escalated": escalated}
             for district_id, department_id, lodged, resolved, open_, escalated in session.execute(query)}
    # Not yet escalated but past its deadline: the timer sweep will act on it within a minute.
    late = (select(Complaint.district_id, Complaint.department_id, func.count())
            .where(scope_of(user), Complaint.next_deadline_at < now, Complaint.escalation_level == 0,
                   open_condition())
            .group_by(Complaint.district_id, Complaint.department_id))
    for district_id, department_id, count in session.execute(late):
        cell = cells.setdefault((district_id, department_id), dict.fromkeys(CELL_NUMBERS, 0))
        cell["overdue"] += count
    return cells


def _ageing(session, user, now) -> list[Row]:
    today = pk_day(now)
    query = (select(StatOpenDay.day, func.sum(StatOpenDay.open))
             .where(scope_of(user, StatOpenDay), StatOpenDay.open > 0).group_by(StatOpenDay.day))
    counts: dict[str, int] = defaultdict(int)
    for day, open_ in session.execute(query):
        counts[age_bucket(max((today - day).days, 0))] += int(open_)
    return [Row(value, label, {"open": counts[value]}, {"status": "open", "age": value})
            for value, label, *_ in AGE_BUCKETS]


def _trends(session, user, now) -> list[Row]:
    daily, _weekly = trends(session, now, scope_of(user, StatDay))
    # The day's name ("Mon 01 Dec") is made when shown, with the weekday and month in the reader's language.
    return [Row(d["day"].isoformat(), LazyString(format_date, d["day"], "EEE dd MMM", rebase=False),
                {"lodged": d["lodged"], "resolved": d["resolved"]},
                column_links={"lodged": {"lodged_on": d["day"]}, "resolved": {"resolved_on": d["day"]}})
            for d in reversed(daily)]


def _title(session, user) -> LazyString:
    if user.role is Role.DEPUTY_COMMISSIONER:
        return lazy_text(_l("District %(name)s", name=lazy_local_name(session.get(District, user.district_id))))
    if user.role is Role.COMMISSIONER:
        return lazy_text(_l("%(name)s division", name=lazy_local_name(session.get(Division, user.division_id))))
    return _l("Khyber Pakhtunkhwa")


def _sum_by(cells, index: int) -> dict[int, dict]:
    totals: dict[int, dict] = {}
    for key, numbers in cells.items():
        total = totals.setdefault(key[index], dict.fromkeys(CELL_NUMBERS, 0))
        for name, n in numbers.items():
            total[name] += n
    return totals


def _departments(session, cells) -> list[Row]:
    departments = {d.id: d for d in session.scalars(select(Department))}
    rows = [
        Row(department_id, departments[department_id].name,
            {k: v[k] for k in ("lodged", "open", "overdue", "escalated")}, {"department_id": department_id},
            **_local_names(departments[department_id]))
        for department_id, v in _sum_by(cells, 1).items()
    ]
    return sorted(rows, key=lambda r: (-r.numbers["open"], r.name))


def _local_names(place) -> dict:
    return {"name_ur": place.name_ur, "name_ps": place.name_ps}


LEAGUE = ("lodged", "resolved", "open", "overdue", "escalated")


def _areas(session, user, cells) -> list[Row]:
    """The league table: districts (and for the province, divisions), best resolution rate first."""
    if user.role is Role.DEPUTY_COMMISSIONER:
        return []
    districts = {d.id: d for d in session.scalars(select(District))}
    by_district = _sum_by(cells, 0)
    rows = [Row(d, districts[d].name, {"level": "district", **{k: v[k] for k in LEAGUE}}, {"district_id": d},
                **_local_names(districts[d]))
            for d, v in by_district.items()]
    if user.role is Role.CHIEF_SECRETARY:
        divisions = {d.id: d for d in session.scalars(select(Division))}
        by_division: dict[int, dict] = {}
        for district_id, numbers in by_district.items():
            total = by_division.setdefault(districts[district_id].division_id, dict.fromkeys(LEAGUE, 0))
            for name in LEAGUE:
                total[name] += numbers[name]
        rows += [Row(d, divisions[d].name, {"level": "division", **v}, {"division_id": d}, **_local_names(divisions[d]))
                 for d, v in by_division.items()]
    for row in rows:
        lodged = row.numbers["lodged"]
        row.numbers["resolution_rate"] = round(row.numbers["resolved"] / lodged, 4) if lodged else None
    return sorted(rows, key=lambda r: (r.numbers["level"] != "division", -(r.numbers["resolution_rate"] or 0), r.name))


def _officers(session, user, medians_for: int | None) -> list[Row]:
    query = (
        select(StatOfficer.officer_id, func.sum(StatOfficer.assigned), func.sum(StatOfficer.resolved),
               func.sum(StatOfficer.satisfied), func.sum(StatOfficer.rated), func.sum(StatOfficer.reopened))
        .where(scope_of(user, StatOfficer))
        .group_by(StatOfficer.officer_id)
        .having(func.sum(StatOfficer.assigned) > 0)
    )
    numbers = {officer_id: [int(n or 0) for n in rest] for officer_id, *rest in session.execute(query)}
    if not numbers:
        return []
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(numbers))).all())
    rows = []
    for officer_id, (assigned, resolved, satisfied, rated, reopened) in numbers.items():
        rows.append(Row(officer_id, names.get(officer_id) or _l("Officer %(id)s", id=officer_id), {
            "assigned": assigned,
            "resolved": resolved,
            "median_days": None,
            "satisfied_share": round(satisfied / rated, 4) if rated else None,
            "reopened": reopened,
        }, {"officer_id": officer_id}))
    rows.sort(key=lambda r: (-r.numbers["assigned"], r.name))
    # Each officer's median reads that officer's histogram: only for the rows that will be shown.
    wanted = rows if medians_for is None else rows[:medians_for]
    medians = resolution_percentiles(session, ("officer",), keys=[r.key for r in wanted])
    for row in wanted:
        row.numbers["median_days"] = medians.get(("officer", row.key), (None, None))[0]
    return rows
