"""Two sweepers at once (two machines each running worker.py) never fire a timer twice.

Only PostgreSQL has row locks with SKIP LOCKED; SQLite serialises writers
instead and is the single-process embedded default, so this runs on PostgreSQL.
"""
from __future__ import annotations

import os
import threading

import pytest

from app.db import make_engine, make_session_factory
from app.models import utcnow
from app.services.casework.timers import SweepResult, fire_due_timers

from .conftest import escalations

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
        reason="FOR UPDATE SKIP LOCKED needs PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://...",
    ),
]

SWEEPERS = 2


def test_two_concurrent_sweepers_share_the_due_instances_and_fire_each_once(app, db_url, lodge):
    due = lodge(40)
    barrier = threading.Barrier(SWEEPERS)
    results: list[SweepResult | None] = [None] * SWEEPERS
    errors: list[BaseException] = []

    def sweeper(index: int) -> None:
        # Each sweeper is what one worker.py process has: its own engine and sessions.
        engine = make_engine(db_url)
        try:
            session_factory = make_session_factory(engine)
            with engine.connect():  # connect before the barrier, so both start the sweep together
                pass
            barrier.wait(timeout=30)
            results[index] = fire_due_timers(session_factory, batch=100)
        except BaseException as error:  # reported by the test thread, not lost in this one
            errors.append(error)
            barrier.abort()
        finally:
            engine.dispose()

    threads = [threading.Thread(target=sweeper, args=(i,), name=f"sweeper-{i}") for i in range(SWEEPERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads), "a sweeper hung"
    assert not errors, errors
    assert all(result.failed == [] for result in results), results
    fired = [set(result.fired) for result in results]
    assert all(len(result.fired) == len(ids) for result, ids in zip(results, fired)), "a sweeper fired one instance twice"
    assert fired[0].isdisjoint(fired[1]), f"both sweepers fired {sorted(fired[0] & fired[1])}"
    state = escalations(app, due)
    assert fired[0] | fired[1] == {s.instance_id for s in state.values()}
    now = utcnow()
    # Exactly one commissioner review task and one 'escalated' line per complaint, never two.
    assert all(s.escalated_once(now) for s in state.values()), state
