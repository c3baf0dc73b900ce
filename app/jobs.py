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

from flask import Flask

from . import create_app
from .services import timers

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
