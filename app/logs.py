"""Logs as JSON lines: one object per line, with the id of the request (or job) it belongs to.

`configure_logging()` is called by the processes that own their logging: worker.py, `flask serve` and
gunicorn (deploy/gunicorn.conf.py), never by the app factory. Lines carry no personal data: the request
line names the user by id, never by name, number or CNIC, and no message body is ever logged
(docs/operations.md, Logs).
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone

from . import request_ids

REQUESTS = logging.getLogger("portal.request")
JOBS = logging.getLogger("portal.job")
# A record's structured fields ride in `extra={FIELDS: {...}}` and become keys of its JSON object.
FIELDS = "portal_fields"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_ids.current()
        if request_id:
            line["request_id"] = request_id
        line.update(getattr(record, FIELDS, None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _stamp_request_ids() -> None:
    """Every log record remembers the request id current when it was made, whenever and wherever it is formatted."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "stamps_request_ids", False):
        return

    def record_with_request_id(*args, **kwargs):
        record = make_record(*args, **kwargs)
        record.request_id = request_ids.current()
        return record

    record_with_request_id.stamps_request_ids = True
    logging.setLogRecordFactory(record_with_request_id)


_stamp_request_ids()


def configure_logging(level: str | None = None) -> None:
    """JSON lines on stderr for this process (LOG_FORMAT=text for plain lines when reading them by eye)."""
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("LOG_FORMAT", "json").lower() == "text":
        handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or os.environ.get("LOG_LEVEL", "INFO"))
    # SpiffWorkflow logs every task state change at INFO: a dozen lines per fired timer.
    logging.getLogger("spiff").setLevel(logging.WARNING)


def log_request(*, method: str, path: str, endpoint: str | None, status: int, duration: float,
                user_id: int | None) -> None:
    REQUESTS.info("%s %s %s", method, path, status, extra={FIELDS: {
        "method": method, "path": path, "endpoint": endpoint, "status": status,
        "duration_ms": round(duration * 1000, 1), "user_id": user_id,
    }})


@contextmanager
def job_logged(name: str, *, job_id: str | None, request_id: str | None):
    """One line per job, with the request that enqueued it (if any) bound for the lines logged inside."""
    token = request_ids.bind(request_id)
    started = time.perf_counter()
    fields = {"job": name, "job_id": job_id}
    outcome: dict = {}
    try:
        yield outcome
    except BaseException:
        JOBS.error("job %s failed", name, exc_info=True, extra={FIELDS: {
            **fields, "status": "failed", "duration_ms": round((time.perf_counter() - started) * 1000, 1)}})
        raise
    else:
        JOBS.info("job %s finished", name, extra={FIELDS: {
            **fields, "status": "finished", "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "result": outcome.get("result")}})
    finally:
        request_ids.reset(token)
