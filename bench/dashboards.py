"""Benchmark (not a test): public statistics and tier dashboards at province scale on PostgreSQL.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        python -m bench.dashboards --complaints 1000000

Creates the database if missing, migrates it, seeds the organisation and the
diagram, generates complaints through the process engine until there are N
(timing the generator), checks the aggregate tables against a recount, then
measures in one run, against a bare `SELECT 1` round trip on the same
connection pool: the public statistics computed from the aggregates with no
cache, the pages as served (from the one-minute snapshot, and recomputed on
the request), an area page, each tier dashboard (p95 over --requests calls)
and its CSV, and what keeping the aggregates costs a write (lodging a
complaint with and without the hook, rolled back). Prints every figure also
as a ratio to the baseline.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.models import Complaint, District, Role, User  # noqa: E402
from app.services.people import accounts
from app.services.demo import generator
from app.services.statistics import aggregates
from app.services.statistics import figures as public
from bench.bench_database import prepared_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30, help="calls per measured page")
    parser.add_argument("--check", action="store_true", help="also compare the aggregates with a full recount")
    parser.add_argument("--generator-sample", type=int, default=2000,
                        help="complaints generated to time the generator when the database is already full")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench")
    app, sessions = prepared_app(url, WTF_CSRF_ENABLED=False)
    with sessions() as session:
        have = generator.complaint_count(session)
    rate = None
    # Always time the generator, on at least --generator-sample complaints.
    todo = max(args.complaints - have, args.generator_sample)
    if todo:
        print(f"generating {todo} complaints (have {have}) ...", flush=True)
        started = time.perf_counter()
        done = [0]

        def progress(n):
            done[0] += n
            if done[0] % (args.batch * 20) == 0:
                el = time.perf_counter() - started
                print(f"  {done[0]} in {el:.0f} s ({done[0] / el:.0f}/s)", flush=True)

        generator.generate(sessions, todo, batch_size=args.batch, progress=progress)
        rate = todo / (time.perf_counter() - started)
    # What autovacuum keeps up in production: statistics for the planner, a current
    # visibility map for index-only counts. VACUUM cannot run inside a transaction.
    with app.extensions["db_engine"].connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    with sessions() as session:
        total = generator.complaint_count(session)
        if args.check:
            started = time.perf_counter()
            found = aggregates.differences(session, limit=5)
            print(f"aggregates vs a recount of {total} complaints: {'in step' if not found else 'DIFFER'} "
                  f"({time.perf_counter() - started:.0f} s)", *found, sep="\n  ", flush=True)
            session.rollback()
        users = _tier_users(session)
        area = session.scalar(select(District.id).order_by(District.id).limit(1))

    with app.app_context():
        baseline = _times(lambda s: s.execute(text("SELECT 1")).scalar(), sessions, 200)
        compute = _times(lambda s: public.public_stats(s), sessions, args.requests)
    client = app.test_client()
    client.get("/statistics")  # fill the cache
    page_cached = _http(client, "/statistics", args.requests)
    json_cached = _http(client, "/api/public/stats", args.requests)

    def no_snapshot():
        app.extensions["public_stats"].value = None  # the request computes the figures itself
    page_uncached = _http(client, "/statistics", args.requests, before=no_snapshot)
    json_uncached = _http(client, "/api/public/stats", args.requests, before=no_snapshot)
    area_page = _http(client, f"/statistics/district/{area}", args.requests)
    writes = _write_cost(app, sessions, users["DC"], args.requests * 3)
    dashboards, everyday = {}, {}
    for name, user in users.items():
        with client.session_transaction() as flask_session:
            flask_session["_user_id"], flask_session["_fresh"] = user.get_id(), True
        dashboards[name] = _http(client, "/dashboard", args.requests)
        dashboards[name + " CSV officers"] = _http(client, "/dashboard/officers.csv", max(args.requests // 3, 5))
        # The pages staff work from all day, on the same data.
        everyday[f"GET /inbox {name}"] = _http(client, "/inbox", args.requests)
        everyday[f"GET /complaints {name}"] = _http(client, "/complaints", args.requests)
        everyday[f"GET /complaints?overdue=1 {name}"] = _http(client, "/complaints?overdue=1", args.requests)

    base = statistics.median(baseline)
    print(f"\nN = {total} complaints; PostgreSQL {_server_version(sessions)}; {os.cpu_count()} CPUs")
    if rate:
        print(f"generator: {rate:.0f} complaints/s (timed on {todo} complaints)")
    print(f"baseline SELECT 1 round trip: median {base * 1000:.2f} ms\n")
    print(f"{'measure':44} {'median ms':>10} {'p95 ms':>10} {'p95/SELECT 1':>13}")
    rows = [("public stats, computed (no cache)", compute), ("GET /statistics (snapshot)", page_cached),
            ("GET /api/public/stats (snapshot)", json_cached), ("GET /statistics (computed)", page_uncached),
            ("GET /api/public/stats (computed)", json_uncached), ("GET /statistics/district/<id>", area_page),
            ("lodge a complaint, aggregates kept", writes["with"]),
            ("lodge a complaint, hook removed (baseline)", writes["without"])]
    rows += [(f"GET /dashboard {name}", t) for name, t in dashboards.items()]
    rows += list(everyday.items())
    for name, times in rows:
        p95 = _p95(times)
        print(f"{name:44} {statistics.median(times) * 1000:10.1f} {p95 * 1000:10.1f} {p95 / base:13.0f}")


def _write_cost(app, sessions, dc, n) -> dict[str, list[float]]:
    """Lodging one complaint (service call + flush, rolled back) with the aggregate hook and without it."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app.models import statistics_upkeep
    from app.services.casework import complaints
    from app.services.organisation import categories_by_department

    with sessions() as session:
        citizen = session.scalar(select(User).where(User.role == Role.CITIZEN, User.district_id == dc.district_id))
        category = categories_by_department(session)[0][1][0]
    data = complaints.ComplaintInput(category.id, dc.district_id, "Benchmark complaint",
                                     "A complaint lodged by the benchmark and rolled back at once.")

    def lodge(session):
        complaints.submit_complaint(session, session.merge(citizen), data)
        session.flush()
        statistics_upkeep.write_pending(session)  # what the commit would write

    result = {"with": _times(lodge, sessions, n)}
    event.remove(Session, "after_flush", statistics_upkeep._keep_aggregates_in_step)
    try:
        result["without"] = _times(lodge, sessions, n)
    finally:
        event.listen(Session, "after_flush", statistics_upkeep._keep_aggregates_in_step)
    return result


