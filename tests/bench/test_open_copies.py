"""The benchmark's copies of open complaints (bench/open_copies.py): real rows that leave nothing due.

The idle sweep is measured over a million such copies, so what the benchmark
says of them is checked here: each copy has its own ids, tracking number and
task guids, its template's state and open inbox rows, a due time NULL where its
template's is and never earlier, and copies are not copied again.
"""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.models import InstanceStatus, ProcessInstance
from app.services.casework import timers
from app.services.demo import generator
from bench.open_copies import COPY_PREFIX, copy_open_complaints

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                       reason="copies in PostgreSQL's SQL (generate_series, gen_random_uuid)"),
]

PAIRS = text(
    "SELECT c.tracking_number, i.status, i.next_timer_due_at, i.state::text, i.complaint_id, "
    "       t.next_timer_due_at AS template_due, t.state::text AS template_state, "
    "       (SELECT count(*) FROM human_tasks h WHERE h.instance_id = i.id AND h.completed_at IS NULL) AS tasks, "
    "       (SELECT count(*) FROM human_tasks h WHERE h.instance_id = t.id AND h.completed_at IS NULL) "
    "         AS template_tasks, "
    "       (SELECT count(*) FROM human_tasks h WHERE h.instance_id = i.id "
    "          AND h.complaint_id <> i.complaint_id) AS foreign_tasks "
    "FROM process_instances i JOIN complaints c ON c.id = i.complaint_id "
    "JOIN complaints tc ON tc.subject = c.subject AND tc.created_at = c.created_at "
    "     AND tc.citizen_id = c.citizen_id AND tc.tracking_number NOT LIKE 'CP-%' "
    "JOIN process_instances t ON t.complaint_id = tc.id "
    "WHERE c.tracking_number LIKE 'CP-%'")


def test_copies_are_open_complaints_with_their_templates_rows_and_nothing_due(app):
    sessions = app.extensions["db_sessions"]
    generator.generate(sessions, 40, batch_size=40, seed=3)
    engine = app.extensions["db_engine"]
    with sessions() as session:
        running = select(func.count()).where(ProcessInstance.status == InstanceStatus.RUNNING)
        templates = session.scalar(running)
        earliest = session.scalar(select(func.min(ProcessInstance.next_timer_due_at)))

    done = copy_open_complaints(engine, 3 * templates + 1, batch=templates, progress=lambda line: None)
    again = copy_open_complaints(engine, 5, progress=lambda line: None)

    assert done["templates"] == again["templates"] == templates  # copies are never templates
    with engine.connect() as conn:
        pairs = conn.execute(PAIRS).all()
        guids = conn.execute(text("SELECT count(*), count(DISTINCT task_guid) FROM human_tasks")).one()
    assert len(pairs) == 3 * templates + 1 + 5
    assert all(row.tracking_number.startswith(COPY_PREFIX) and row.status == "running" for row in pairs)
    assert len({row.complaint_id for row in pairs}) == len(pairs)
    assert all(row.state == row.template_state for row in pairs)
    assert all((row.next_timer_due_at is None) == (row.template_due is None) for row in pairs)
    assert all(row.next_timer_due_at >= row.template_due for row in pairs if row.template_due)
    assert 0 < sum(row.next_timer_due_at is None for row in pairs) < len(pairs)  # the generated mix of both
    assert all(row.tasks == row.template_tasks and row.foreign_tasks == 0 for row in pairs)
    assert done["tasks"] + again["tasks"] == sum(row.tasks for row in pairs) > 0
    assert guids[0] == guids[1]
    # Nothing the originals did not already have is due: the idle sweep finds nothing.
    assert timers.fire_due_timers(sessions, now=earliest - timedelta(seconds=1)).selected == 0
