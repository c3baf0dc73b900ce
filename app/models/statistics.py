"""Aggregate tables behind the public statistics and the tier dashboards.

Counting a million complaints on every page view is too slow, so each table
here holds running counts that `statistics_upkeep` changes in the same flush
as the complaint rows they count (an ORM hook, see that module). They are
never edited by hand; `flask --app app statistics rebuild` recomputes them
from the complaints and `... statistics check` compares.

Every count column holds "how many complaints are like this now": a complaint
that moves (resolved, reopened, transferred, escalated) is taken out of its
old rows and added to its new ones.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

COUNT = {"default": 0, "nullable": False}


class StatCell(Base):
    """One district × department: everything the league tables and the public figures sum."""

    __tablename__ = "stat_cells"
    division_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lodged: Mapped[int] = mapped_column(**COUNT)
    resolved: Mapped[int] = mapped_column(**COUNT)
    open: Mapped[int] = mapped_column(**COUNT)
    systemic: Mapped[int] = mapped_column(**COUNT)
    satisfied: Mapped[int] = mapped_column(**COUNT)
    rated: Mapped[int] = mapped_column(**COUNT)
    escalated_commissioner: Mapped[int] = mapped_column(**COUNT)
    escalated_chief_secretary: Mapped[int] = mapped_column(**COUNT)
    open_escalated: Mapped[int] = mapped_column(**COUNT)
    # Resolved and still open: the citizen has not rated the resolution yet. With it the public
    # figures split "lodged" into parts that add up (services/statistics/figures.py).
    awaiting_rating: Mapped[int] = mapped_column(**COUNT)


class StatDay(Base):
    """Complaints lodged, and resolutions, per Pakistan calendar day: the trends."""

    __tablename__ = "stat_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    division_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lodged: Mapped[int] = mapped_column(**COUNT)
    resolved: Mapped[int] = mapped_column(**COUNT)


class StatOpenDay(Base):
    """Open complaints by the Pakistan day they were lodged: the ageing buckets, for any 'today'."""

    __tablename__ = "stat_open_days"
    division_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    open: Mapped[int] = mapped_column(**COUNT)


class StatOfficer(Base):
    """One District Officer's complaints (in one district): the officer performance table."""

    __tablename__ = "stat_officers"
    officer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assigned: Mapped[int] = mapped_column(**COUNT)
    resolved: Mapped[int] = mapped_column(**COUNT)
    satisfied: Mapped[int] = mapped_column(**COUNT)
    rated: Mapped[int] = mapped_column(**COUNT)
    reopened: Mapped[int] = mapped_column(**COUNT)


class StatResolutionHours(Base):
    """How many resolved complaints took this many whole hours, per area or officer.

    A histogram instead of the raw durations: medians and 90th percentiles of
    any area come from a few hundred rows instead of every resolved complaint,
    exact to the hour. `dimension` is province (key 0), division, district,
    department or officer; an officer's key is the user id.
    """

    __tablename__ = "stat_resolution_hours"
    dimension: Mapped[str] = mapped_column(String(12), primary_key=True)
    key: Mapped[int] = mapped_column(Integer, primary_key=True)
    hours: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaints: Mapped[int] = mapped_column(**COUNT)


class StatCitizens(Base):
    """Citizens registered per district (their home district)."""

    __tablename__ = "stat_citizens"
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizens: Mapped[int] = mapped_column(**COUNT)


AGGREGATES = (StatCell, StatDay, StatOpenDay, StatOfficer, StatResolutionHours, StatCitizens)
