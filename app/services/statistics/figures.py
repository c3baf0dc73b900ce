"""Public statistics: counts and rates for the province and per division, district, department.

Read from the aggregate tables (app/models/statistics.py), which move in the
same transaction as the complaints they count: a few hundred district ×
department cells give every count, a histogram of resolution times in whole
hours gives the medians and 90th percentiles, and per-day rows give the
trends. Nothing here returns a person's data: only counts, rates and the
names of places and departments.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import ComplaintSupporter, Department, District, Division, StatCell, StatCitizens, StatDay, utcnow
from ...models.statistics_upkeep import pk_day
from .percentiles import resolution_percentiles

TREND_DAYS = 30
TREND_WEEKS = 12
LEVELS = ("division", "district", "department")  # what the public figures are broken down by
CELL_COUNTS = ("lodged", "resolved", "open", "systemic", "satisfied", "rated", "escalated_commissioner",
               "escalated_chief_secretary", "awaiting_rating")
# The complaints lodged, each counted in exactly one of these: they add up to `lodged`.
PARTS = ("resolved", "in_progress", "systemic", "closed_unresolved")


@dataclass
class Figures:
    """Counts of one area. `lodged` = resolved + in_progress + systemic + closed_unresolved:

    resolved: a resolution stands (awaiting the citizen's rating, or closed without the citizen
    rejecting it; `awaiting_rating` of them are not rated yet); in_progress: open and being worked
    on; systemic: open, with long-term action; closed_unresolved: closed without a resolution.
    """

    citizens: int = 0
    lodged: int = 0
    resolved: int = 0
    awaiting_rating: int = 0
    in_progress: int = 0
    systemic: int = 0
    closed_unresolved: int = 0
    satisfied: int = 0
    rated: int = 0
    escalated_commissioner: int = 0
    escalated_chief_secretary: int = 0
    median_days: float | None = None
    p90_days: float | None = None

    def add(self, other: Figures) -> None:
        for name in ("citizens", "lodged", "resolved", "awaiting_rating", "in_progress", "systemic",
                     "closed_unresolved", "satisfied", "rated", "escalated_commissioner", "escalated_chief_secretary"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def resolution_rate(self) -> float | None:
        return round(self.resolved / self.lodged, 4) if self.lodged else None

    @property
    def satisfied_share(self) -> float | None:
        return round(self.satisfied / self.rated, 4) if self.rated else None

    def as_dict(self, *, with_citizens: bool = True) -> dict:
        figures = {**asdict(self), "resolution_rate": self.resolution_rate, "satisfied_share": self.satisfied_share}
        if not with_citizens:  # citizens belong to a district, not to a department
            del figures["citizens"]
        return figures


@dataclass
class Area:
    id: int
    name: str  # English, the order of every list; pages show name_ur / name_ps by the reader's language
    figures: Figures = field(default_factory=Figures)
    level: str = ""
    name_ur: str | None = None
    name_ps: str | None = None

    @classmethod
    def of(cls, row, level: str) -> Area:
        return cls(row.id, row.name, level=level, name_ur=row.name_ur, name_ps=row.name_ps)

    def names(self) -> dict:
        """The area's names in every language: the JSON carries all three, so one cached answer serves all readers."""
        return {"name": self.name, "name_ur": self.name_ur, "name_ps": self.name_ps}


@dataclass
class PublicStats:
    generated_at: datetime
    province: Figures
    divisions: list[Area]
    districts: list[Area]
    departments: list[Area]
    daily: list[dict]  # {"day": date, "lodged": n, "resolved": n}
    weekly: list[dict]  # {"week": Monday's date, "lodged": n, "resolved": n}
    supporters: int = 0  # times a citizen added their voice to an existing complaint instead of lodging it again

    def area(self, level: str, area_id: int) -> Area | None:
        return next((a for a in getattr(self, level + "s") if a.id == area_id), None)

    def as_dict(self) -> dict:
        def areas(rows):
            return [{"id": a.id, **a.names(), **a.figures.as_dict(with_citizens=a.level != "department")}
                    for a in rows]

        return {
            "generated_at": self.generated_at.isoformat(),
            "province": self.province.as_dict(),
            "divisions": areas(self.divisions),
            "districts": areas(self.districts),
            "departments": areas(self.departments),
            "trends": trends_as_dict(self.daily, self.weekly),
            "supporters": self.supporters,
        }


def trends_as_dict(daily, weekly) -> dict:
    return {"daily": [{**d, "day": d["day"].isoformat()} for d in daily],
            "weekly": [{**w, "week": w["week"].isoformat()} for w in weekly]}


