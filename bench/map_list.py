"""Benchmark (not a test): the complaint map's query (/complaints/map.json) at province scale on PostgreSQL.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python -m bench.map_list

Measures, READ ONLY (every transaction is opened read-only, so the shared
benchmark database cannot be changed by this script), for a Deputy
Commissioner (of the district with the most located complaints), that
division's Commissioner and the Chief Secretary:

  - the map's query as the page runs it (the newest 5,000 located complaints in
    scope, ids/points/statuses/subjects, rows turned into the JSON body),
    with no filter and with "open" (status) as the list's filters give it;
  - against two baselines measured in the same run on the same connection
    pool: a bare `SELECT 1` round trip, and the list's first page
    (`complaints_query`, 50 newest) for the same reader;
  - the public map's cells (counts per ~1 km cell over all located complaints),
    which the statistics snapshot recomputes at most once a minute.

It prints medians, 95th percentiles, ratios, and which index each plan used.

A database of your own can be filled first (never the shared one):

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_map \\
        python -m bench.map_list --fill 1000000

`--fill N` creates and migrates the database if needed (bench/bench_database.py)
and adds synthetic complaint rows by SQL until it holds N: districts uniform,
statuses in the generator's proportions, lodged over the past year, 60 % with a
point scattered (about 4 km) around the district centre. Only the complaints
table is written (no processes, tasks or aggregates): enough for this query,
not for the other benchmarks.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.db import make_engine, make_session_factory  # noqa: E402
from app.models import Complaint, District, Role, User  # noqa: E402
from app.services.casework import complaint_map, complaints, places  # noqa: E402
from app.services.statistics import public_map  # noqa: E402

MAP_INDEXES = ("ix_complaints_located_district", "ix_complaints_located_division", "ix_complaints_located_created")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30, help="calls per measure")
    parser.add_argument("--fill", type=int, default=0, help="first add synthetic complaints until there are N "
                                                             "(a database of your own only)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench")
    if args.fill:
        fill(url, args.fill)
    # Every transaction read-only: the server refuses any write this script might attempt.
    engine = make_engine(url, connect_args={"options": "-c default_transaction_read_only=on"})
    sessions = make_session_factory(engine)
    with sessions() as session:
        total = session.scalar(select(func.count()).select_from(Complaint))
        located = session.scalar(select(func.count()).select_from(Complaint).where(complaint_map.LOCATED))
        readers = _readers(session)
        present = set(session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'complaints'")))
        version = session.scalar(text("SHOW server_version"))
    n = args.requests
    baseline = _times(lambda s: s.execute(text("SELECT 1")).scalar(), sessions, n * 5)
    rows, plans = [], {}
    for name, user in readers.items():
        first_page = complaints.complaints_query(user, complaints.ComplaintFilters(), newest=50).limit(50)
        list_times = _times(lambda s: s.scalars(first_page).all(), sessions, n)
        rows.append((f"list, first page (50)  {name}", list_times, list_times))
        for label, filters in (("", complaints.ComplaintFilters()), (" status=open", complaints.ComplaintFilters("open"))):
            def work(s, user=user, filters=filters):
                found = complaint_map.map_points(s, user, filters)
                return json.dumps({"complaints": found.points, "capped": found.capped})
            with sessions() as s:
                body = work(s)
                found = complaint_map.map_points(s, user, filters)
            times = _times(work, sessions, n)
            rows.append((f"map JSON{label}  {name} ({len(found.points)} pts, {len(body) // 1024} KB"
                         f"{', capped' if found.capped else ''})", times, list_times))
            plans[f"{name}{label}"] = _indexes_used(sessions, complaint_map.map_query(user, filters))
    cells_times = _times(lambda s: public_map.located_cells(s), sessions, max(n // 5, 3))
    with sessions() as s:
        cells = len(public_map.located_cells(s).cells)
    rows.append((f"public map cells ({cells} cells)", cells_times, None))

    base = statistics.median(baseline)
    print(f"\nN = {total:,} complaints, {located:,} with a location; PostgreSQL {version}; {os.cpu_count()} CPUs")
    print(f"map indexes present: {', '.join(i for i in MAP_INDEXES if i in present) or 'none (migration 0019 not applied)'}")
    print(f"baseline SELECT 1 round trip: median {base * 1000:.2f} ms\n")
    print(f"{'measure':62} {'median ms':>9} {'p95 ms':>8} {'med/SELECT 1':>12} {'med/list':>8}")
    for name, times, list_times in rows:
        median = statistics.median(times)
        versus_list = f"{median / statistics.median(list_times):8.1f}" if list_times else f"{'':8}"
        print(f"{name:62} {median * 1000:9.1f} {_p95(times) * 1000:8.1f} {median / base:12.0f} {versus_list}")
    print("\nindexes the map query's plan uses:")
    for name, used in plans.items():
        print(f"  {name:28} {', '.join(used) or 'sequential scan'}")


def _readers(session) -> dict[str, User]:
    """Unsaved users (nothing is written): a DC of the district with the most located complaints, that
    division's Commissioner, the Chief Secretary. The scope filter reads only role, district and division."""
    district_id = session.scalar(select(Complaint.district_id).where(complaint_map.LOCATED)
                                 .group_by(Complaint.district_id).order_by(func.count().desc()).limit(1))
    if district_id is None:
        district_id = session.scalar(select(District.id).order_by(District.id).limit(1))
    district = session.get(District, district_id)
    return {
        f"DC {district.name}": User(role=Role.DEPUTY_COMMISSIONER, district_id=district.id),
        "Commissioner": User(role=Role.COMMISSIONER, division_id=district.division_id),
        "Chief Secretary": User(role=Role.CHIEF_SECRETARY),
    }


