"""GET /metrics: who may read it, and that each portal_* series moves with what it counts."""
from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from app import background, create_app
from app.models import Channel, IncidentSource, Notification, ProcessInstance, Role, utcnow
from app.services.casework import complaints, incidents
from app.services.operations import health
from app.settings import ConfigError
from workflows import RunFailure
from tests.app.helpers import assign, category, lodge

PUBLIC, PRIVATE = "203.0.113.9", "10.1.2.3"


def sample(name, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(client, **kwargs) -> dict[tuple, float]:
    answer = client.get("/metrics", **kwargs)
    assert answer.status_code == 200, answer.status_code
    assert answer.content_type.startswith("text/plain; version=0.0.4")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.get_data(as_text=True)) for s in family.samples}


@pytest.mark.parametrize(("address", "headers", "settings", "status"), [
    ("127.0.0.1", {}, {}, 200),
    (PUBLIC, {}, {}, 403),
    (PUBLIC, {"Authorization": "Bearer s3cret"}, {"METRICS_TOKEN": "s3cret"}, 200),
    (PUBLIC, {"Authorization": "Bearer wrong"}, {"METRICS_TOKEN": "s3cret"}, 403),
    (PUBLIC, {"Authorization": "Bearer "}, {"METRICS_TOKEN": ""}, 403),  # no token set: none is accepted
    (PRIVATE, {}, {"METRICS_ALLOWED_NETWORKS": "10.0.0.0/8, ::1/128"}, 200),
    ("127.0.0.1", {}, {"METRICS_ALLOWED_NETWORKS": "10.0.0.0/8"}, 403),
    # Through a local proxy the app was not told to trust: the socket says loopback, the caller is elsewhere.
    ("127.0.0.1", {"X-Forwarded-For": PUBLIC}, {}, 403),
    ("127.0.0.1", {"X-Forwarded-For": "127.0.0.1"}, {}, 403),
    # Behind TRUSTED_PROXIES=1 the address is the one the proxy saw.
    ("127.0.0.1", {"X-Forwarded-For": PUBLIC}, {"TRUSTED_PROXIES": 1}, 403),
    ("127.0.0.1", {"X-Forwarded-For": f"{PUBLIC}, 127.0.0.1"}, {"TRUSTED_PROXIES": 1}, 200),
    (PUBLIC, {"X-Forwarded-For": "127.0.0.1"}, {"TRUSTED_PROXIES": 1}, 200),  # nginx saw a local caller
])
def test_who_may_read_the_metrics(db_url, tmp_path, address, headers, settings, status):
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "UPLOAD_DIR": str(tmp_path), **settings})
    answer = app.test_client().get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})
    assert answer.status_code == status
    if status == 403:
        assert b"portal_" not in answer.data
    app.extensions["db_engine"].dispose()


def test_a_mistyped_network_stops_the_app_from_starting(db_url):
    with pytest.raises(ConfigError, match="METRICS_ALLOWED_NETWORKS"):
        create_app({"TESTING": True, "DATABASE_URL": db_url, "METRICS_ALLOWED_NETWORKS": "10.0.0.0/33"})


def test_requests_are_counted_by_endpoint_and_status_with_their_latency(client):
    before = sample("portal_http_requests_total", endpoint="operations.healthz", method="GET", status="200")
    missing = sample("portal_http_requests_total", endpoint="none", method="GET", status="404")
    timed = sample("portal_http_request_duration_seconds_count", endpoint="operations.healthz", method="GET")
    for _ in range(3):
        client.get("/healthz")
    client.get("/no/such/page")
    series = scraped(client)
    assert series[("portal_http_requests_total", (("endpoint", "operations.healthz"), ("method", "GET"),
                                                  ("status", "200")))] == before + 3
    assert series[("portal_http_requests_total", (("endpoint", "none"), ("method", "GET"), ("status", "404")))] \
        == missing + 1
    assert sample("portal_http_request_duration_seconds_count", endpoint="operations.healthz", method="GET") \
        == timed + 3


def completed_by_form() -> dict[str, float]:
    return {s.labels["form"]: s.value for family in REGISTRY.collect() if family.name == "portal_tasks_completed"
            for s in family.samples if s.name == "portal_tasks_completed_total"}


def test_complaints_and_completed_tasks_count_after_their_commit_only(session, make_user, places):
    lodged, completed = sample("portal_complaints_lodged_total"), completed_by_form()
    citizen = make_user(Role.CITIZEN)
    complaint = lodge(session, citizen, places["peshawar"])
    complaints.submit_complaint(session, citizen, complaints.ComplaintInput(
        category(session).id, places["peshawar"].id, "Rolled back", "This one is never committed at all."))
    session.rollback()
    assert sample("portal_complaints_lodged_total") == lodged + 1

    dc = make_user(Role.DEPUTY_COMMISSIONER)
    officer = make_user(Role.DISTRICT_OFFICER)
    task = assign(session, complaint, dc, officer)
    after = completed_by_form()
    assert {form: after[form] - completed.get(form, 0) for form in after if after[form] != completed.get(form, 0)} \
        == {task.form_key: 1}


def test_database_gauges_timer_lag_outbox_and_heartbeat(client, app, session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    complaint = lodge(session, citizen, places["peshawar"])
    session.execute(update(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id)
                    .values(next_timer_due_at=utcnow() - timedelta(minutes=10), timer_failures=2))
    incidents.record_incident(session, complaint.id, RunFailure("count_escalation", None, "NameError", "name x"),
                              source=IncidentSource.TIMER)
    session.add(Notification(user_id=citizen.id, channel=Channel.EMAIL, template="registered", body="",
                             context={"name": "x"}, status="parked"))
    session.commit()
    health.record_heartbeat(app.extensions["db_sessions"], "rq", now=utcnow() - timedelta(seconds=42))

    series = scraped(client)
    assert 600 <= series[("portal_timer_lag_seconds", ())] < 700
    assert series[("portal_timers_failing", ())] == 1
    assert series[("portal_incidents_open", (("source", "timer"),))] == 1
    assert series[("portal_incidents_open", (("source", "task"),))] == 0
    assert series[("portal_outbox_messages", (("channel", "email"), ("status", "parked")))] == 1
    assert series[("portal_outbox_messages", (("channel", "sms"), ("status", "pending")))] >= 1  # the welcome
    ((key, age),) = [(k, v) for k, v in series.items() if k[0] == "portal_worker_heartbeat_age_seconds"]
    assert key[1] == (("worker", health.heartbeat_name("rq")),) and 42 <= age < 100


def test_deliveries_and_timer_sweeps_are_counted_where_they_run(app, session, make_user, deliver):
    sent = sample("portal_notifications_delivered_total", channel="sms", outcome="sent")
    latency = sample("portal_notification_delivery_seconds_count", channel="sms")
    fired = sample("portal_timers_fired_total")
    citizen = make_user(Role.CITIZEN)
    session.add(Notification(user_id=citizen.id, channel=Channel.SMS, template="registered", body="",
                             context={"name": "x"}))
    session.commit()
    result = deliver()
    assert sample("portal_notifications_delivered_total", channel="sms", outcome="sent") == sent + len(result.sent)
    assert sample("portal_notification_delivery_seconds_count", channel="sms") == latency + len(result.sent)
    assert result.sent

    background.sweep_timers(app)
    assert sample("portal_timers_fired_total") == fired  # nothing was due
