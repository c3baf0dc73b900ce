"""The background worker: an RQ worker on queue `portal` plus the periodic timer sweep.

`portal worker` runs it (`python worker.py` in a checkout: the same `main`).

Production
----------
Run it next to the web processes, with the same settings they have:

    PORTAL_ENV=production SECRET_KEY=... REDIS_URL=redis://redis:6379/0 \\
    DATABASE_URL=postgresql+psycopg://portal@db/portal portal worker    # python worker.py in a checkout

under a supervisor that restarts it (a systemd unit with Restart=always, a
container with a restart policy). `python worker.py` starts two processes:

- an RQ worker that works the `portal` queue (a forking `Worker`: each job runs
  in a fresh child; `--simple` runs jobs in the worker process itself, which is
  ~4x faster for short jobs but lets a crashing job take the worker down);
- RQ's CronScheduler, which enqueues each job of the one schedule table,
  `app.background.SCHEDULE`: `app.jobs.sweep_timers` every TIMER_SWEEP_SECONDS
  (default 60) seconds fires the BPMN timers that are due (15-day escalation to
  the Commissioner, 7 more days to the Chief Secretary, rating deadlines,
  systemic reviews); reminder timers every TIMER_SWEEP_SECONDS; the escalation
  digest at NOTIFY_DIGEST_CRON; outbox delivery every NOTIFY_DELIVERY_SECONDS (10);
  the sweep of orphaned stored files at FILE_SWEEP_CRON; the worker's heartbeat (`app.jobs.beat`, read
  by /readyz) every HEARTBEAT_SECONDS (30).
  The embedded server (`flask serve`) runs the same table in-process.

This process only supervises the two. SIGTERM or SIGINT (Ctrl+C) stops both:
the worker finishes the job it is running (warm shutdown), then everything
exits with status 0; a second signal interrupts the running job (cold
shutdown). A stop timeout of a minute or two is plenty (systemd
TimeoutStopSec=120): a sweep cut short loses nothing, as every instance is
fired in its own transaction and the next sweep picks up the rest. If either child dies on its own, the other
is stopped and worker.py exits with status 1 so the supervisor restarts it;
if worker.py itself is killed (even by SIGKILL) the children get SIGTERM from
the kernel (Linux PR_SET_PDEATHSIG) and stop as above.

Scaling out: several machines may each run worker.py (and one machine several,
for more job throughput). Each runs its own scheduler, so with N of them the
sweep runs about N times per interval. That is safe: the sweep locks each due
instance with FOR UPDATE SKIP LOCKED and checks it is still due before firing,
so concurrent sweeps share the due instances and never fire a timer twice;
a sweep that finds nothing due costs one indexed query. A sweep job left in
the queue for longer than one interval is dropped, the next one replaces it.

Options: `--burst` works the jobs already queued, then exits (no scheduler;
for tests and one-off operations); `--simple` uses rq's SimpleWorker.
REDIS_URL is required; the database and the rest come from the environment
exactly as for the web app (see app/settings.py).
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys

QUEUE = "portal"  # app.background.QUEUE: the queue the web side enqueues to

log = logging.getLogger("worker")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal worker", description="Citizen's Portal background worker (RQ + timer sweep).")
    parser.add_argument("--burst", action="store_true", help="work the queued jobs, then exit; no timer sweep schedule")
    parser.add_argument("--simple", action="store_true", help="run jobs in the worker process (rq SimpleWorker), no fork")
    args = parser.parse_args(argv)

    _stable_metric_files()
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if not redis_url:
        print("worker.py: REDIS_URL is not set; set it to the Redis the web app enqueues to, "
              "e.g. REDIS_URL=redis://127.0.0.1:6379/0", file=sys.stderr)
        return 2
    _configure_logging()
    problem = _check_settings(redis_url)
    if problem:
        print(f"worker.py: {problem}", file=sys.stderr)
        return 2
    if args.burst:
        return run_worker(redis_url, simple=args.simple, burst=True)
    from app.jobs import get_app

    interval = int(get_app().config["TIMER_SWEEP_SECONDS"])
    return supervise(redis_url, simple=args.simple, interval=interval)


def _check_settings(redis_url: str) -> str | None:
    """Refuse to start with bad settings or no Redis, rather than fail on the first job."""
    from redis import Redis
    from redis.exceptions import RedisError

    from app.jobs import get_app
    from app.settings import ConfigError

    try:
        get_app()
    except ConfigError as error:
        return f"bad settings: {error}"
    try:
        with Redis.from_url(redis_url) as connection:
            connection.ping()
    except (RedisError, ValueError) as error:
        return f"cannot reach Redis at REDIS_URL ({error})"
    return None


def run_worker(redis_url: str, *, simple: bool, burst: bool) -> int:
    from redis import Redis
    from rq import Queue, SimpleWorker, Worker

    from app.jobs import get_app

    app = get_app()  # built before the first fork: every work horse inherits it
    if not simple:
        warm_before_forking(app)
    else:
        collect_for_batches()
    connection = Redis.from_url(redis_url)
    worker_class = SimpleWorker if simple else Worker
    worker = worker_class([Queue(QUEUE, connection=connection)], connection=connection)
    worker.work(burst=burst, logging_level="INFO")
    return 0


def warm_before_forking(app) -> None:
    """Do once, in the worker that forks a work horse per job, what each work horse would otherwise do again on
    its first and only job: configure the ORM's mappers, parse the default diagram, compile the timer sweep's
    query (an idle sweep at a moment long past finds nothing). A child inherits all of it; a sweep job with
    nothing due then costs about what the sweep itself costs (bench/sweep.py measures both)."""
    from datetime import UTC, datetime

    from sqlalchemy.orm import configure_mappers

    from app.services.casework import deployments, timers
    from app.services.errors import NotFound

    configure_mappers()
    sessions = app.extensions["db_sessions"]
    with app.app_context():
        with sessions() as session:
            try:
                deployments.diagram_for(session, deployments.default_definition(session))
            except NotFound:
                pass  # nothing deployed yet: the first sweep that needs it parses it
        timers.fire_due_timers(sessions, now=datetime(2000, 1, 1, tzinfo=UTC))
    app.extensions["db_engine"].dispose()  # no pooled connection crosses a fork
    collect_for_batches()


def collect_for_batches() -> None:
    """Set Python's garbage collector for a process that runs jobs, once it is built and warmed.

    A job such as the timer sweep makes hundreds of thousands of short-lived objects (a batch restores two hundred
    processes), so the collector ran often, and every tenth of its runs on the young objects led to a full one,
    which walked everything the process holds: the modules, the mappers, the parsed diagram (about 190,000 objects
    already there before any job). The full runs took a sixth of the sweep's CPU (1.1 ms of an escalation's
    ~5, bench/sweep.py). What exists now is put out of the collector's sight (`gc.freeze`; it lives as long as the
    process anyway, and a forked work horse then leaves those pages unwritten), and the young objects are looked at
    after 10,000 allocations instead of 700: a batch's garbage is still collected, in fewer, larger runs."""
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def run_scheduler(redis_url: str) -> None:
    from redis import Redis
    from rq.cron import CronScheduler

    from app import jobs
    from app.background import SCHEDULE

    config = jobs.get_app().config
    scheduler = CronScheduler(connection=Redis.from_url(redis_url))
    for entry in SCHEDULE:
        scheduler.register(getattr(jobs, entry.job), QUEUE, **entry.rq_options(config))
    scheduler.start()  # installs its SIGTERM/SIGINT handlers: main thread of this process


