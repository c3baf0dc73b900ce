"""For load balancers and monitoring: /healthz (alive), /readyz (ready, as JSON) and /metrics (Prometheus).

No sign-in and no session: these answer machines. /healthz and /readyz say nothing private (ages,
revisions, which check failed, never an error's text); /metrics is kept to the networks in
METRICS_ALLOWED_NETWORKS or a bearer token METRICS_TOKEN (`may_read_metrics`).
"""
from __future__ import annotations

import hmac
import ipaddress
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, request

from ..services.operations import health, metrics
from ..settings import metrics_networks
from ..web import client_address, session_factory

bp = Blueprint("operations", __name__)


@bp.get("/healthz")
def healthz():
    """The process answers: no database, no Redis, nothing that can be slow."""
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz():
    config = current_app.config
    limits = health.ReadinessLimits(
        heartbeat_max_age=config["READY_HEARTBEAT_MAX_AGE"],
        timer_lag_max=config["READY_TIMER_LAG_MAX"],
        redis_url=config.get("REDIS_URL", ""),
        migrations=Path(current_app.root_path) / "migrations",
    )
    result = health.readiness(session_factory(), limits)
    return _no_store(jsonify(result.as_dict())), 200 if result.ok else 503


@bp.get("/metrics")
def metrics_page():
    if not may_read_metrics():
        abort(403)
    response = current_app.response_class(metrics.exposition(session_factory()),
                                          mimetype="text/plain", content_type=PROMETHEUS_TEXT)
    return _no_store(response)


PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
# Headers a proxy adds: a request that carries one came through a proxy.
FORWARDED = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def may_read_metrics() -> bool:
    """The bearer token METRICS_TOKEN, or an address in METRICS_ALLOWED_NETWORKS (loopback by default).

    The address is the one the app believes: the socket's peer, or behind TRUSTED_PROXIES proxies the
    caller's address from X-Forwarded-For (app/factory.py). A request that came through a proxy the app
    was not told to trust shows the proxy's address, often 127.0.0.1: such a request never passes by its
    address, or a local nginx would hand /metrics to the whole internet.
    """
    token = current_app.config.get("METRICS_TOKEN", "")
    offered = request.headers.get("Authorization", "")
    if token and offered.startswith("Bearer ") and hmac.compare_digest(offered[7:].encode(), token.encode()):
        return True
    if not current_app.config.get("TRUSTED_PROXIES") and any(h in request.headers for h in FORWARDED):
        return False
    try:
        address = ipaddress.ip_address(client_address())
    except ValueError:
        return False
    return any(address in network for network in metrics_networks(current_app.config.get("METRICS_ALLOWED_NETWORKS", "")))


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response
