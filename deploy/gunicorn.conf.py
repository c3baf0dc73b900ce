"""Gunicorn settings for the portal's web processes (`gunicorn -c deploy/gunicorn.conf.py`).

Every value can be changed without editing this file, through the environment the
systemd unit reads (deploy/systemd/citizens-portal-web.service):

    PORTAL_BIND              where nginx reaches gunicorn (default 127.0.0.1:8000)
    PORTAL_WEB_WORKERS       worker processes (default: 2 per core, at most 8)
    PORTAL_WEB_THREADS       threads per worker (default 4)
    PORTAL_WEB_TIMEOUT       seconds a request may take before its worker is replaced (default 30)

Why these choices:
- Threads (gthread) rather than more processes: a request mostly waits on PostgreSQL, and
  each process holds its own pool of connections. Measured on 2 cores: 2 workers x 4
  threads with 16 connections serve the lodging API at 35-43 requests/s (docs/operations.md).
- nginx buffers every request body and every answer (deploy/nginx/citizens-portal.conf),
  so a phone on a weak signal never holds a gunicorn thread while it uploads or reads.
- No preload: each worker builds its own app after the fork, so database connections are
  never shared between processes, and `systemctl reload` (SIGHUP) starts workers on new code.
- SIGHUP replaces the workers gracefully: the master keeps the listening socket, new
  workers start, old ones finish their requests (up to graceful_timeout), so a reload
  under load loses no request (tests/smoke/production_smoke.py checks this).
"""
from __future__ import annotations

import multiprocessing
import os

wsgi_app = "app.factory:create_app()"

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("PORTAL_WEB_WORKERS", min(2 * multiprocessing.cpu_count(), 8)))
threads = int(os.environ.get("PORTAL_WEB_THREADS", "4"))
# Longer than any page or upload needs once nginx has buffered it; shorter than nginx's
# proxy_read_timeout (60 s), so a stuck worker is replaced before nginx gives up.
timeout = int(os.environ.get("PORTAL_WEB_TIMEOUT", "30"))
# After SIGHUP or SIGTERM, how long old workers may finish the requests they hold.
graceful_timeout = 30
# nginx keeps connections to gunicorn open between requests (its upstream keepalive).
keepalive = 75
# A worker is replaced after about this many requests, so a slow leak never grows for weeks;
# the jitter keeps the workers from restarting at the same moment.
max_requests = 5000
max_requests_jitter = 500
# Heartbeat files on a memory filesystem: a busy disk must not make gunicorn think a worker hung.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# The address a request came from is decided by the app alone (TRUSTED_PROXIES, werkzeug's
# ProxyFix in app/factory.py). Gunicorn's own X-Forwarded-* handling is switched off, so
# the two never disagree about which hop to believe.
forwarded_allow_ips = ""

# Access lines to standard output (the journal); errors to standard error.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("PORTAL_LOG_LEVEL", "info")
# The request id nginx sends (X-Request-ID) ties an access line to the app's own log lines.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%({x-request-id}i)s"'
proc_name = "citizens-portal-web"
# Gunicorn 23+ opens a control socket in the home directory, one path shared by every gunicorn
# of the user; reloads and stops go through systemd's signals instead (ExecReload: SIGHUP).
control_socket_disable = True

# Metrics (GET /metrics, app/services/operations/metrics.py): every worker writes its counters to files in
# PROMETHEUS_MULTIPROC_DIR and a scrape of any worker sums them all. Set here, in the master, before any
# worker imports prometheus-client (no preload). worker.py on the same machine shares the directory (the
# same variable in both units), which adds its timers and deliveries to this machine's /metrics. When
# gunicorn starts, the files of earlier gunicorn workers go (their counters restart at zero, which
# Prometheus's rate() expects); worker.py's (rq-worker-*) stay, as that process may still be writing them.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/dev/shm/citizens-portal-metrics"
                      if os.path.isdir("/dev/shm") else "/tmp/citizens-portal-metrics")


def on_starting(server):
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(metrics_dir, mode=0o700, exist_ok=True)
    for name in os.listdir(metrics_dir):
        if name.endswith(".db") and "rq-worker-" not in name:
            os.remove(os.path.join(metrics_dir, name))


def post_worker_init(worker):
    from app.logs import configure_logging

    configure_logging()  # the app's JSON lines (a line per request, with its request id) on standard error


def child_exit(server, worker):
    from app.services.operations.metrics import mark_process_dead

    mark_process_dead(worker.pid)
