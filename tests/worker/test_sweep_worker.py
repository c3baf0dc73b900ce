"""The timer sweep as production runs it: a job on a real Redis queue, worked by a
real `python worker.py` process, scheduled by RQ's CronScheduler.

Complaints are lodged under a travelled clock (16 days ago) in this process,
so their 15-day escalation is due in real time for the worker processes.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from rq import Queue, Worker
from rq.cron import CronScheduler, get_cron_job_ids
from rq.job import JobStatus
from sqlalchemy import text

from app import jobs
from app.models import utcnow

from .conftest import ROOT, escalations, run_worker


def enqueue_sweep(redis):
    return Queue("portal", connection=redis).enqueue(jobs.sweep_timers)


def test_a_worker_process_runs_the_sweep_job_and_escalates_due_complaints(app, lodge, redis, worker_env):
    due = lodge(3)
    (fresh,) = lodge(1, days_ago=1)
    before = escalations(app, due + [fresh])
    job = enqueue_sweep(redis)

    worker = run_worker(worker_env, "--burst", "--simple")

    assert worker.returncode == 0, worker.stderr
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED, job.latest_result()
    assert job.return_value() == {"fired": 3, "failed": 0}
    now = utcnow()
    state = escalations(app, due + [fresh])
    for cid in due:
        assert before[cid].commissioner_tasks == before[cid].escalated_events == 0
        assert before[cid].next_timer_due_at < now < state[cid].next_timer_due_at  # moved on to the next escalation
        assert state[cid].escalated_once(now), state[cid]
    # The complaint lodged yesterday is not due: untouched.
    assert state[fresh] == before[fresh]
    assert before[fresh].commissioner_tasks == 0 and before[fresh].next_timer_due_at > now + timedelta(days=13)


def test_one_job_escalates_250_due_complaints_in_batches_of_100(app, lodge, redis, worker_env):
    due = lodge(250)
    job = enqueue_sweep(redis)

    worker = run_worker({**worker_env, "TIMER_SWEEP_BATCH": "100"}, "--burst", "--simple")

    assert worker.returncode == 0, worker.stderr
    job.refresh()
    assert job.return_value() == {"fired": 250, "failed": 0}
    assert "timer sweep: 250 instance(s) fired" in worker.stderr
    now = utcnow()
    state = escalations(app, due)
    assert len(state) == 250 and all(s.escalated_once(now) for s in state.values())


def test_the_cli_fires_due_timers_once_and_prints_the_count(app, lodge):
    due = lodge(2)
    runner = app.test_cli_runner()

    first = runner.invoke(args=["timers", "fire"])
    second = runner.invoke(args=["timers", "fire"])

    assert first.exit_code == 0, first.output
    assert first.output.strip() == "fired timers of 2 process instance(s); 0 failed"
    assert second.output.strip() == "fired timers of 0 process instance(s); 0 failed"
    now = utcnow()
    state = escalations(app, due)
    assert all(state[cid].escalated_once(now) for cid in due), state


def wait_for(predicate, process: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_the_scheduler_sweeps_every_interval_and_sigterm_stops_everything(app, lodge, redis, worker_env, tmp_path):
    (first,) = lodge(1)
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")],
            env={**worker_env, "TIMER_SWEEP_SECONDS": "1"},
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        # The first wait includes the worker's start (imports, the app, its two children): 12–20 s on a
        # loaded two-core CI machine, so it gets a minute; the second only waits for later sweeps.
        assert wait_for(lambda: escalations(app, [first])[first].escalated_once(utcnow()), process, 60), log_path.read_text()
        # A complaint that becomes due while the worker runs is picked up by a later sweep.
        (second,) = lodge(1)
        assert wait_for(lambda: escalations(app, [second])[second].escalated_once(utcnow()), process, 20), log_path.read_text()
        assert len(get_cron_job_ids("app.jobs.sweep_timers", redis)) >= 2
        assert len(CronScheduler.all(redis)) == 1 and len(Worker.all(connection=redis)) == 1

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0, log_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()  # the children get SIGTERM from the kernel (PR_SET_PDEATHSIG)
            process.wait()
    log = log_path.read_text()
    assert "Traceback" not in log, log
    assert "stopped cleanly" in log
    children = re.search(r"RQ worker pid (\d+) .* \(scheduler pid (\d+)\)", log)
    assert children, log
    for pid in map(int, children.groups()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    # Both registered their death in Redis: nothing is left that looks alive.
    assert CronScheduler.all(redis) == [] and Worker.all(connection=redis) == []
    state = escalations(app, [first, second])
    assert all(s.escalated_events == 1 for s in state.values()), state


def test_an_instance_that_cannot_be_restored_is_reported_and_the_others_still_fire(app, lodge, redis, worker_env):
    broken, *good = lodge(3)
    with app.extensions["db_engine"].begin() as conn:
        # Simulates corruption: a state the serializer cannot restore.
        conn.execute(
            text("UPDATE process_instances SET state = :state WHERE complaint_id = :cid"),
            {"state": '{"corrupt": true}', "cid": broken},
        )
    broken_before = escalations(app, [broken])[broken]
    job = enqueue_sweep(redis)

    worker = run_worker(worker_env, "--burst", "--simple")

    assert worker.returncode == 0, worker.stderr
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == {"fired": 2, "failed": 1}
    assert f"timers of process instance {broken_before.instance_id} failed" in worker.stderr
    now = utcnow()
    state = escalations(app, good + [broken])
    assert all(state[cid].escalated_once(now) for cid in good), state
    # The broken one is not retried every minute: it waits 5 minutes, with the error kept for operators.
    with app.extensions["db_engine"].connect() as conn:
        failures, error, due = conn.execute(
            text("SELECT timer_failures, timer_error, next_timer_due_at FROM process_instances WHERE id = :id"),
            {"id": broken_before.instance_id},
        ).one()
    assert failures == 1 and error
    assert state[broken].escalated_events == broken_before.escalated_events == 0
    assert state[broken].next_timer_due_at > now + timedelta(minutes=4)


@pytest.fixture()
def collector_put_back():
    """The garbage collector as it was, after a test that sets it as a worker does (for the whole process)."""
    import gc

    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_the_forking_worker_warms_up_before_its_first_fork_and_keeps_no_connection(app, collector_put_back):
    """What each work horse would do again on its one job is done once in the parent: the ORM configured,
    the default diagram parsed, the sweep's query compiled; and no pooled connection is left to cross a fork.
    What exists then is kept out of the garbage collector's full runs, which run on the young less often."""
    import gc

    from sqlalchemy.orm import configure_mappers

    from app.services.casework import deployments
    from app.worker import warm_before_forking

    deployments._DIAGRAMS.clear()
    engine = app.extensions["db_engine"]
    compiled_before = len(engine._compiled_cache)
    gc.unfreeze()

    warm_before_forking(app)

    assert gc.get_freeze_count() > 10_000  # the modules, mappers and diagram at least
    assert gc.get_threshold()[0] == 10_000

    assert engine.pool.checkedout() == 0 and engine.pool.checkedin() == 0  # disposed: nothing to inherit
    assert len(engine._compiled_cache) > compiled_before  # the sweep's locking query among them
    with app.extensions["db_sessions"]() as session:
        assert deployments.default_definition(session).sha256 in deployments._DIAGRAMS
    configure_mappers()  # already done: nothing left to configure
