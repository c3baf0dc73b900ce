"""Background jobs, run by RQ workers (`worker.py`).

A job takes plain ids and values, never Flask request objects. It builds the
application once per process with `create_app()` (settings from the
environment, exactly as the web processes read them), opens its database
sessions from `app.extensions['db_sessions']` and calls one service.

Dependency direction: `worker.py` -> `app.jobs` -> `app.services`.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime

from croniter import croniter
from flask import Flask

from . import create_app
from .models import utcnow
from .services.notifications import channels, delivery, digests, reminders
from .services.casework import timers

log = logging.getLogger(__name__)

# (pid, app): one app per process. A forking RQ worker builds it before the
# first fork, so every work horse inherits it instead of re-importing settings.
_app: tuple[int, Flask] | None = None


def get_app() -> Flask:
    """The application of this process, built on first use."""
    global _app
    pid = os.getpid()
    if _app is None:
        _app = (pid, create_app())
    elif _app[0] != pid:
        # Forked from the process that built it (an RQ work horse): keep the
        # app, but never use the parent's pooled database connections.
        _app[1].extensions["db_engine"].dispose(close=False)
        _app = (pid, _app[1])
    return _app[1]


def sweep_timers() -> dict[str, int]:
    """Fire every BPMN timer that is due now (escalations, rating deadlines...).

    Works in batches of TIMER_SWEEP_BATCH instances until a batch comes back
    short; each instance is fired and committed in its own transaction by the
    service. Safe to run in several workers at once (FOR UPDATE SKIP LOCKED).
    Returns how many instances were fired and how many failed (those are
    retried later with a growing delay).
    """
    app = get_app()
    result = timers.sweep(app.extensions["db_sessions"], batch=app.config["TIMER_SWEEP_BATCH"])
    failed = sorted(set(result.failed))
    if failed:
        log.error("timer sweep: %d instance(s) fired, %d failed: %s", len(result.fired), len(failed), failed)
    else:
        log.info("timer sweep: %d instance(s) fired", len(result.fired))
    return {"fired": len(result.fired), "failed": len(failed)}


# Notifications -------------------------------------------------------------
QUEUE = "portal"  # the queue worker.py works
# While this key lives (2 s) a delivery job was just queued: a burst of commits enqueues one
# job, and a row it misses waits at most for the next scheduled round.
DELIVER_SOON_KEY = "portal:deliver-notifications-soon"


def deliver_notifications() -> dict[str, int]:
    """Send the SMS and email notifications that are due (the outbox), in batches.

    Scheduled every NOTIFY_DELIVERY_SECONDS by worker.py and enqueued right after
    each commit that wrote notifications. Each message is sent and marked SENT in
    its own transaction (FOR UPDATE SKIP LOCKED), so several workers share the
    outbox; failures are retried with backoff, then parked for an administrator.
    """
    result = deliver_outbox(get_app())
    return {"sent": len(result.sent), "failed": len(result.failed), "parked": len(result.parked)}


def sweep_reminders() -> dict[str, int]:
    """Fire the diagram's reminder timers that are due (e.g. 3 days before an escalation)."""
    app = get_app()
    fired = reminders.fire_due_reminders(app.extensions["db_sessions"], batch=app.config["TIMER_SWEEP_BATCH"])
    log.info("reminder sweep: %d instance(s) fired", len(fired))
    return {"fired": len(fired)}


def send_digests() -> dict[str, int]:
    """Queue the daily digest of new escalations for Commissioners and the Chief Secretary."""
    sent = digests.send_escalation_digests(get_app().extensions["db_sessions"])
    log.info("escalation digests: %d queued", sent)
    return {"queued": sent}


def deliver_outbox(app: Flask) -> delivery.DeliveryResult:
    return delivery.deliver_due(
        app.extensions["db_sessions"],
        channels.senders_from_settings(app.config),
        delivery.DeliverySettings.from_settings(app.config),
    )


def notification_round(app: Flask, schedule: dict, *, now: datetime | None = None) -> None:
    """Reminders due, the daily digest when its time has come, then the outbox.

    What the embedded server (`flask serve`) runs in-process, where worker.py's
    scheduler is absent. `schedule` remembers, across rounds, when the digest
    last ran; the digest itself sends at most one per person per Pakistan day,
    so a restart after 08:00 cannot send a second.
    """
    now = now or utcnow()
    sessions = app.extensions["db_sessions"]
    reminders.fire_due_reminders(sessions, batch=app.config["TIMER_SWEEP_BATCH"])
    due = croniter(app.config["NOTIFY_DIGEST_CRON"], now).get_prev(datetime)
    if schedule.get("digest_ran_at") is None or schedule["digest_ran_at"] < due:
        digests.send_escalation_digests(sessions, now=now)
        schedule["digest_ran_at"] = now
    deliver_outbox(app)


def notification_schedules(app: Flask) -> list[tuple]:
    """(job, CronScheduler.register options) for worker.py's scheduler."""
    config = app.config
    every = int(config["NOTIFY_DELIVERY_SECONDS"])
    sweep = int(config["TIMER_SWEEP_SECONDS"])
    return [
        (deliver_notifications, {"interval": every, "job_timeout": 15 * 60, "ttl": max(every, 1), "result_ttl": 3600}),
        (sweep_reminders, {"interval": sweep, "job_timeout": 15 * 60, "ttl": max(sweep, 1), "result_ttl": 3600}),
        (send_digests, {"cron": config["NOTIFY_DIGEST_CRON"], "job_timeout": 30 * 60, "result_ttl": 7 * 24 * 3600}),
    ]


def deliver_soon(redis_url: str) -> bool:
    """Enqueue a delivery job now. Never raises: if Redis is down the notifications
    wait in the outbox and the scheduled delivery sends them once it is back."""
    from redis import Redis
    from rq import Queue

    try:
        with Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1) as connection:
            if connection.set(DELIVER_SOON_KEY, 1, nx=True, px=2000):
                Queue(QUEUE, connection=connection).enqueue(
                    deliver_notifications, job_timeout=15 * 60, result_ttl=3600, ttl=3600
                )
        return True
    except Exception as error:  # a hint only: the commit it follows has happened
        log.warning("could not enqueue notification delivery (%s); the schedule will send them", error)
        return False
