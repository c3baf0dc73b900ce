"""Medians and 90th percentiles of days to resolve, from the histogram of resolution hours.

`stat_resolution_hours` says how many complaints of an area (or officer) took
each whole number of hours. The percentile is PostgreSQL's percentile_cont
over those durations: the value at fractional rank (n - 1) × f, interpolated
between the two closest ranks. One query per call finds both ranks of every
group with running sums (window functions, in PostgreSQL and SQLite alike),
so the cost grows with the number of distinct hours, not of complaints.
"""
from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ...models import StatResolutionHours

FRACTIONS = {"median": (5, 10), "p90": (9, 10)}  # f as a ratio: ranks are computed in integers


def resolution_percentiles(session: Session, dimensions, *, keys=None) -> dict[tuple[str, int | None], tuple]:
    """{(dimension, key): (median days, p90 days)}; the province's key is None.

    `keys` (optional) limits the groups to those ids, e.g. the officers in a
    dashboard's scope.
    """
    h = StatResolutionHours
    where = [h.dimension.in_(dimensions), h.complaints > 0]
    if keys is not None:
        where.append(h.key.in_(keys))
    partition = (h.dimension, h.key)
    running = (
        select(
            h.dimension, h.key, h.hours,
            func.sum(h.complaints).over(partition_by=partition, order_by=h.hours, rows=(None, 0)).label("upto"),
            func.sum(h.complaints).over(partition_by=partition).label("total"),
        )
        .where(*where)
        .subquery()
    )
    columns = []
    for numerator, denominator in FRACTIONS.values():
        lower = (running.c.total - 1) * numerator // denominator  # the lower rank, in integers
        for rank in (lower, lower + 1):
            # The value at 0-based rank r is the first hour whose running count passes r.
            columns.append(func.min(case((running.c.upto > rank, running.c.hours))))
    query = select(running.c.dimension, running.c.key, func.max(running.c.total), *columns).group_by(
        running.c.dimension, running.c.key)
    result = {}
    for dimension, key, total, *values in session.execute(query):
        total = int(total)
        numbers = []
        for index, (numerator, denominator) in enumerate(FRACTIONS.values()):
            low, high = values[2 * index], values[2 * index + 1]
            position = (total - 1) * numerator / denominator
            hours = low + ((high if high is not None else low) - low) * (position - int(position))
            numbers.append(round(hours / 24, 2))
        result[(dimension, None if dimension == "province" else key)] = tuple(numbers)
    return result


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as percentile_cont: the rule the query above follows."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)
