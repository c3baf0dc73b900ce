"""Tier dashboards: the DC's district, the Commissioner's division, the Chief Secretary's province.

Each number is an aggregate over the complaints of the reader's scope, with
the same conditions the complaint list uses for its filters (see
`complaints_query`), so a number and the list behind its link agree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..models import Complaint, ComplaintStatus, Department, District, Division, Role, User, utcnow
from .errors import NotAllowed
from .statistics import _count, resolution_percentiles, resolved_condition

DASHBOARD_ROLES = (Role.DEPUTY_COMMISSIONER, Role.COMMISSIONER, Role.CHIEF_SECRETARY)
# Ageing of open complaints in whole days since lodging: (filter value, label, first day, last day).
AGE_BUCKETS = (("0-7", "0–7 days", 0, 7), ("8-15", "8–15 days", 8, 15), ("16-22", "16–22 days", 16, 22),
               ("23+", "Over 22 days", 23, None))
OFFICER_ROWS_SHOWN = 100  # on the page; the CSV has all


def scope_of(user: User):
    """SQL condition: the complaints this tier's dashboard covers. Other roles have none."""
    if user.role is Role.DEPUTY_COMMISSIONER:
        return Complaint.district_id == user.district_id
    if user.role is Role.COMMISSIONER:
        return Complaint.division_id == user.division_id
    if user.role is Role.CHIEF_SECRETARY:
        return Complaint.id.is_not(None)
    raise NotAllowed("dashboards are for Deputy Commissioners, Commissioners and the Chief Secretary")


def open_condition():
    return Complaint.status != ComplaintStatus.CLOSED


def overdue_condition(now: datetime):
    """Open, and past a deadline: escalated at least once, or its next deadline has passed."""
    return and_(open_condition(), or_(Complaint.escalation_level > 0, Complaint.next_deadline_at < now))


def age_condition(bucket: str, now: datetime):
    """Open complaints lodged `first`..`last` whole days ago."""
    for value, _label, first, last in AGE_BUCKETS:
        if value == bucket:
            newest = now - timedelta(days=first)
            condition = and_(open_condition(), Complaint.created_at <= newest)
            if last is not None:
                condition = and_(condition, Complaint.created_at > now - timedelta(days=last + 1))
            return condition
    raise ValueError(bucket)


@dataclass
class Row:
    """One line of a dashboard table: what it is about, its numbers, and its list filter."""

    key: int | str | None
    name: str
    numbers: dict
    link: dict = field(default_factory=dict)


@dataclass
class Dashboard:
    title: str
    role: Role
    summary: dict
    ageing: list[Row]
    departments: list[Row]
    areas: list[Row]  # districts of the division / divisions then districts of the province; empty for a DC
    officers: list[Row]
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
        return tables


