"""The id of the request (or job) this code runs for, without Flask, so services and jobs can carry it.

`app/observability.py` binds it at the start of each request (from a valid X-Request-ID, else a new
one); `app/jobs.py` binds the id a job was enqueued with; log lines and error reports read it here.
"""
from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

# Letters, digits and - _ . : only, at most 64: a load balancer's or a phone's id passes, nothing that could
# break a log line or a header, and no room for a message or personal data to ride along.
VALID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
JOB_META_KEY = "request_id"  # where an RQ job keeps the id of the request that enqueued it

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def accepted(candidate: str | None) -> str:
    """The caller's id when it is valid, else a new one."""
    if candidate and VALID.fullmatch(candidate):
        return candidate
    return uuid.uuid4().hex


def bind(request_id: str | None):
    """Make `request_id` current; returns the token to `reset` it with."""
    return _current.set(request_id)


def reset(token) -> None:
    _current.reset(token)


def current() -> str | None:
    return _current.get()


def job_meta() -> dict:
    """What to give an RQ job as `meta`, so the worker logs the request that enqueued it."""
    request_id = current()
    return {JOB_META_KEY: request_id} if request_id else {}
