"""Work that runs outside requests: what runs periodically, and a hint that sends a commit's messages at once.

`SCHEDULE` is the one table of periodic work. `worker.py` registers each entry
with RQ's cron scheduler (the job is the function of the same name in
`app.jobs`, which builds the app and calls the work below); the embedded
server (`flask serve`: SQLite, no Redis) runs the same table in a thread of its
own (`run_embedded`). Every piece of work is safe to run in several processes
at once (the sweeps lock row by row, the digest locks each recipient).

After a commit that wrote SMS or email rows, `install_delivery_hint` enqueues
a delivery job at once instead of waiting for the next scheduled round.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from croniter import croniter
from flask import Flask

from . import request_ids
from .models import utcnow
from .services.casework import file_inventory, timers
from .services.notifications import channels, delivery, digests, reminders
from .services import rate_limits
from .services.people import user_sessions
from .services.operations import health, metrics

log = logging.getLogger(__name__)

QUEUE = "portal"  # the queue worker.py works
# While this key lives (2 s) a delivery job was just queued: a burst of commits enqueues one
# job, and a row it misses waits at most for the next scheduled round.
DELIVER_SOON_KEY = "portal:deliver-notifications-soon"


# The work, each given the app -------------------------------------------------

def sweep_timers(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Fire every BPMN timer that is due (escalations, rating deadlines, systemic reviews)."""
    result = timers.sweep(app.extensions["db_sessions"], batch=app.config["TIMER_SWEEP_BATCH"])
    failed = sorted(set(result.failed))
    metrics.observe_sweep(len(result.fired), len(failed))
    if failed:
        log.error("timer sweep: %d instance(s) fired, %d failed: %s", len(result.fired), len(failed), failed)
    else:
        log.info("timer sweep: %d instance(s) fired", len(result.fired))
    return {"fired": len(result.fired), "failed": len(failed)}


