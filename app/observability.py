"""What lets an operator follow a request: its id (from X-Request-ID or made) on the response, in every
log line and in the jobs it enqueues; one JSON line per request; the reference a 500 page shows; Sentry.

Wired by `init_app` from the factory; logging itself is configured by the process (app/logs.py).
"""
from __future__ import annotations

import time

from flask import Flask, current_app, g, request
from flask_babel import gettext as _

from . import logs, request_ids

HEADER = "X-Request-ID"


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_unbind)
    from .services.operations import metrics

    app.extensions["request_metrics"] = metrics.observe_request
    if app.config.get("SENTRY_DSN"):
        init_sentry(app.config["SENTRY_DSN"], environment=app.config.get("SENTRY_ENVIRONMENT") or None)


def init_sentry(dsn: str, *, environment: str | None = None, transport=None) -> None:
    """Report unhandled errors of requests (Flask) and jobs (RQ) to Sentry, scrubbed of personal data.

    Only when SENTRY_DSN is set: the one thing the factory starts (Sentry's sending thread), because an
    error in any process must reach it, whichever server or worker built the app.
    """
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    from .services.operations import scrubbing

    def before_send(event, hint):
        event = scrubbing.before_send(event, hint)
        if request_ids.current():
            event.setdefault("tags", {})["request_id"] = request_ids.current()
        return event

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[FlaskIntegration(), RqIntegration()],
        data_collection={"user_info": False},  # no IP addresses or user names from the SDK itself
        max_request_body_size="small",
        traces_sample_rate=0,  # errors only: the metrics say how fast the portal is
        before_send=before_send,
        before_breadcrumb=lambda crumb, _hint: scrubbing.scrub(crumb),
        transport=transport,
    )


def request_id() -> str | None:
    return g.get("request_id")


def server_error_message() -> str:
    """What a person reads when the portal failed them: what to do, and the reference to quote."""
    return _("Something went wrong on our side and nothing was saved. Please try again in a few minutes. "
             "If it happens again, quote this reference: %(reference)s", reference=request_id() or "-")


def _start():
    g.request_started = time.perf_counter()
    g.request_id = request_ids.accepted(request.headers.get(HEADER))
    g.request_id_token = request_ids.bind(g.request_id)


def _finish(response):
    started = g.get("request_started")
    if started is None:  # a request refused before `_start` ran (another before_request answered)
        return response
    response.headers[HEADER] = g.request_id
    duration = time.perf_counter() - started
    logs.log_request(method=request.method, path=request.path, endpoint=request.endpoint,
                     status=response.status_code, duration=duration, user_id=_user_id())
    metrics = current_app.extensions.get("request_metrics")
    if metrics is not None:
        metrics(request.method, request.endpoint, response.status_code, duration)
    return response


def _unbind(_exc):
    token = g.pop("request_id_token", None)
    if token is not None:
        request_ids.reset(token)


def _user_id() -> int | None:
    """The signed-in user's id, if the request already loaded one: the log line never loads it itself."""
    user = g.get("_login_user") or g.get("api_user")
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
