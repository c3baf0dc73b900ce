"""The worker's heartbeat as production writes it: the `beat` job on a real Redis queue, worked by worker.py."""
from __future__ import annotations

from rq import Queue
from sqlalchemy import select

from app import jobs
from app.models import WorkerHeartbeat
from app.services.operations import health

from .conftest import run_worker


def test_the_rq_worker_writes_the_heartbeat_that_readyz_reads(app, client, redis, redis_url, worker_env, session):
    app.config["REDIS_URL"] = redis_url
    assert client.get("/readyz").json["checks"]["worker"]["ok"] is False

    Queue("portal", connection=redis).enqueue(jobs.beat)
    result = run_worker(worker_env, "--burst")
    assert result.returncode == 0, result.stderr

    beat = session.scalar(select(WorkerHeartbeat))
    assert beat.name == health.heartbeat_name("rq") and beat.name.startswith("rq@")
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json
    assert answer.json["checks"]["worker"]["ok"] and answer.json["checks"]["redis"] == {"ok": True, "configured": True}


def test_a_forking_worker_keeps_one_set_of_metric_files_and_counts_every_job(lodge, redis, worker_env, tmp_path):
    """PROMETHEUS_MULTIPROC_DIR shared with gunicorn: each job runs in a forked child, yet the counts land in
    the worker's own files (not one set per job), where the web's /metrics sums them."""
    import glob
    import os

    from prometheus_client.mmap_dict import MmapedDict

    lodge(2)
    metrics_dir = tmp_path / "metrics"
    queue = Queue("portal", connection=redis)
    for _ in range(3):
        queue.enqueue(jobs.sweep_timers)
    result = run_worker({**worker_env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}, "--burst")
    assert result.returncode == 0, result.stderr

    files = sorted(os.path.basename(p) for p in glob.glob(str(metrics_dir / "*.db")))
    assert files and all("rq-worker-" in name for name in files), files
    assert len({name.split("_", 1)[1] for name in files}) == 1, files  # one worker process, three jobs
    fired = sum(value for path in glob.glob(str(metrics_dir / "counter_*.db"))
                for key, value, _ts, _pos in MmapedDict.read_all_values_from_file(path)
                if key.startswith('["portal_timers_fired"') or '"portal_timers_fired_total"' in key)
    assert fired == 2