def _worker_child(redis_url: str, simple: bool, parent: int) -> None:
    _detach(parent)
    _stable_metric_files()
    _configure_logging()
    sys.exit(run_worker(redis_url, simple=simple, burst=False))


def _scheduler_child(redis_url: str, parent: int) -> None:
    _detach(parent)
    _configure_logging()
    run_scheduler(redis_url)


def supervise(redis_url: str, *, simple: bool, interval: int) -> int:
    """Run the worker and the scheduler as two children; stop both on SIGTERM/SIGINT."""
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=_worker_child, args=(redis_url, simple, os.getpid()), name="rq-worker"),
        context.Process(target=_scheduler_child, args=(redis_url, os.getpid()), name="timer-sweep-scheduler"),
    ]
    signals = 0

    def stop_children():
        for child in children:
            if child.pid is not None and child.exitcode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGTERM)

    def forward(signum, _frame):
        # The children sit in their own process groups, so a terminal's Ctrl+C
        # reaches them once, through here: first signal warm, second cold.
        nonlocal signals
        signals += 1
        log.info("worker.py: got %s, stopping the worker and the scheduler", signal.Signals(signum).name)
        stop_children()

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for child in children:
        child.start()
    if signals:  # a signal came while the children were starting
        stop_children()
    log.info("worker.py: RQ worker pid %s on queue %r; timer sweep every %s s (scheduler pid %s)",
             children[0].pid, QUEUE, interval, children[1].pid)

    ended = multiprocessing.connection.wait([child.sentinel for child in children])
    crashed = not signals
    if crashed:
        dead = [child for child in children if child.sentinel in ended]
        for child in dead:
            child.join()  # the sentinel closes a moment before the exit status is there
        dead = [f"{c.name} (exit code {c.exitcode})" for c in dead]
        log.error("worker.py: %s stopped on its own; stopping the rest", ", ".join(dead))
        stop_children()
    for child in children:
        child.join()
    if crashed or any(child.exitcode != 0 for child in children):
        return 1
    log.info("worker.py: stopped cleanly")
    return 0


def _detach(parent: int) -> None:
    """Leave the terminal's process group (signals come through the supervisor only),
    but get SIGTERM (a warm shutdown) if the supervisor dies, even by SIGKILL."""
    os.setpgid(0, 0)
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)


def _stable_metric_files() -> None:
    """With PROMETHEUS_MULTIPROC_DIR set (worker.py beside gunicorn on one machine, sharing the directory, so
    the web's /metrics includes the worker's timers and deliveries): one set of metric files per worker
    process, not one per job. Must run before anything imports the app.

    A forking worker runs each job in a new child. Under the worker's own name the children write into
    the files their parent opened, one job at a time, to label sets the metrics module creates at import,
    before any fork. Each child starts from its parent's cached values, which never see a child's
    writes; so every increment first reads the value in the file, where the previous job left it.
    """
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    import threading

    from prometheus_client import values

    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], mode=0o700, exist_ok=True)
    name = f"rq-worker-{os.getpid()}"
    in_files_of_this_worker = values.MultiProcessValue(process_identifier=lambda: name)
    lock = threading.Lock()

    class ReadBeforeIncrement(in_files_of_this_worker):
        def inc(self, amount):
            with lock:
                self._value = self._file.read_value(self._key)[0]
                super().inc(amount)

    values.ValueClass = ReadBeforeIncrement


def _configure_logging() -> None:
    from .logs import configure_logging

    configure_logging()  # JSON lines (LOG_FORMAT=text for plain ones), a line per job with its request id


if __name__ == "__main__":
    sys.exit(main())
