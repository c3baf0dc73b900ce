"""Benchmark (not a test): public statistics and tier dashboards at province scale on PostgreSQL.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        python bench/dashboards.py --complaints 1000000

Creates the database if missing, migrates it, seeds the organisation and the
diagram, generates complaints until there are N (timing the generator), then
measures in one run, against a bare `SELECT 1` round trip on the same
connection pool: the public statistics (computed uncached, and the page as
served from the 60 s cache), and each tier dashboard page (p95 over
--requests calls). Prints every figure also as a ratio to the baseline.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import func, make_url, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.models import Complaint, District, Role, User  # noqa: E402
from app.services import accounts, demo, generator  # noqa: E402
from app.services import statistics as public  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30, help="calls per measured page")
    parser.add_argument("--generator-sample", type=int, default=2000,
                        help="complaints generated to time the generator when the database is already full")
    parser.add_argument("--engine-complaints", type=int, default=None,
                        help="generate only this many through the engine, then copy their complaint rows up to "
                             "--complaints (read-load only: the copies have no process; see README)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench")
    _create_database(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    sessions = app.extensions["db_sessions"]
    with sessions() as session:
        demo.seed(session, ROOT / "bpmn", with_demo=False)
        session.commit()
        have = generator.complaint_count(session)
    rate = None
    engine_target = min(args.engine_complaints or args.complaints, args.complaints)
    # Always time the generator, on at least --generator-sample complaints.
    todo = max(engine_target - have, args.generator_sample)
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
    with sessions() as session:
        copied = _replicate(session, args.complaints)
        session.execute(text("ANALYZE"))
        session.commit()
        total = generator.complaint_count(session)
        users = _tier_users(session)

    with app.app_context():
        baseline = _times(lambda s: s.execute(text("SELECT 1")).scalar(), sessions, 200)
        compute = _times(lambda s: public.public_stats(s), sessions, args.requests)
    client = app.test_client()
    client.get("/statistics")  # fill the cache
    page_cached = _http(client, "/statistics", args.requests)
    json_cached = _http(client, "/api/public/stats", args.requests)

    def uncached_page():
        app.extensions["public_stats"]["expires"] = 0
    page_uncached = _http(client, "/statistics", args.requests, before=uncached_page)
    dashboards = {}
    for name, user in users.items():
        with client.session_transaction() as flask_session:
            flask_session["_user_id"], flask_session["_fresh"] = str(user.id), True
        dashboards[name] = _http(client, "/dashboard", args.requests)
        dashboards[name + " CSV officers"] = _http(client, "/dashboard/officers.csv", max(args.requests // 3, 5))

    base = statistics.median(baseline)
    print(f"\nN = {total} complaints; PostgreSQL {_server_version(sessions)}; {os.cpu_count()} CPUs")
    if rate:
        print(f"generator: {rate:.0f} complaints/s (timed on {todo} complaints)")
    if copied:
        print(f"(of which {copied} are copies of generated complaint rows, added by this run for read load)")
    print(f"baseline SELECT 1 round trip: median {base * 1000:.2f} ms\n")
    print(f"{'measure':44} {'median ms':>10} {'p95 ms':>10} {'p95/SELECT 1':>13}")
    rows = [("public stats, computed (no cache)", compute), ("GET /statistics (cached)", page_cached),
            ("GET /api/public/stats (cached)", json_cached), ("GET /statistics (while it refreshes)", page_uncached)]
    rows += [(f"GET /dashboard {name}", t) for name, t in dashboards.items()]
    for name, times in rows:
        p95 = _p95(times)
        print(f"{name:44} {statistics.median(times) * 1000:10.1f} {p95 * 1000:10.1f} {p95 / base:13.0f}")


COLUMNS = ("citizen_id, category_id, department_id, district_id, division_id, subject, description, address, "
           "latitude, longitude, status, escalation_level, officer_id, next_deadline_at, rating, satisfied, "
           "reopen_count, closure, created_at, updated_at, resolved_at, closed_at")


def _replicate(session, target: int) -> int:
    """Copy complaint rows of generated complaints until there are `target` (tracking numbers KP-R...).

    Only for measuring reads at a size the engine-bound generator cannot reach
    in the time at hand: the copies keep the same states, places and times,
    but have no process instance, tasks or timeline.
    """
    have = generator.complaint_count(session)
    engine_made = session.scalar(text("SELECT count(*) FROM complaints WHERE tracking_number NOT LIKE 'KP-R%'"))
    copied = 0
    while have < target:
        n = min(target - have, 200_000)
        session.execute(text(
            f"INSERT INTO complaints (id, tracking_number, {COLUMNS}) "
            f"SELECT nid, 'KP-R' || nid, {COLUMNS} FROM ("
            f"  SELECT nextval(pg_get_serial_sequence('complaints', 'id')) AS nid, {COLUMNS}"
            f"  FROM complaints CROSS JOIN generate_series(1, :k)"
            f"  WHERE tracking_number NOT LIKE 'KP-R%' LIMIT :n) AS source"
        ), {"n": n, "k": n // max(engine_made, 1) + 1})
        session.commit()
        have = generator.complaint_count(session)
        copied += n
        print(f"  copied rows: {have} complaints", flush=True)
    return copied


def _create_database(url: str) -> None:
    parsed = make_url(url)
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}):
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


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
