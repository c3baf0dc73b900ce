"""Public statistics: counts and rates for the province and per division, district, department.

Computed straight from the complaints table with a few grouped aggregate
queries (no aggregate table to keep in step): one pass groups by district ×
department and everything else is summed from those cells in Python; the
percentiles come from one more query. bench/dashboards.py measures the cost at
province scale, and the public page caches the result for at most 60 seconds
(see app/blueprints/statistics.py). Nothing here returns a person's data:
only counts, rates and the names of places and departments.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Date, Integer, and_, case, cast, func, literal_column, or_, select, true
from sqlalchemy.orm import Session

from ..models import Complaint, ComplaintStatus, Department, District, Division, Role, User, utcnow

DAY_SECONDS = 86400.0
TREND_DAYS = 30
TREND_WEEKS = 12
PKT_OFFSET = timedelta(hours=5)  # days and weeks are Pakistan days


def resolved_condition():
    """Resolved: a resolution was recorded, or it closed satisfied / without feedback."""
    return or_(
        Complaint.resolved_at.is_not(None),
        and_(Complaint.status == ComplaintStatus.CLOSED, or_(Complaint.satisfied.is_(None), Complaint.satisfied)),
    )


def _count(condition):
    return func.sum(cast(case((condition, 1), else_=0), Integer))


@dataclass
class Figures:
    citizens: int = 0
    lodged: int = 0
    resolved: int = 0
    in_progress: int = 0
    systemic: int = 0
    satisfied: int = 0
    rated: int = 0
    escalated_commissioner: int = 0
    escalated_chief_secretary: int = 0
    median_days: float | None = None
    p90_days: float | None = None

    def add(self, other: Figures) -> None:
        for name in ("citizens", "lodged", "resolved", "in_progress", "systemic", "satisfied", "rated",
                     "escalated_commissioner", "escalated_chief_secretary"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def resolution_rate(self) -> float | None:
        return round(self.resolved / self.lodged, 4) if self.lodged else None

    @property
    def satisfied_share(self) -> float | None:
        return round(self.satisfied / self.rated, 4) if self.rated else None

    def as_dict(self) -> dict:
        return {**asdict(self), "resolution_rate": self.resolution_rate, "satisfied_share": self.satisfied_share}


@dataclass
class Area:
    id: int
    name: str
    figures: Figures = field(default_factory=Figures)


@dataclass
class PublicStats:
    generated_at: datetime
    province: Figures
    divisions: list[Area]
    districts: list[Area]
    departments: list[Area]
    daily: list[dict]  # {"day": date, "lodged": n, "resolved": n}
    weekly: list[dict]  # {"week": Monday's date, "lodged": n, "resolved": n}

    def as_dict(self) -> dict:
        def areas(rows):
            return [{"id": a.id, "name": a.name, **a.figures.as_dict()} for a in rows]

        return {
            "generated_at": self.generated_at.isoformat(),
            "province": self.province.as_dict(),
            "divisions": areas(self.divisions),
            "districts": areas(self.districts),
            "departments": areas(self.departments),
            "trends": {
                "daily": [{**d, "day": d["day"].isoformat()} for d in self.daily],
                "weekly": [{**w, "week": w["week"].isoformat()} for w in self.weekly],
            },
        }


def public_stats(session: Session, *, now: datetime | None = None) -> PublicStats:
    now = now or utcnow()
    divisions = {d.id: Area(d.id, d.name) for d in session.scalars(select(Division).order_by(Division.name))}
    district_rows = session.execute(select(District.id, District.name, District.division_id).order_by(District.name))
    districts, division_of = {}, {}
    for district_id, name, division_id in district_rows:
        districts[district_id] = Area(district_id, name)
        division_of[district_id] = division_id
    departments = {d.id: Area(d.id, d.name) for d in session.scalars(select(Department).order_by(Department.name))}
    province = Figures()

    for district_id, department_id, cell in cell_figures(session, true()):
        for figures in (province, districts[district_id].figures, divisions[division_of[district_id]].figures,
                        departments[department_id].figures):
            figures.add(cell)
    for district_id, count in session.execute(
        select(User.district_id, func.count()).where(User.role == Role.CITIZEN).group_by(User.district_id)
    ):
        citizens = Figures(citizens=count)
        province.add(citizens)
        if district_id in districts:
            districts[district_id].figures.add(citizens)
            divisions[division_of[district_id]].figures.add(citizens)

    levels = {"division": divisions, "district": districts, "department": departments}
    for (level, key), (median, p90) in resolution_percentiles(session, true()).items():
        target = province if level == "province" else levels[level].get(key, Area(0, "")).figures
        target.median_days, target.p90_days = median, p90

    daily, weekly = trends(session, now)
    return PublicStats(now, province, list(divisions.values()), list(districts.values()),
                       list(departments.values()), daily, weekly)


def cell_figures(session: Session, scope):
    """(district_id, department_id, Figures) for each cell with complaints, within `scope`."""
    query = (
        select(
            Complaint.district_id,
            Complaint.department_id,
            func.count(),
            _count(resolved_condition()),
            _count(Complaint.status != ComplaintStatus.CLOSED),
            _count(Complaint.status == ComplaintStatus.SYSTEMIC),
            _count(Complaint.satisfied.is_(True)),
            func.count(Complaint.satisfied),
            _count(Complaint.escalation_level >= 1),
            _count(Complaint.escalation_level >= 2),
        )
        .where(scope)
        .group_by(Complaint.district_id, Complaint.department_id)
    )
    for district_id, department_id, *numbers in session.execute(query):
        lodged, resolved, open_, systemic, satisfied, rated, esc1, esc2 = (int(n or 0) for n in numbers)
        yield district_id, department_id, Figures(
            lodged=lodged, resolved=resolved, in_progress=open_, systemic=systemic, satisfied=satisfied,
            rated=rated, escalated_commissioner=esc1, escalated_chief_secretary=esc2,
        )


def resolution_percentiles(session: Session, scope, *, levels=("province", "division", "district", "department")):
    """{(level, id): (median days, p90 days)} of resolved_at - created_at, continuous percentiles.

    PostgreSQL computes them in one query with percentile_cont over grouping
    sets. SQLite has no percentile aggregate, so there the days are read
    (one number per resolved complaint) and the same linear interpolation is
    done in Python.
    """
    columns = {"division": Complaint.division_id, "district": Complaint.district_id,
               "department": Complaint.department_id, "officer": Complaint.officer_id}
    wanted = [lv for lv in levels if lv != "province"]
    where = and_(scope, Complaint.resolved_at.is_not(None))
    result = {}
    if session.get_bind().dialect.name == "postgresql":
        days = func.extract("epoch", Complaint.resolved_at - Complaint.created_at) / DAY_SECONDS
        keys = [columns[lv] for lv in wanted]
        sets = [func.grouping(k) for k in keys]
        grouping_sets = ", ".join(["()"] * ("province" in levels) + [f"({k.name})" for k in keys])
        query = select(
            *keys, *sets,
            func.percentile_cont(0.5).within_group(days),
            func.percentile_cont(0.9).within_group(days),
        ).where(where)
        query = query.group_by(literal_column(f"GROUPING SETS ({grouping_sets})"))
        for row in session.execute(query):
            values, flags, (median, p90) = row[: len(keys)], row[len(keys): 2 * len(keys)], row[-2:]
            level = next((lv for lv, flag in zip(wanted, flags) if flag == 0), "province")
            key = values[wanted.index(level)] if level != "province" else None
            result[(level, key)] = (_round(median), _round(p90))
        return result
    grouped = defaultdict(list)
    query = select(*[columns[lv] for lv in wanted], Complaint.created_at, Complaint.resolved_at).where(where)
    for *keys, created_at, resolved_at in session.execute(query):
        days = (resolved_at - created_at).total_seconds() / DAY_SECONDS
        if "province" in levels:
            grouped[("province", None)].append(days)
        for level, key in zip(wanted, keys):
            grouped[(level, key)].append(days)
    for group, values in grouped.items():
        result[group] = (_round(percentile(values, 0.5)), _round(percentile(values, 0.9)))
    return result


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks: what PostgreSQL's percentile_cont computes."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def _round(value) -> float | None:
    return None if value is None else round(float(value), 2)


def pk_day(moment: datetime) -> date:
    return (moment + PKT_OFFSET).date()


def trends(session: Session, now: datetime, scope=None):
    """Lodged and resolved per Pakistan day (last 30 days) and per week (last 12, Monday first)."""
    first_week = pk_day(now) - timedelta(days=pk_day(now).weekday() + 7 * (TREND_WEEKS - 1))
    since = datetime.combine(first_week, datetime.min.time(), tzinfo=now.tzinfo) - PKT_OFFSET
    scope = true() if scope is None else scope
    counts: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for column, index in ((Complaint.created_at, 0), (Complaint.resolved_at, 1)):
        day = _day_expression(session, column)
        query = select(day, func.count()).where(scope, column >= since).group_by(day)
        for value, count in session.execute(query):
            counts[value if isinstance(value, date) else date.fromisoformat(str(value))][index] += count
    today = pk_day(now)
    daily = [
        {"day": d, "lodged": counts[d][0], "resolved": counts[d][1]}
        for d in (today - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1))
    ]
    weekly = []
    for n in range(TREND_WEEKS):
        monday = first_week + timedelta(weeks=n)
        days = [monday + timedelta(days=k) for k in range(7)]
        weekly.append({"week": monday, "lodged": sum(counts[d][0] for d in days if d in counts),
                       "resolved": sum(counts[d][1] for d in days if d in counts)})
    return daily, weekly


def _day_expression(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("Asia/Karachi", column), Date())
    return func.date(column, "+5 hours")