def _indexes_used(sessions, query) -> list[str]:
    with sessions() as session:
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = session.scalar(text(f"EXPLAIN (FORMAT JSON) {compiled}"))
    found: list[str] = []

    def walk(node):
        if "Index Name" in node and node["Index Name"] not in found:
            found.append(node["Index Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


def _times(work, sessions, n) -> list[float]:
    times = []
    with sessions() as session:
        work(session)  # warm: plan cache, buffers
        session.rollback()
        for _ in range(n):
            started = time.perf_counter()
            work(session)
            times.append(time.perf_counter() - started)
            session.rollback()
    return times


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


# Filling a database of one's own ------------------------------------------------------------------

FILL_BATCH = 100_000
# The generator's planned paths (app/services/demo/generator.py PATHS), as final statuses.
STATUS_SHARES = (("submitted", 20), ("in_progress", 30), ("resolved", 10), ("systemic", 5), ("closed", 35))


def fill(url: str, wanted: int) -> None:
    from bench.bench_database import prepared_app

    app, sessions = prepared_app(url)
    with sessions() as session:
        have = session.scalar(select(func.count()).select_from(Complaint))
        if have >= wanted:
            print(f"the database already holds {have:,} complaints")
            return
        citizen_id = _bench_citizen(session)
        centres = {c["id"]: c for c in places.district_centres(session)}
        districts = session.execute(select(District.id, District.division_id).order_by(District.id)).all()
        categories = session.execute(text("SELECT id, department_id FROM categories ORDER BY id")).all()
        session.commit()
    print(f"filling {wanted - have:,} synthetic complaints (have {have:,}) ...", flush=True)
    started = time.perf_counter()
    ids = json.dumps({
        "districts": [[d, v, centres[d]["lat"], centres[d]["lon"]] for d, v in districts],
        "categories": [list(c) for c in categories],
        "statuses": [s for s, share in STATUS_SHARES for _ in range(share)],
    })
    done = have
    while done < wanted:
        size = min(FILL_BATCH, wanted - done)
        with sessions() as session:
            session.execute(text(FILL_SQL), {"n": size, "citizen": citizen_id, "data": ids})
            session.commit()
        done += size
        print(f"  {done:,} ({time.perf_counter() - started:.0f} s)", flush=True)
    with app.extensions["db_engine"].connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE complaints"))


def _bench_citizen(session) -> int:
    citizen = session.scalar(select(User.id).where(User.cnic == "9999999999990"))
    if citizen is None:
        session.add(User(role=Role.CITIZEN, full_name="Benchmark Citizen", cnic="9999999999990",
                         mobile="03999999990", password_hash="!bench", language="en", active=True))
        session.flush()
        citizen = session.scalar(select(User.id).where(User.cnic == "9999999999990"))
    return citizen


FILL_SQL = """
WITH rows AS (
    SELECT j->'districts'->(floor(random() * jsonb_array_length(j->'districts')))::int AS d,
           j->'categories'->(floor(random() * jsonb_array_length(j->'categories')))::int AS c,
           j->'statuses'->>(floor(random() * jsonb_array_length(j->'statuses')))::int AS status,
           now() - random() * interval '365 days' AS created,
           random() < 0.6 AS located,
           sqrt(-2 * ln(1 - random())) AS r, 2 * pi() * random() AS a
    FROM generate_series(1, :n) AS g CROSS JOIN (SELECT CAST(:data AS jsonb) AS j) AS data
),
numbered AS (SELECT nextval(pg_get_serial_sequence('complaints', 'id')) AS id, rows.* FROM rows)
INSERT INTO complaints (id, tracking_number, citizen_id, category_id, department_id, district_id, division_id,
                        subject, description, status, escalation_level, reopen_count, created_at, updated_at,
                        resolved_at, closed_at, latitude, longitude)
SELECT id, 'BENCH-' || id, :citizen, (c->>0)::int, (c->>1)::int, (d->>0)::int, (d->>1)::int,
       'Synthetic complaint ' || id, 'Synthetic complaint for the map benchmark.', status,
       CASE WHEN random() < 0.1 THEN 1 ELSE 0 END, 0, created, created,
       CASE WHEN status IN ('resolved', 'closed') THEN created + interval '5 days' END,
       CASE WHEN status = 'closed' THEN created + interval '8 days' END,
       CASE WHEN located THEN round(((d->>2)::numeric + 0.04 * r * cos(a))::numeric, 5) END,
       CASE WHEN located THEN round(((d->>3)::numeric + 0.04 * r * sin(a))::numeric, 5) END
FROM numbered
"""


if __name__ == "__main__":
    main()
