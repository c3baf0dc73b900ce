"""The write path in process: CPU, wall time and SQL statements per request against the one-insert floor.

    python -m bench.write_path [--database postgresql+psycopg://postgres@127.0.0.1:5432/bench_write_path]
                               [--count 300] [--rounds 3] [--no-tasks]

One invocation, one PostgreSQL database (dropped and made again, migrated, seeded as bench/http.py does),
the Flask test client for everything (no HTTP server, no load generator: what is measured is the
application's own work and its round trips):
  - baseline: bench/bare_app.py, one ORM insert and a commit per request;
  - `POST /api/v1/complaints` (JSON, no photo, an Idempotency-Key each), bearer tokens rotating;
  - task completion: the DC assigns (`POST /api/v1/tasks/<id>/completion`), then the officer resolves.
Each kind runs `--count` requests per round after a warm-up, rounds interleaved (baseline, lodging,
assign, resolve, baseline, ...) so a neighbour's load hits them alike; the median of the rounds is
printed: ms of CPU (this process, which includes the driver's side of every round trip), ms of wall
time, statements sent, and the CPU ratio baseline / kind (1.0 would be as cheap as the bare insert);
then the CPU the PostgreSQL server's processes used per request, when the server runs on this machine (every
client of it counts: run it on an otherwise idle server), and the ratio of both CPUs together.
Rate limits are raised (they are not what is measured, but their counter write still happens).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from app import create_app
from app.db import make_engine
from app.models import HumanTask, Role

from . import bare_app
from .http import DESCRIPTION, _drop_database, _prepare

SUBJECT = "Water supply cut"


class Counter:
    """Statements sent by every engine of this process."""

    def __init__(self):
        self.statements = 0
        event.listen(Engine, "before_cursor_execute", self._count)

    def _count(self, *_args):
        self.statements += 1


def database_cpu() -> float | None:
    """Seconds of CPU every PostgreSQL process of this machine has used (its backends, WAL writer, checkpointer,
    autovacuum), from /proc; None when none is visible (the server runs elsewhere)."""
    total, seen, tick = 0.0, False, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        name, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        if name.startswith("postgres"):
            seen = True
            total += (int(rest[11]) + int(rest[12])) / tick  # utime, stime
    return total if seen else None


def measure(requests, counter: Counter) -> dict:
    """ms CPU (this process, and the database server's), ms wall and statements per request of `requests`
    (a list of callables)."""
    counter.statements = 0
    server = database_cpu()
    wall, cpu = time.perf_counter(), time.process_time()
    for send in requests:
        send()
    n = len(requests)
    cpu, wall = (time.process_time() - cpu) / n * 1000, (time.perf_counter() - wall) / n * 1000
    server_after = database_cpu()
    return {"cpu": cpu, "wall": wall, "statements": counter.statements / n,
            "server": (server_after - server) / n * 1000 if server is not None else float("nan")}


def _expect(response, status: int):
    assert response.status_code == status, (response.status_code, response.data[:500])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_write_path")
    parser.add_argument("--count", type=int, default=300, help="requests of each kind per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--no-tasks", action="store_true", help="only the baseline and the lodging")
    parser.add_argument("--profile", metavar="KIND", choices=("lodging", "DC assigns", "officer resolves"),
                        help="instead of timing: profile that kind's requests (cProfile) and print where the time goes")
    args = parser.parse_args()

    _drop_database(args.database)
    people = _prepare(args.database, args.citizens)
    bare_app.create_table(args.database)
    os.environ["BARE_DATABASE_URL"] = args.database
    bare = bare_app.create_app().test_client()
    limit = 10**9
    portal_app = create_app({"DATABASE_URL": args.database, "API_SUBMIT_LIMIT": limit, "SUBMIT_LIMIT": limit,
                             "SUBMIT_LIMIT_PER_ADDRESS": limit, "TESTING": False})
    portal = portal_app.test_client()
    counter = Counter()
    sent = [0]

    def insert():
        _expect(bare.post("/insert", json={"subject": SUBJECT, "description": DESCRIPTION}), 201)

    def lodge():
        sent[0] += 1
        token = people["citizen_tokens"][sent[0] % len(people["citizen_tokens"])]
        category = people["categories"][sent[0] % len(people["categories"])]
        _expect(portal.post("/api/v1/complaints", data=json.dumps(
            {"category_id": category, "subject": SUBJECT, "description": DESCRIPTION}), headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4())}), 201)

    def complete(task_id: int, token: str, body: dict):
        return lambda: _expect(portal.post(f"/api/v1/tasks/{task_id}/completion", data=json.dumps(body), headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"}), 200)

    def open_tasks(role: Role, count: int):
        engine = make_engine(args.database)
        with engine.connect() as conn:
            rows = conn.execute(select(HumanTask.id, HumanTask.department_id, HumanTask.assignee_id).where(
                HumanTask.role == role, HumanTask.completed_at.is_(None)).order_by(HumanTask.id).limit(count)).all()
        engine.dispose()
        assert len(rows) == count, f"{len(rows)} open {role.value} tasks, {count} wanted"
        return rows

    def assignments(count: int):
        _, token = people["dc"]
        return [complete(task_id, token, {"decision": "assign", "officer_id": str(people["officers"][department][0]),
                                          "instruction": "Please see to it."})
                for task_id, department, _ in open_tasks(Role.DEPUTY_COMMISSIONER, count)]

    def resolutions(count: int):
        tokens = dict(people["officers"].values())
        return [complete(task_id, tokens[assignee], {"outcome": "resolved",
                                                     "action_taken": "The pipe was repaired and the water is back."})
                for task_id, _, assignee in open_tasks(Role.DISTRICT_OFFICER, count)]

    warm = 30
    for _ in range(warm):
        insert()
        lodge()
    if not args.no_tasks:
        for send in assignments(warm):
            send()
        for send in resolutions(warm):
            send()
    if args.profile:
        if args.profile != "lodging":
            for _ in range(args.count):  # the complaints whose tasks are profiled
                lodge()
        if args.profile == "officer resolves":
            for send in assignments(args.count):  # the officers' tasks to resolve
                send()
        return _profile({"lodging": lambda: [lodge] * args.count, "DC assigns": lambda: assignments(args.count),
                         "officer resolves": lambda: resolutions(args.count)}[args.profile]())
    results: dict[str, list[dict]] = {}
    for _ in range(args.rounds):
        results.setdefault("bare insert", []).append(measure([insert] * args.count, counter))
        results.setdefault("lodging", []).append(measure([lodge] * args.count, counter))
        if not args.no_tasks:
            # The tasks of the complaints this round lodged (and the warm-up's leftovers are done).
            results.setdefault("DC assigns", []).append(measure(assignments(args.count), counter))
            results.setdefault("officer resolves", []).append(measure(resolutions(args.count), counter))
    _report(results, args)


def _profile(requests) -> None:
    """cProfile of `requests`: the 40 functions with the most time of their own, then the most time in all."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(lambda: [send() for send in requests])
    if os.environ.get("BENCH_PROFILE_TO"):  # a path: the raw stats too, for pstats' callers and callees
        profiler.dump_stats(os.environ["BENCH_PROFILE_TO"])
    stats = pstats.Stats(profiler).strip_dirs()
    # Python function calls per request: nearly the same from run to run (unlike ms on a shared VM), so it tells
    # a small change's effect on the interpreter's work where timings drown it in noise.
    print(f"{len(requests)} requests profiled; {stats.total_calls / len(requests):,.0f} Python function calls "
          f"per request ({stats.prim_calls / len(requests):,.0f} primitive)")
    stats.sort_stats("tottime").print_stats(40)
    stats.sort_stats("cumulative").print_stats(60)


def _report(results: dict[str, list[dict]], args) -> None:
    median = {name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
              for name, runs in results.items()}
    floor = median["bare insert"]
    print(f"\n{args.count} requests per kind and round, {args.rounds} rounds, medians; in process (Flask test "
          f"client), PostgreSQL")
    print(f"{'what':20} {'ms CPU':>8} {'ms wall':>8} {'stmts':>6} {'CPU x':>7} {'wall x':>7} {'ms DB CPU':>10} "
          f"{'both x':>7}")
    for name, m in median.items():
        print(f"{name:20} {m['cpu']:8.2f} {m['wall']:8.2f} {m['statements']:6.1f} "
              f"{floor['cpu'] / m['cpu']:7.2f} {floor['wall'] / m['wall']:7.2f} {m['server']:10.2f} "
              f"{(floor['cpu'] + floor['server']) / (m['cpu'] + m['server']):7.2f}")
    print("x: the bare insert's figure divided by this one (1.00 = as cheap as one insert and a commit)\n"
          "DB CPU: the PostgreSQL server's processes on this machine (/proc; nan when it runs elsewhere), at the\n"
          "resolution of the kernel's clock ticks (10 ms) over a round; both x: the bare insert's CPU of this process\n"
          "and the server together, divided by this one's: what one machine running both would see")


if __name__ == "__main__":
    main()
