"""/metrics under a real gunicorn with 2 workers (deploy/gunicorn.conf.py): whichever worker answers a scrape,
the request counts are the sum over both, and a worker that dies keeps what it counted."""
from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from tests.operations.test_health import free_port

ROOT = Path(__file__).resolve().parents[2]
HEALTHZ = ("portal_http_requests_total", {"endpoint": "operations.healthz", "method": "GET", "status": "200"})


def get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Connection": "close"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def healthz_count(text: str) -> float:
    name, labels = HEALTHZ
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == name and s.labels == labels)


def counts_per_file(metrics_dir: str) -> dict[str, float]:
    """The healthz count each process wrote into its own file."""
    found = {}
    for path in glob.glob(os.path.join(metrics_dir, "counter_*.db")):
        for key, value, _timestamp, _pos in MmapedDict.read_all_values_from_file(path):
            if '"operations.healthz"' in key and '"200"' in key and "portal_http_requests_total" in key:
                found[os.path.basename(path)] = found.get(os.path.basename(path), 0) + value
    return found


def test_two_gunicorn_workers_are_summed_in_every_scrape(app, tmp_path):
    port = free_port()
    metrics_dir = str(tmp_path / "metrics")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PROMETHEUS_"))}
    env.update(PORTAL_ENV="testing", DATABASE_URL=app.config["DATABASE_URL"], UPLOAD_DIR=str(tmp_path / "up"),
               PORTAL_BIND=f"127.0.0.1:{port}", PORTAL_WEB_WORKERS="2", PORTAL_WEB_THREADS="2",
               PROMETHEUS_MULTIPROC_DIR=metrics_dir)
    log = open(tmp_path / "gunicorn.log", "w+")  # a file, not a pipe: a full pipe would stop gunicorn's logging
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", str(ROOT / "deploy" / "gunicorn.conf.py")],
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(f"{base}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline and server.poll() is None, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.3)
        # Until both workers have answered some: the kernel hands each new connection to either.
        sent = 1
        with ThreadPoolExecutor(8) as pool:
            while len([n for n in counts_per_file(metrics_dir).values() if n]) < 2 and sent < 2000:
                list(pool.map(lambda _: get(f"{base}/healthz"), range(40)))
                sent += 40
        per_process = counts_per_file(metrics_dir)
        assert len([n for n in per_process.values() if n]) == 2, per_process
        assert sum(per_process.values()) == sent

        # Every scrape, whichever worker answers it, reports the sum.
        for _ in range(6):
            assert healthz_count(get(f"{base}/metrics").decode()) == sent

        # A worker killed outright is replaced (child_exit runs); what it counted is still counted.
        workers = [int(line) for line in subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True,
                                                          text=True).stdout.split()]
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while len(subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        for _ in range(4):
            assert healthz_count(get(f"{base}/metrics").decode()) == sent
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