def public_stats(session: Session, *, now: datetime | None = None) -> PublicStats:
    now = now or utcnow()
    divisions = {d.id: Area.of(d, "division") for d in session.scalars(select(Division).order_by(Division.name))}
    districts, division_of = {}, {}
    for district in session.scalars(select(District).order_by(District.name)):
        districts[district.id] = Area.of(district, "district")
        division_of[district.id] = district.division_id
    departments = {d.id: Area.of(d, "department")
                   for d in session.scalars(select(Department).order_by(Department.name))}
    province = Figures()

    for (division_id, district_id, department_id), cell in cell_figures(session).items():
        for figures in (province, _area(districts, district_id), _area(divisions, division_id),
                        _area(departments, department_id)):
            figures.add(cell)
    for district_id, count in session.execute(select(StatCitizens.district_id, StatCitizens.citizens)):
        citizens = Figures(citizens=count)
        province.add(citizens)
        if district_id in districts:
            districts[district_id].figures.add(citizens)
            divisions[division_of[district_id]].figures.add(citizens)

    levels = {"division": divisions, "district": districts, "department": departments}
    for (level, key), (median, p90) in resolution_percentiles(session, ("province", *LEVELS)).items():
        target = province if level == "province" else _area(levels[level], key)
        target.median_days, target.p90_days = median, p90

    daily, weekly = trends(session, now)
    supporters = session.scalar(select(func.count()).select_from(ComplaintSupporter)) or 0
    return PublicStats(now, province, list(divisions.values()), list(districts.values()),
                       list(departments.values()), daily, weekly, supporters)


def _area(areas: dict, key) -> Figures:
    """An area's figures; figures for an area no longer in the organisation go nowhere visible."""
    return areas[key].figures if key in areas else Figures()


def cell_figures(session: Session, *where) -> dict[tuple[int, int, int], Figures]:
    """{(division_id, district_id, department_id): Figures} from the aggregate cells matching `where`."""
    query = select(StatCell.division_id, StatCell.district_id, StatCell.department_id,
                   *[getattr(StatCell, name) for name in CELL_COUNTS]).where(StatCell.lodged > 0, *where)
    cells = {}
    for division_id, district_id, department_id, *numbers in session.execute(query):
        counts = dict(zip(CELL_COUNTS, numbers))
        still_open = counts.pop("open")
        # Open is being worked on, long-term (systemic) or resolved and awaiting the rating;
        # closed is resolved or not: so the four parts add up to the lodged.
        counts["in_progress"] = still_open - counts["awaiting_rating"] - counts["systemic"]
        counts["closed_unresolved"] = counts["lodged"] - still_open - (counts["resolved"] - counts["awaiting_rating"])
        cells[(division_id, district_id, department_id)] = Figures(**counts)
    return cells


def area_condition(model, level: str, area_id: int):
    """Rows of an aggregate `model` that belong to one division, district or department."""
    return getattr(model, f"{level}_id") == area_id


def trends(session: Session, now: datetime, *where):
    """Lodged and resolved per Pakistan day (last 30 days) and per week (last 12, Monday first)."""
    today = pk_day(now)
    first_week = today - timedelta(days=today.weekday() + 7 * (TREND_WEEKS - 1))
    query = (select(StatDay.day, func.sum(StatDay.lodged), func.sum(StatDay.resolved))
             .where(StatDay.day >= first_week, *where).group_by(StatDay.day))
    counts: dict[date, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for day, lodged, resolved in session.execute(query):
        counts[day] = (int(lodged or 0), int(resolved or 0))
    daily = [{"day": d, "lodged": counts[d][0], "resolved": counts[d][1]}
             for d in (today - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1))]
    weekly = []
    for n in range(TREND_WEEKS):
        days = [first_week + timedelta(weeks=n, days=k) for k in range(7)]
        weekly.append({"week": days[0], "lodged": sum(counts[d][0] for d in days if d in counts),
                       "resolved": sum(counts[d][1] for d in days if d in counts)})
    return daily, weekly


@dataclass
class AreaStats:
    """One division, district or department's public page: its figures, trends, and (a division) its districts."""

    level: str
    area: Area
    generated_at: datetime
    daily: list[dict]
    weekly: list[dict]
    parts: list[Area]

    def as_dict(self) -> dict:
        return {"generated_at": self.generated_at.isoformat(), "level": self.level, "id": self.area.id,
                **self.area.names(), **self.area.figures.as_dict(with_citizens=self.level != "department"),
                "trends": trends_as_dict(self.daily, self.weekly),
                "districts": [{"id": a.id, **a.names(), **a.figures.as_dict()} for a in self.parts]}


def area_stats(session: Session, stats: PublicStats, level: str, area_id: int, *,
               now: datetime | None = None) -> AreaStats | None:
    """An area's figures (from the snapshot `stats`) and its own trends (read now). None if no such area."""
    if level not in LEVELS:
        return None
    area = stats.area(level, area_id)
    if area is None:
        return None
    daily, weekly = trends(session, now or utcnow(), area_condition(StatDay, level, area_id))
    parts = []
    if level == "division":
        ids = set(session.scalars(select(District.id).where(District.division_id == area_id)))
        parts = [a for a in stats.districts if a.id in ids]
    return AreaStats(level, area, stats.generated_at, daily, weekly, parts)
