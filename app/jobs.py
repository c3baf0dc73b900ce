"""Background jobs, run by RQ workers (`worker.py`): one entry point per row of `background.SCHEDULE`.

A job takes plain ids and values, never Flask request objects. It builds the
application once per process with `create_app()` (settings from the
environment, exactly as the web processes read them) and runs one piece of
work from `app.background`, which opens its own database sessions.

Dependency direction: `worker.py` -> `app.jobs` -> `app.background` -> `app.services`.
Nothing in the application imports this module: the web side enqueues jobs by name.
"""
from __future__ import annotations

import os

from flask import Flask

from . import background, logs, request_ids
from .factory import create_app

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


def _in_app(work) -> dict[str, int]:
    """Run `work(app)` in an application context, as a request or a command has one: messages
    are rendered under each recipient's locale (flask_babel.force_locale), which needs it."""
    from rq import get_current_job

    app = get_app()
    job = get_current_job()  # None when called outside a worker (a test, a shell)
    request_id = job.meta.get(request_ids.JOB_META_KEY) if job else None
    with logs.job_logged(work.__name__, job_id=job.id if job else None, request_id=request_id) as outcome:
        with app.app_context():
            outcome["result"] = work(app)
        return outcome["result"]


def sweep_timers() -> dict[str, int]:
    """Fire every BPMN timer that is due now; safe in several workers at once (FOR UPDATE SKIP LOCKED)."""
    return _in_app(background.sweep_timers)


def sweep_reminders() -> dict[str, int]:
    return _in_app(background.sweep_reminders)


def send_digests() -> dict[str, int]:
    return _in_app(background.send_digests)


def sweep_stored_files() -> dict[str, int]:
    """Daily at FILE_SWEEP_CRON: delete the files of rolled-back transactions once their grace period is over."""
    return _in_app(background.sweep_stored_files)


def deliver_notifications() -> dict[str, int]:
    """Scheduled every NOTIFY_DELIVERY_SECONDS and enqueued right after each commit that wrote messages."""
    return _in_app(background.deliver_notifications)


def purge_sessions() -> dict[str, int]:
    """Scheduled every SESSION_PURGE_SECONDS: the rows of ended browser sessions go."""
    return _in_app(background.purge_sessions)


def purge_counters() -> dict[str, int]:
    """Scheduled every COUNTER_PURGE_SECONDS: rate-limit counters no window can need go."""
    return _in_app(background.purge_counters)


def beat() -> dict[str, int]:
    """The worker's heartbeat (/readyz): scheduled every HEARTBEAT_SECONDS."""
    return _in_app(background.beat)
