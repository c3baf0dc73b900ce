"""The portal's Prometheus series, all named `portal_*` (docs/operations.md lists them).

Two kinds:
- **counted where it happens** (requests, complaints lodged, tasks completed, timers fired, messages
  delivered): prometheus-client counters and histograms in the process that did it. Under gunicorn
  (PROMETHEUS_MULTIPROC_DIR set) each process writes its own files there and a scrape of any worker
  sums them all; `mark_process_dead` is gunicorn's `child_exit` hook (deploy/gunicorn.conf.py).
- **read at scrape time** from the database (timer lag, outbox pending/parked/undeliverable by channel,
  worker heartbeat age, instances whose timers keep failing): the truth is in the tables, shared by
  every process and machine, so any web process answers the same. Each is one indexed query.

Complaints and completed tasks are counted after the commit that wrote them (`count_commits`): a
rolled-back lodging counts nothing, whichever page, API or job did it.
"""
from __future__ import annotations

import os
from datetime import datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from ...models import (
    Channel, Complaint, DeliveryStatus, HumanTask, Incident, IncidentSource, IncidentStatus, InstanceStatus,
    Notification, ProcessInstance, WorkerHeartbeat, direct_writes,
    utcnow,
)
from . import health

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("portal_http_requests_total", "HTTP requests answered, by endpoint, method and status",
                   ["endpoint", "method", "status"])