def build_dashboard(session: Session, user: User, *, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    scope = scope_of(user)
    cells = _cells(session, scope, now)  # one pass over the scope; every table but officers sums these
    summary = {name: sum(c[name] for c in cells.values()) for name in ("open", "overdue", "escalated")}
    ageing = [Row(value, label, {"open": sum(c[value] for c in cells.values())}, {"status": "open", "age": value})
              for value, label, *_ in AGE_BUCKETS]
    return Dashboard(
        title=_title(session, user),
        role=user.role,
        summary=summary,
        ageing=ageing,
        departments=_departments(session, cells),
        areas=_areas(session, user, cells),
        officers=_officers(session, scope),
        generated_at=now,
    )


CELL_NUMBERS = ("lodged", "resolved", "open", "overdue", "escalated", *(b[0] for b in AGE_BUCKETS))


def _cells(session, scope, now) -> dict[tuple[int, int], dict]:
    """{(district_id, department_id): counts} of the complaints in scope, from one grouped query."""
    query = (
        select(
            Complaint.district_id,
            Complaint.department_id,
            func.count(),
            _count(resolved_condition()),
            _count(open_condition()),
            _count(overdue_condition(now)),
            _count(and_(open_condition(), Complaint.escalation_level > 0)),
            *[_count(age_condition(value, now)) for value, *_ in AGE_BUCKETS],
        )
        .where(scope)
        .group_by(Complaint.district_id, Complaint.department_id)
    )
    return {(district_id, department_id): dict(zip(CELL_NUMBERS, (int(n or 0) for n in numbers)))
            for district_id, department_id, *numbers in session.execute(query)}


def _title(session, user) -> str:
    if user.role is Role.DEPUTY_COMMISSIONER:
        return f"District {session.get(District, user.district_id).name}"
    if user.role is Role.COMMISSIONER:
        return f"{session.get(Division, user.division_id).name} division"
    return "Khyber Pakhtunkhwa"


def _sum_by(cells, index: int) -> dict[int, dict]:
    totals: dict[int, dict] = {}
    for key, numbers in cells.items():
        total = totals.setdefault(key[index], dict.fromkeys(CELL_NUMBERS, 0))
        for name, n in numbers.items():
            total[name] += n
    return totals


def _departments(session, cells) -> list[Row]:
    names = dict(session.execute(select(Department.id, Department.name)).all())
    rows = [
        Row(department_id, names[department_id], {k: v[k] for k in ("lodged", "open", "overdue", "escalated")},
            {"department_id": department_id})
        for department_id, v in _sum_by(cells, 1).items()
    ]
    return sorted(rows, key=lambda r: (-r.numbers["open"], r.name))


LEAGUE = ("lodged", "resolved", "open", "overdue", "escalated")


def _areas(session, user, cells) -> list[Row]:
    """The league table: districts (and for the province, divisions), best resolution rate first."""
    if user.role is Role.DEPUTY_COMMISSIONER:
        return []
    districts = {d.id: d for d in session.scalars(select(District))}
    by_district = _sum_by(cells, 0)
    rows = [Row(d, districts[d].name, {"level": "district", **{k: v[k] for k in LEAGUE}}, {"district_id": d})
            for d, v in by_district.items()]
    if user.role is Role.CHIEF_SECRETARY:
        names = dict(session.execute(select(Division.id, Division.name)).all())
        by_division: dict[int, dict] = {}
        for district_id, numbers in by_district.items():
            total = by_division.setdefault(districts[district_id].division_id, dict.fromkeys(LEAGUE, 0))
            for name in LEAGUE:
                total[name] += numbers[name]
        # The complaint list filters by district only; a division's row links to the whole list.
        rows += [Row(d, names[d], {"level": "division", **v}, {}) for d, v in by_division.items()]
    for row in rows:
        lodged = row.numbers["lodged"]
        row.numbers["resolution_rate"] = round(row.numbers["resolved"] / lodged, 4) if lodged else None
    return sorted(rows, key=lambda r: (r.numbers["level"] != "division", -(r.numbers["resolution_rate"] or 0), r.name))


def _officers(session, scope) -> list[Row]:
    query = (
        select(
            Complaint.officer_id,
            func.count(),
            _count(resolved_condition()),
            _count(Complaint.satisfied.is_(True)),
            func.count(Complaint.satisfied),
            _count(Complaint.reopen_count > 0),
        )
        .where(scope, Complaint.officer_id.is_not(None))
        .group_by(Complaint.officer_id)
    )
    numbers = {officer_id: rest for officer_id, *rest in session.execute(query)}
    if not numbers:
        return []
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(numbers))).all())
    medians = resolution_percentiles(session, and_(scope, Complaint.officer_id.is_not(None)), levels=("officer",))
    rows = []
    for officer_id, (assigned, resolved, satisfied, rated, reopened) in numbers.items():
        rows.append(Row(officer_id, names.get(officer_id, f"Officer {officer_id}"), {
            "assigned": assigned,
            "resolved": int(resolved or 0),
            "median_days": medians.get(("officer", officer_id), (None, None))[0],
            "satisfied_share": round(int(satisfied or 0) / rated, 4) if rated else None,
            "reopened": int(reopened or 0),
        }, {"officer_id": officer_id}))
    return sorted(rows, key=lambda r: (-r.numbers["assigned"], r.name))
