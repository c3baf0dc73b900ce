"""The timer sweep's escalations per second, with 1, 2 and 4 sweeper processes, against its floor.

    python -m bench.sweep [--database postgresql+psycopg://postgres@127.0.0.1:5432/bench_sweep]
                          [--complaints 4000] [--sweepers 1,2,4] [--rounds 1]
                          [--idle-complaints 0] [--idle-fill copy|generate] [--idle-only]

1. A fresh PostgreSQL database (dropped and made again), migrated and seeded, filled by the data generator
   with `--complaints` complaints; the moment when every open complaint's next timer is due is chosen.
2. For each sweeper count, a copy of that database (CREATE DATABASE ... TEMPLATE, so every run starts from
   the same rows) and that many processes, each running the sweep as `flask timers sweep` does, with the
   clock moved to that moment (time-machine: SpiffWorkflow reads the real clock). Timed from the moment
   all processes are ready until the last has nothing left; then checked: every due instance fired once
   (one escalation event per complaint, none twice).
3. The floor, in the same run: one process doing only what any per-instance sweep must do — select the due
   ids, lock each row (FOR UPDATE SKIP LOCKED), write it, commit — on another copy, run right before each
   sweep so that the sweep's ratio to it compares two runs seconds apart. `--rounds N` repeats steps 2-3 and
   prints the median and range of each figure: on a shared VM whose speed moves by half within minutes, one
   round cannot tell a change of 10 % from the VM's moods.
4. The idle sweep: a whole sweep when nothing is due (session, the due query, commit), median, p95 and max of
   50 after the process's first (shown apart: it compiles the query), over the complaints in the database, with the plan's node that reads process_instances and the sizes.
   `--idle-complaints N` adds N open complaints first. By default (`--idle-fill copy`) they are copies made
   in SQL of the open complaints the generator made (bench/open_copies.py: complaint, process instance
   with its state, open inbox rows; a million in minutes, then VACUUM ANALYZE): the engine did not run for
   each, which is faithful here because the idle sweep reads only the due index, and the copies give it the
   rows, table and index sizes a province would have, with the generated mix of NULL and future due
   times. `--idle-fill generate` runs the data generator for each instead (~900 a second on 2 cores).
   `--idle-only` skips steps 1-3: the database is kept as it is (not dropped; migrated and seeded if new),
   the complaints are added if asked, and only the idle sweep is measured.
   Then the idle sweep as the worker runs it: RQ's default Worker forks a work horse per job, which sweeps
   once and exits; timed from fork to exit, 15 jobs from a parent as built and from one warmed first
   (app/worker.py `warm_before_forking`).
Prints escalations/s per run, per process, the ratio to the floor, and the sweepers' own CPU (all processes together)
per escalation: what is not CPU of theirs is waiting on the database server.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta

from sqlalchemy import func, make_url, select, text

from app.db import make_engine
from app.models import InstanceStatus, ProcessInstance, utcnow

from .bench_database import ROOT, prepared_app
from .open_copies import copy_open_complaints


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_sweep")
    parser.add_argument("--complaints", type=int, default=4000)
    parser.add_argument("--sweepers", default="1,2,4")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the runs; medians are printed after")
    parser.add_argument("--idle-complaints", type=int, default=0)
    parser.add_argument("--idle-fill", choices=("copy", "generate"), default="copy")
    parser.add_argument("--idle-only", action="store_true")
    parser.add_argument("--child", choices=("sweep", "floor", "work-horses", "warmed-work-horses"), help=argparse.SUPPRESS)
    parser.add_argument("--at", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child in ("work-horses", "warmed-work-horses"):
        return _work_horses(args.database, datetime.fromisoformat(args.at), warm=args.child.startswith("warmed"))
    if args.child:
        return _child(args.child, args.database, datetime.fromisoformat(args.at))
    if args.idle_only:
        return _idle(args.database, args.idle_complaints, args.idle_fill)

    base = make_url(args.database)
    _drop(base)
    app, sessions = prepared_app(args.database)
    from app.services.demo import generator

    generator.generate(sessions, args.complaints, seed=7)
    with sessions() as session:
        running = (ProcessInstance.status == InstanceStatus.RUNNING) & ProcessInstance.next_timer_due_at.is_not(None)
        due_at = session.scalar(select(func.max(ProcessInstance.next_timer_due_at)).where(running))
        due = session.scalar(select(func.count()).where(running))
        version = session.scalar(text("SHOW server_version"))
    app.extensions["db_engine"].dispose()
    at = due_at + timedelta(minutes=1)
    print(f"PostgreSQL {version}; {args.complaints} complaints generated, {due} instances with a timer, "
          f"all due at {at:%Y-%m-%d %H:%M} UTC")

    counts = [int(n) for n in args.sweepers.split(",")]
    rounds = []
    for number in range(1, args.rounds + 1):
        runs = []
        for count in counts:
            # The floor right before each sweep: on a shared VM the speed moves within a minute, and the ratio
            # of two runs a minute apart said more about the VM than about the sweep.
            floor = _run(base, "floor", 1, at, due)
            runs.append((count, floor, _run(base, "sweep", count, at, due)))
        _print_round(number, runs)
        rounds.append(runs)
    if args.rounds > 1:
        _print_medians(counts, rounds)
    _idle(args.database, args.idle_complaints, args.idle_fill)


def _print_round(number: int, runs) -> None:
    print(f"\nround {number}")
    print(f"{'run':12} {'procs':>5} {'fired':>7} {'seconds':>8} {'per s':>8} {'per s/proc':>10} {'floor/s':>8} "
          f"{'x floor':>8} {'CPU ms/each':>11}")
    for count, (floor_fired, floor_seconds, floor_cpu), (fired, seconds, cpu) in runs:
        rate, floor_rate = fired / seconds, floor_fired / floor_seconds
        print(f"{'floor':12} {1:5d} {floor_fired:7d} {floor_seconds:8.2f} {floor_rate:8.0f} {floor_rate:10.0f} "
              f"{'':>8} {'':>8} {floor_cpu / max(floor_fired, 1) * 1000:11.2f}")
        print(f"{'timer sweep':12} {count:5d} {fired:7d} {seconds:8.2f} {rate:8.0f} {rate / count:10.0f} "
              f"{floor_rate:8.0f} {rate / floor_rate:8.2f} {cpu / max(fired, 1) * 1000:11.2f}")


def _print_medians(counts: list[int], rounds) -> None:
    """Per sweeper count, the median over the rounds of each figure (and its range)."""
    print(f"\nmedians of {len(rounds)} rounds [min-max]")
    print(f"{'procs':>5} {'per s/proc':>18} {'x floor':>18} {'CPU ms/each':>18}")
    for index, count in enumerate(counts):
        runs = [runs[index] for runs in rounds]
        per_proc = [fired / seconds / count for _, _, (fired, seconds, _) in runs]
        ratio = [(fired / seconds) / (floor[0] / floor[1]) for _, floor, (fired, seconds, _) in runs]
        cpu = [cpu / max(fired, 1) * 1000 for _, _, (fired, _, cpu) in runs]
        print(f"{count:5d} {_spread(per_proc, '.0f'):>18} {_spread(ratio, '.2f'):>18} {_spread(cpu, '.2f'):>18}")


def _spread(values: list[float], form: str) -> str:
    return f"{statistics.median(values):{form}} [{min(values):{form}}-{max(values):{form}}]"


def _run(base, kind: str, processes: int, at: datetime, due: int) -> tuple[int, float]:
    url = base.set(database=f"{base.database}_{kind}_{processes}")
    _drop(url)
    admin = _admin(base)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{url.database}" TEMPLATE "{base.database}"'))
    admin.dispose()
    rendered = url.render_as_string(hide_password=False)
    children = [subprocess.Popen([sys.executable, "-m", "bench.sweep", "--database", rendered, "--child", kind,
                                  "--at", at.isoformat()], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True) for _ in range(processes)]
    for child in children:
        assert child.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    reports = [json.loads(child.stdout.readline()) for child in children]
    seconds = time.perf_counter() - started
    fired, cpu = sum(report["fired"] for report in reports), sum(report["cpu"] for report in reports)
    for child in children:
        child.wait(timeout=60)
    if kind == "sweep":
        _check_once(rendered, due, fired)
    _drop(url)
    return fired, seconds, cpu


def _child(kind: str, url: str, at: datetime) -> None:
    """One sweeper process: set up, say ready, wait for go, sweep until nothing is due, print what it did."""
    import time_machine

    from app import background, create_app
    from app.worker import warm_before_forking

    app = create_app({"DATABASE_URL": url, "TESTING": True})
    sessions = app.extensions["db_sessions"]
    # As the worker does before it takes jobs: mappers configured, the diagram parsed, the due query compiled;
    # without it the first batch paid for all of that inside the timed run (a twentieth of it).
    warm_before_forking(app)
    with sessions() as session:  # connect before the clock starts
        session.execute(text("SELECT 1"))
    print("ready", flush=True)
    sys.stdin.readline()
    profile_to = os.environ.get("BENCH_SWEEP_PROFILE")  # a path: write the sweep's cProfile stats there
    profiler = cProfile.Profile() if profile_to and kind == "sweep" else None
    cpu = time.process_time()
    with time_machine.travel(at, tick=True):
        if profiler:
            profiler.enable()
        if kind == "sweep":
            # As the worker's job runs it (app/jobs.py): in an application context, where messages are rendered
            # under each recipient's locale and the role names of a locale are translated once.
            with app.app_context():
                fired = background.sweep_timers(app)["fired"]
        else:
            fired = _floor(sessions, at)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile_to)
    print(json.dumps({"fired": fired, "cpu": time.process_time() - cpu}), flush=True)


def _floor(sessions, at: datetime) -> int:
    """What any per-instance sweep costs at least: due ids, then lock + write + commit each."""
    done = 0
    while True:
        with sessions() as session:
            ids = session.scalars(select(ProcessInstance.id).where(
                ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.next_timer_due_at <= at)
                .order_by(ProcessInstance.next_timer_due_at, ProcessInstance.id).limit(200)).all()
        if not ids:
            return done
        for instance_id in ids:
            with sessions() as session:
                row = session.scalar(select(ProcessInstance).where(ProcessInstance.id == instance_id)
                                     .with_for_update(skip_locked=True))
                if row is None:
                    continue
                row.next_timer_due_at = None
                session.commit()
                done += 1


def _check_once(url: str, due: int, fired: int) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        twice = conn.scalar(text(
            # One escalation per complaint and level: a level reached twice was fired twice.
            "SELECT count(*) FROM (SELECT complaint_id FROM complaint_events WHERE kind = 'escalated' "
            "GROUP BY complaint_id, details::jsonb -> 'level' HAVING count(*) > 1) AS doubled"))
    engine.dispose()
    assert twice == 0, f"{twice} complaints escalated twice"
    assert fired <= due, (fired, due)


def _idle(url: str, extra: int, fill: str) -> None:
    app, sessions = prepared_app(url)
    if extra and fill == "copy":
        print(f"copying open complaints until {extra:,} more are there ...", flush=True)
        done = copy_open_complaints(app.extensions["db_engine"], extra)
        print(f"{done['copies']:,} copies of {done['templates']:,} open complaints, {done['tasks']:,} open inbox "
              f"rows, in {done['copy_seconds']:.0f} s; VACUUM ANALYZE {done['vacuum_seconds']:.0f} s", flush=True)
    elif extra:
        from app.services.demo import generator

        print(f"adding {extra} complaints for the idle sweep ...", flush=True)
        started = time.perf_counter()
        generator.generate(sessions, extra, seed=11)
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    from app.services.casework import timers

    with sessions() as session:
        open_instances = session.scalar(select(func.count()).where(ProcessInstance.status == InstanceStatus.RUNNING))
        now = session.scalar(select(func.min(ProcessInstance.next_timer_due_at)).where(
            ProcessInstance.status == InstanceStatus.RUNNING)) or utcnow()
        now -= timedelta(seconds=1)  # nothing due yet
        # An older checkout under comparison may lack the query as a function of its own: no plan then.
        plan = "\n".join(session.scalars(text("EXPLAIN " + str(timers.due_query(now, 200).compile(
            session.get_bind(), compile_kwargs={"literal_binds": True}))))) if hasattr(timers, "due_query") else "-"
        sizes = session.execute(text(
            "SELECT pg_size_pretty(pg_database_size(current_database())), "
            "pg_size_pretty(pg_total_relation_size('process_instances')), "
            "pg_size_pretty(pg_relation_size('ix_process_instances_due'))")).one()
    times = []
    for _ in range(51):  # the whole idle sweep: a session, the locking due query, the commit
        started = time.perf_counter()
        assert timers.fire_due_timers(sessions, now=now).selected == 0
        times.append(time.perf_counter() - started)
    # The process's first sweep compiles the query and its loaders (SQLAlchemy caches them): shown apart.
    first, times = times[0], times[1:]
    # A small table is read whole (the planner's choice); at scale the plan must go along the due index.
    scan = next((line.strip().lstrip("-> ").split("  (cost")[0] for line in plan.splitlines()
                 if " on process_instances" in line), plan)
    print(f"plan:\n{plan}")
    print(f"database {sizes[0]}, process_instances with its indexes {sizes[1]}, ix_process_instances_due "
          f"{sizes[2]}")
    print(f"idle sweep (nothing due; session, due query, commit) over {open_instances:,} running instances, "
          f"via {scan}: median {statistics.median(times) * 1000:.2f} ms, "
          f"p95 {statistics.quantiles(times, n=20)[-1] * 1000:.2f} ms, max {max(times) * 1000:.2f} ms "
          f"of {len(times)}; the process's first {first * 1000:.2f} ms")
    app.extensions["db_engine"].dispose()
    # As the worker runs it: RQ's default Worker forks a work horse per job, which sweeps once and exits.
    try:
        from app.worker import warm_before_forking  # noqa: F401 (an older checkout may not have it)
        kinds = ("work-horses", "warmed-work-horses")
    except ImportError:
        kinds = ("work-horses",)
    for kind in kinds:
        found = json.loads(subprocess.run(
            [sys.executable, "-m", "bench.sweep", "--database", url, "--child", kind, "--at", now.isoformat()],
            cwd=ROOT, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        print(f"an idle sweep job in a forked work horse, fork to exit, parent "
              f"{'warmed (app/worker.py warm_before_forking)' if kind.startswith('warmed') else 'as built'}: "
              f"median {statistics.median(found) * 1000:.1f} ms, max {max(found) * 1000:.1f} ms of {len(found)}")


def _work_horses(url: str, at: datetime, *, warm: bool, jobs: int = 15) -> None:
    """A worker's parent (the app built, as app/worker.py builds it) forking one child per idle sweep job."""
    from app import create_app
    from app.services.casework import timers

    app = create_app({"DATABASE_URL": url, "TESTING": True})
    sessions = app.extensions["db_sessions"]
    if warm:
        from app.worker import warm_before_forking

        warm_before_forking(app)
    times = []
    for _ in range(jobs):
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # the work horse: never the parent's connections (app/jobs.py get_app does the same)
            app.extensions["db_engine"].dispose(close=False)
            with app.app_context():
                timers.fire_due_timers(sessions, now=at)
            os._exit(0)
        os.waitpid(pid, 0)
        times.append(time.perf_counter() - started)
    print(json.dumps(times), flush=True)


def _admin(url):
    return make_engine(url.set(database="postgres").render_as_string(hide_password=False),
                       isolation_level="AUTOCOMMIT")


def _drop(url) -> None:
    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