def sweep_reminders(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Fire the diagram's reminder timers that are due (e.g. 3 days before an escalation)."""
    fired = reminders.fire_due_reminders(app.extensions["db_sessions"], now=now, batch=app.config["TIMER_SWEEP_BATCH"])
    log.info("reminder sweep: %d instance(s) fired", len(fired))
    return {"fired": len(fired)}


def send_digests(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Queue the daily digest of new escalations for Commissioners and the Chief Secretary."""
    sent = digests.send_escalation_digests(app.extensions["db_sessions"], now=now)
    log.info("escalation digests: %d queued", sent)
    return {"queued": sent}


def deliver_notifications(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Send the SMS and email notifications that are due (the outbox); failures back off, then park."""
    result = deliver_outbox(app, now=now)
    return {"sent": len(result.sent), "failed": len(result.failed), "parked": len(result.parked),
            "undeliverable": len(result.undeliverable)}


def purge_sessions(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Drop the rows of signed-in browsers that have ended (idle too long or past their lifetime)."""
    with app.extensions["db_sessions"]() as session:
        purged = user_sessions.purge_sessions(session, limits=user_sessions.SessionLimits.from_settings(app.config),
                                              now=now)
        session.commit()
    log.info("session purge: %d ended session(s) dropped", purged)
    return {"purged": purged}


def purge_counters(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Drop rate-limit counters no window can need any more (once a counted request did this, at a cost of a
    statement in most lodgings: each citizen's first in a window opens a new counter)."""
    with app.extensions["db_sessions"]() as session:
        purged = rate_limits.purge_counters(session, before=(now or utcnow()) - rate_limits.MAX_WINDOW)
        session.commit()
    log.info("counter purge: %d spent rate-limit counter(s) dropped", purged)
    return {"purged": purged}


def deliver_outbox(app: Flask, *, now: datetime | None = None) -> delivery.DeliveryResult:
    return delivery.deliver_due(
        app.extensions["db_sessions"],
        channels.senders_from_settings(app.config),
        delivery.DeliverySettings.from_settings(app.config),
        now=now,
    )


def sweep_stored_files(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Delete stored files no attachment names (left by rolled-back transactions) after the grace period."""
    with app.extensions["db_sessions"]() as session:
        deleted = file_inventory.delete_orphans(session, app.extensions["file_store"], now=now,
                                                grace=timedelta(hours=app.config["FILE_ORPHAN_GRACE_HOURS"]))
    log.info("stored files: %d orphan(s) deleted", deleted)
    return {"deleted": deleted}


def beat(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Write this worker's heartbeat, which /readyz reads: the schedule, the queue and a worker all work."""
    health.record_heartbeat(app.extensions["db_sessions"], app.extensions.get(WORKER_KIND, "rq"), now=now)
    return {"beat": 1}


# Which kind of worker runs the schedule in this process: "rq" (worker.py) unless run_embedded says so.
WORKER_KIND = "worker_kind"


# The schedule -----------------------------------------------------------------

@dataclass(frozen=True)
class Periodic:
    """One periodic job: every `every` seconds or at `cron` (each the name of a setting)."""

    job: str  # the name of the work above and of its RQ entry point in app.jobs
    work: Callable[..., dict]
    every: str | None = None
    cron: str | None = None
    timeout: int = 15 * 60  # a sweep fires row by row; this bounds a pathological one
    result_ttl: int = 3600

    def rq_options(self, config) -> dict:
        """Options for rq.cron.CronScheduler.register. A job still queued after one interval is
        dropped (`ttl`): the next one replaces it."""
        options = {"job_timeout": self.timeout, "result_ttl": self.result_ttl}
        if self.cron:
            return {**options, "cron": config[self.cron]}
        interval = int(config[self.every])
        return {**options, "interval": interval, "ttl": max(interval, 1)}

    def due(self, config, last_run: datetime | None, now: datetime) -> bool:
        if last_run is None:
            return True
        if self.cron:
            return last_run < croniter(config[self.cron], now).get_prev(datetime)
        return (now - last_run).total_seconds() >= int(config[self.every])


# In this order in the embedded loop: timers first, so a reminder that its escalation
# has overtaken is dropped; the outbox last, so what the others queued goes out at once.
SCHEDULE: tuple[Periodic, ...] = (
    Periodic("sweep_timers", sweep_timers, every="TIMER_SWEEP_SECONDS", result_ttl=24 * 3600),
    Periodic("sweep_reminders", sweep_reminders, every="TIMER_SWEEP_SECONDS"),
    Periodic("send_digests", send_digests, cron="NOTIFY_DIGEST_CRON", timeout=30 * 60, result_ttl=7 * 24 * 3600),
    Periodic("deliver_notifications", deliver_notifications, every="NOTIFY_DELIVERY_SECONDS"),
    Periodic("sweep_stored_files", sweep_stored_files, cron="FILE_SWEEP_CRON", timeout=60 * 60, result_ttl=7 * 24 * 3600),
    Periodic("purge_sessions", purge_sessions, every="SESSION_PURGE_SECONDS"),
    Periodic("purge_counters", purge_counters, every="COUNTER_PURGE_SECONDS"),
    Periodic("beat", beat, every="HEARTBEAT_SECONDS", timeout=60, result_ttl=60),
)


def run_due(app: Flask, last_runs: dict[str, datetime], *, now: datetime | None = None,
            only: Iterable[str] | None = None) -> list[str]:
    """Run every entry of SCHEDULE that is due at `now` (all of them the first time); returns their names.

    `last_runs` remembers, across calls, when each entry last ran. The digest sends at
    most one per person per Pakistan day itself, so a restart after its hour cannot
    send a second.
    """
    now = now or utcnow()
    ran = []
    for entry in SCHEDULE:
        if (only is not None and entry.job not in only) or not entry.due(app.config, last_runs.get(entry.job), now):
            continue
        with app.app_context():
            entry.work(app, now)
        last_runs[entry.job] = now
        ran.append(entry.job)
    return ran


def run_embedded(app: Flask) -> threading.Thread:
    """The schedule in a daemon thread of this process: the embedded server's worker."""
    app.extensions[WORKER_KIND] = "embedded"
    tick = min(int(app.config[entry.every]) for entry in SCHEDULE if entry.every)

    def loop():
        last_runs: dict[str, datetime] = {}
        while True:
            try:
                run_due(app, last_runs)
            except Exception:
                log.exception("background work failed; retrying in %s s", tick)
            time.sleep(tick)

    thread = threading.Thread(target=loop, name="background-schedule", daemon=True)
    thread.start()
    return thread


# Delivering a commit's messages at once ----------------------------------------

def install_delivery_hint(app: Flask) -> None:
    """With Redis configured, every commit that wrote SMS or email rows enqueues a delivery job."""
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        delivery.deliver_after_commit(app.extensions["db_sessions"], partial(deliver_soon, redis_url))


def deliver_soon(redis_url: str) -> bool:
    """Enqueue a delivery job now. Never raises: if Redis is down the notifications
    wait in the outbox and the scheduled delivery sends them once it is back."""
    from redis import Redis
    from rq import Queue

    try:
        with Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1) as connection:
            if connection.set(DELIVER_SOON_KEY, 1, nx=True, px=2000):
                # By name: the job module builds an app of its own, this one must not import it.
                Queue(QUEUE, connection=connection).enqueue(
                    "app.jobs.deliver_notifications", job_timeout=15 * 60, result_ttl=3600, ttl=3600,
                    meta=request_ids.job_meta(),  # the worker logs the request whose commit asked for it
                )
        return True
    except Exception as error:  # a hint only: the commit it follows has happened
        log.warning("could not enqueue notification delivery (%s); the schedule will send them", error)
        return False
