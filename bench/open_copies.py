"""A million open complaints in minutes, for the idle sweep: copies, in SQL, of the open ones already there.

The data generator (app/services/demo/generator.py) runs the engine's routes and
writes about 900 complaints a second on these machines: a million takes some
twenty minutes of both cores. The idle sweep (nothing due) reads only the due
index of process_instances, so what it needs is the tables and indexes a
province with a million open complaints would have, not a million histories.
`copy_open_complaints` makes them from the running instances the generator left
(the templates), by INSERT ... SELECT over generate_series, one transaction per
batch. Each copy is:

- a complaints row: the template's columns, a new id and a tracking number of
  its own, beginning with COPY_PREFIX (so copies are told apart, and never
  taken as templates);
- its process_instances row: the template's state, definition and notice time,
  status running, lock version 1; its next_timer_due_at NULL where the
  template's is NULL (a complaint waiting on a person with no deadline), else
  the template's due time moved later by up to a day (spread over the copies,
  so the index holds distinct times as a province's would). A copy is never
  due before its template;
- its open inbox rows (human_tasks with no completed_at): the template's, with a
  new task guid and the copy's ids.

These are copies: the engine did not run for each, no timeline events, outbox
rows or aggregate counts are written for them, and a copy's saved state still
names its template's timer moment (a day earlier at most than its column says).
They are for measuring reads that never open the state; they are not for
sweeping when due.
"""
from __future__ import annotations

import time

from sqlalchemy import text

from app.models import Complaint, HumanTask, ProcessInstance

COPY_PREFIX = "CP-"
BATCH = 100_000


def copy_open_complaints(engine, count: int, *, batch: int = BATCH, progress=print) -> dict:
    """Add `count` open complaints copied from the running ones not copied themselves; ANALYZE after.

    Returns what was done: copies, open inbox rows written, templates, seconds.
    """
    started = time.perf_counter()
    tasks = 0
    with engine.connect() as conn:
        conn.execute(text(
            "CREATE TEMP TABLE copy_templates AS "
            "SELECT (row_number() OVER (ORDER BY i.id) - 1)::int AS k, i.id AS instance_id, "
            "       i.complaint_id "
            "FROM process_instances i JOIN complaints c ON c.id = i.complaint_id "
            f"WHERE i.status = 'running' AND c.tracking_number NOT LIKE '{COPY_PREFIX}%'"))
        templates = conn.scalar(text("SELECT count(*) FROM copy_templates"))
        if not templates and count:
            raise SystemExit("no running complaints to copy: generate some first (--complaints)")
        for start in range(0, count, batch):
            stop = min(start + batch, count)
            tasks += _copy_batch(conn, start, stop, count, templates)
            conn.commit()
            progress(f"  {stop:,} of {count:,} copies ({time.perf_counter() - started:.0f} s)")
        conn.execute(text("DROP TABLE copy_templates"))
        conn.commit()
    copied = time.perf_counter() - started
    # VACUUM (not only ANALYZE) so autovacuum does not start on the new rows during the measurement.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) complaints, process_instances, human_tasks"))
    return {"copies": count, "tasks": tasks, "templates": templates, "copy_seconds": copied,
            "vacuum_seconds": time.perf_counter() - started - copied}


def _copy_batch(conn, start: int, stop: int, count: int, templates: int) -> int:
    """Copies number start..stop-1 (each of a template, in turn); returns the inbox rows written."""
    conn.execute(text(
        "CREATE TEMP TABLE copy_map ON COMMIT DROP AS "
        "SELECT g, t.instance_id AS from_instance, t.complaint_id AS from_complaint, "
        "       nextval(pg_get_serial_sequence('complaints', 'id'))::int AS complaint_id, "
        "       nextval(pg_get_serial_sequence('process_instances', 'id'))::int AS instance_id "
        "FROM generate_series(:start, :stop - 1) AS g JOIN copy_templates t ON t.k = g % :templates"),
        {"start": start, "stop": stop, "templates": templates})
    kept = _columns(Complaint, "id", "tracking_number")
    conn.execute(text(
        f"INSERT INTO complaints (id, tracking_number, {', '.join(kept)}) "
        f"SELECT m.complaint_id, '{COPY_PREFIX}' || lpad(m.complaint_id::text, 10, '0'), "
        f"       {', '.join('c.' + name for name in kept)} "
        "FROM copy_map m JOIN complaints c ON c.id = m.from_complaint ORDER BY m.g"))
    kept = _columns(ProcessInstance, "id", "complaint_id", "status", "next_timer_due_at", "lock_version",
                    "timer_failures", "timer_error")
    conn.execute(text(
        f"INSERT INTO process_instances (id, complaint_id, status, next_timer_due_at, lock_version, "
        f"                               timer_failures, {', '.join(kept)}) "
        "SELECT m.instance_id, m.complaint_id, 'running', "
        "       i.next_timer_due_at + (m.g::float8 / :count) * interval '1 day', 1, 0, "
        f"       {', '.join('i.' + name for name in kept)} "
        "FROM copy_map m JOIN process_instances i ON i.id = m.from_instance ORDER BY m.g"), {"count": count})
    kept = _columns(HumanTask, "id", "task_guid", "instance_id", "complaint_id")
    return conn.execute(text(
        f"INSERT INTO human_tasks (task_guid, instance_id, complaint_id, {', '.join(kept)}) "
        "SELECT gen_random_uuid()::text, m.instance_id, m.complaint_id, "
        f"       {', '.join('h.' + name for name in kept)} "
        "FROM copy_map m JOIN human_tasks h ON h.instance_id = m.from_instance AND h.completed_at IS NULL "
        "ORDER BY m.g, h.id")).rowcount


def _columns(model, *left_out: str) -> list[str]:
    return [column.name for column in model.__table__.columns if column.name not in left_out]