REQUEST_SECONDS = Histogram("portal_http_request_duration_seconds", "Time to answer an HTTP request, by endpoint",
                            ["endpoint", "method"],
                            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
COMPLAINTS_LODGED = Counter("portal_complaints_lodged_total", "Complaints lodged (committed), from any channel")
TASKS_COMPLETED = Counter("portal_tasks_completed_total", "User tasks completed by a person, by the task's form",
                          ["form"])
TIMERS_FIRED = Counter("portal_timers_fired_total", "Process instances whose due timers the sweep fired")
TIMERS_FAILED = Counter("portal_timers_failed_total", "Process instances whose due timers failed to fire (retried later)")
DELIVERIES = Counter("portal_notifications_delivered_total",
                     "SMS and email delivery attempts, by channel and outcome (sent, failed, parked, undeliverable)",
                     ["channel", "outcome"])
DELIVERY_SECONDS = Histogram("portal_notification_delivery_seconds",
                             "From a message being written to its gateway accepting it, by channel", ["channel"],
                             buckets=(1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 6 * 3600, 24 * 3600))

OUTGOING = (Channel.SMS, Channel.EMAIL)
OUTCOMES = ("sent", "failed", "parked", "undeliverable")
# Every label set a job can touch exists before any fork: a forked RQ job then only writes values its
# parent's metric files already hold (see `use_stable_process_id`).
for _channel in OUTGOING:
    DELIVERY_SECONDS.labels(_channel.value)
    for _outcome in OUTCOMES:
        DELIVERIES.labels(_channel.value, _outcome)


def observe_request(method: str, endpoint: str | None, status: int, seconds: float) -> None:
    endpoint = endpoint or "none"  # unknown URLs: one series, not one per path tried
    REQUESTS.labels(endpoint, method, str(status)).inc()
    REQUEST_SECONDS.labels(endpoint, method).observe(seconds)


def observe_delivery(channel: Channel, outcome: str, *, written_at: datetime | None = None,
                     sent_at: datetime | None = None) -> None:
    DELIVERIES.labels(channel.value, outcome).inc()
    if outcome == "sent" and written_at and sent_at:
        DELIVERY_SECONDS.labels(channel.value).observe(max((sent_at - written_at).total_seconds(), 0.0))


def observe_sweep(fired: int, failed: int) -> None:
    TIMERS_FIRED.inc(fired)
    TIMERS_FAILED.inc(failed)


# Counting after the commit ------------------------------------------------------

_PENDING = "metrics_pending"


def count_commits(session_factory: sessionmaker[Session]) -> None:
    """Count lodged complaints and completed tasks when (and only when) their transaction commits."""

    @event.listens_for(session_factory, "after_flush")
    def _noted(session, _context):
        pending = session.info.setdefault(_PENDING, {"complaints": 0, "forms": []})
        pending["complaints"] += sum(isinstance(row, Complaint) for row in session.new)
        for row in session.dirty:
            if isinstance(row, HumanTask) and row.completed_by_id is not None and \
                    inspect(row).attrs.completed_by_id.history.added:
                pending["forms"].append(row.form_key)

    @event.listens_for(session_factory, "after_commit")
    def _committed(session):
        pending = session.info.pop(_PENDING, None)
        # Lodgings that wrote their complaint below the ORM (no flush saw it new).
        inserted = session.info.pop(direct_writes.INSERTED_COMPLAINTS, 0)
        if inserted:
            COMPLAINTS_LODGED.inc(inserted)
        if pending:
            if pending["complaints"]:
                COMPLAINTS_LODGED.inc(pending["complaints"])
            for form in pending["forms"]:
                TASKS_COMPLETED.labels(form).inc()

    @event.listens_for(session_factory, "after_rollback")
    def _rolled_back(session):
        session.info.pop(_PENDING, None)
        session.info.pop(direct_writes.INSERTED_COMPLAINTS, None)


# Read at scrape time -----------------------------------------------------------

class DatabaseCollector:
    """Gauges read from the tables at each scrape (one short session, indexed queries)."""

    def __init__(self, session_factory: sessionmaker[Session]):
        self.session_factory = session_factory

    def collect(self):
        now = utcnow()
        with self.session_factory() as session:
            lag = GaugeMetricFamily("portal_timer_lag_seconds",
                                    "How long the oldest due BPMN timer of a running process has waited (0: none due)")
            lag.add_metric([], health.timer_lag(session, now))
            failing = GaugeMetricFamily("portal_timers_failing",
                                        "Running process instances whose last timer firing failed (retried with back-off)")
            failing.add_metric([], session.scalar(select(func.count()).select_from(ProcessInstance).where(
                ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.timer_failures > 0)) or 0)
            incidents = GaugeMetricFamily("portal_incidents_open",
                                          "Open incidents (processes that failed at run time), by what was running",
                                          labels=["source"])
            open_counts = dict(session.execute(select(Incident.source, func.count()).where(
                Incident.status == IncidentStatus.OPEN).group_by(Incident.source)).all())
            for source in IncidentSource:
                incidents.add_metric([source.value], open_counts.get(source, 0))
            outbox = GaugeMetricFamily("portal_outbox_messages",
                                       "SMS and email rows waiting (pending), given up (parked) or with nowhere to go "
                                       "(undeliverable), by channel", labels=["channel", "status"])
            counts = dict.fromkeys(((c, s) for c in OUTGOING for s in (DeliveryStatus.PENDING, DeliveryStatus.PARKED,
                                                                       DeliveryStatus.UNDELIVERABLE)), 0)
            for channel, status, count in session.execute(
                    select(Notification.channel, Notification.status, func.count())
                    .where(Notification.status.in_([s for _, s in counts]), Notification.channel.in_(OUTGOING))
                    .group_by(Notification.channel, Notification.status)):
                counts[(channel, status)] = count
            for (channel, status), count in counts.items():
                outbox.add_metric([channel.value, status.value], count)
            beats = GaugeMetricFamily("portal_worker_heartbeat_age_seconds",
                                      "Seconds since each worker's last heartbeat (no series: no worker ever beat)",
                                      labels=["worker"])
            for name, beat_at in session.execute(select(WorkerHeartbeat.name, WorkerHeartbeat.beat_at)):
                beats.add_metric([name], health.heartbeat_age(beat_at, now))
        yield from (lag, failing, incidents, outbox, beats)


def exposition(session_factory: sessionmaker[Session]) -> bytes:
    """Everything, in the Prometheus text format: this process's (or, under gunicorn, all processes')
    counters, then the gauges read from the database."""
    if os.environ.get(MULTIPROCESS_DIR):
        from prometheus_client import multiprocess

        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    from_database = CollectorRegistry()
    from_database.register(DatabaseCollector(session_factory))
    return generate_latest(counted) + generate_latest(from_database)


def mark_process_dead(pid: int) -> None:
    """gunicorn's child_exit hook: a dead worker's live gauges leave the sum (its counters stay counted)."""
    if os.environ.get(MULTIPROCESS_DIR):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)