def _tier_users(session) -> dict:
    """A DC (of the busiest district), that division's Commissioner, the Chief Secretary (created once)."""
    district_id = session.scalar(select(Complaint.district_id).group_by(Complaint.district_id)
                                 .order_by(func.count().desc()).limit(1))
    district = session.get(District, district_id)
    wanted = {
        "DC": (Role.DEPUTY_COMMISSIONER, "bench.dc", {"district_id": district.id}),
        "Commissioner": (Role.COMMISSIONER, "bench.commissioner", {"division_id": district.division_id}),
        "Chief Secretary": (Role.CHIEF_SECRETARY, "bench.cs", {}),
    }
    users = {}
    for name, (role, username, scope) in wanted.items():
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = accounts.create_staff(session, accounts.StaffInput(
                role=role, full_name=f"Bench {name}", username=username, password="bench-password-1", **scope))
            session.commit()
        users[name] = user
    return users


def _times(work, sessions, n) -> list[float]:
    times = []
    with sessions() as session:
        for _ in range(n):
            started = time.perf_counter()
            work(session)
            times.append(time.perf_counter() - started)
            session.rollback()
    return times


def _http(client, path, n, before=None) -> list[float]:
    times = []
    for _ in range(n):
        if before:
            before()
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return times


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _server_version(sessions) -> str:
    with sessions() as session:
        return session.scalar(text("SHOW server_version"))


if __name__ == "__main__":
    main()
