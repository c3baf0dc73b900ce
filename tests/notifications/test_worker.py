"""The outbox as production runs it: a commit enqueues a delivery job on a real Redis,
a real `python worker.py` sends through the loopback gateways, and when Redis is
down the complaint is still accepted and its messages wait until delivery runs."""
from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time

from rq import Queue
from sqlalchemy import select

from app import jobs
from app.models import Channel, Complaint, DeliveryStatus, Notification, Role
from tests.app.helpers import category, complaint_form
from tests.conftest import login
from tests.worker.conftest import ROOT, run_worker

from .conftest import TOKEN, notifications_of
from .test_events import reachable


def outgoing(session) -> list[Notification]:
    session.rollback()
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.channel != Channel.IN_APP)))


def env_for(worker_env, sms_gateway, smtp_sink, **extra) -> dict:
    env = {k: v for k, v in worker_env.items() if not k.startswith(("SMS_", "SMTP_", "NOTIFY_", "PUBLIC_BASE_URL"))}
    env.update(
        SMS_GATEWAY_URL=sms_gateway.url,
        SMS_GATEWAY_TOKEN=TOKEN,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_sink.port),
        SMTP_STARTTLS="false",
        PUBLIC_BASE_URL="https://portal.kp.example",
        NOTIFY_RETRY_SECONDS="0",
        **extra,
    )
    return env


def lodge_through_the_page(portal, session, citizen, district) -> Complaint:
    client = portal.test_client()
    login(client, citizen)
    response = client.post("/my/complaints/new", data=complaint_form(category(session), district))
    assert response.status_code == 302, response.get_data(as_text=True)
    session.rollback()
    return session.scalar(select(Complaint).where(Complaint.citizen_id == citizen.id).order_by(Complaint.id.desc()))


def test_a_commit_enqueues_delivery_and_a_worker_process_sends_it(
    app_with_redis, redis, redis_url, worker_env, session, make_user, places, sms_gateway, smtp_sink
):
    portal = app_with_redis(redis_url)
    citizen = make_user(Role.CITIZEN)
    dc = reachable(session, make_user(Role.DEPUTY_COMMISSIONER))

    complaint = lodge_through_the_page(portal, session, citizen, places["peshawar"])

    assert Queue("portal", connection=redis).job_ids  # enqueued right after the commit
    worker = run_worker(env_for(worker_env, sms_gateway, smtp_sink), "--burst", "--simple")
    assert worker.returncode == 0, worker.stderr
    rows = outgoing(session)
    assert rows and all(n.status is DeliveryStatus.SENT for n in rows), [(n.id, n.last_error) for n in rows]
    (received,) = [t for t in sms_gateway.texts_to(citizen.mobile) if complaint.tracking_number in t]
    assert received.endswith(f"https://portal.kp.example/complaints/{complaint.id}")
    assert [rcpt for rcpt, _ in smtp_sink.messages] == [[dc.email]]


def test_with_redis_down_complaints_are_accepted_and_messages_wait_for_delivery(
    app_with_redis, closed_port, redis, worker_env, session, make_user, places, sms_gateway, smtp_sink, caplog
):
    portal = app_with_redis(f"redis://127.0.0.1:{closed_port}/0")
    citizen = make_user(Role.CITIZEN)
    reachable(session, make_user(Role.DEPUTY_COMMISSIONER))

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="app.background"):
        lodged = [lodge_through_the_page(portal, session, citizen, places["peshawar"]) for _ in range(3)]
    assert time.monotonic() - started < 10  # a refused connection does not hold up the citizen

    assert len({c.id for c in lodged}) == 3
    assert "could not enqueue notification delivery" in caplog.text
    waiting = outgoing(session)
    assert len(waiting) == 1 + 3 + 3 * 2  # welcome SMS; per complaint: citizen SMS, DC SMS and email
    assert all((n.status, n.attempts) == (DeliveryStatus.PENDING, 0) for n in waiting)
    assert sms_gateway.requests == [] and smtp_sink.messages == []

    # Redis and the worker are back: the next delivery round sends everything, once.
    Queue("portal", connection=redis).enqueue(jobs.deliver_notifications)
    worker = run_worker(env_for(worker_env, sms_gateway, smtp_sink), "--burst", "--simple")

    assert worker.returncode == 0, worker.stderr
    assert all(n.status is DeliveryStatus.SENT for n in outgoing(session))
    assert len(sms_gateway.accepted) == 1 + 3 + 3 and len(smtp_sink.messages) == 3
    for complaint in lodged:
        assert len([t for t in sms_gateway.texts_to(citizen.mobile) if complaint.tracking_number in t]) == 1


def test_the_worker_schedule_delivers_and_retries_a_failing_gateway(
    redis, worker_env, session, make_user, sms_gateway, smtp_sink, tmp_path
):
    citizens = [make_user(Role.CITIZEN) for _ in range(3)]  # welcome SMS waiting; nothing enqueued
    sms_gateway.fail_first = 2
    log_path = tmp_path / "worker.log"
    env = env_for(worker_env, sms_gateway, smtp_sink, NOTIFY_DELIVERY_SECONDS="1")
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")], env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(sms_gateway.accepted) < 3 and process.poll() is None:
            time.sleep(0.2)
        time.sleep(1.5)  # one more scheduled round: it must find nothing to send
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0, log_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    log = log_path.read_text()
    assert "Traceback" not in log, log
    assert len(sms_gateway.requests) == 5, log  # 3 tries, 2 retries of the refused ones
    for citizen in citizens:
        (sms,) = notifications_of(session, citizen, channel=Channel.SMS)
        assert sms.status is DeliveryStatus.SENT
        assert sms_gateway.texts_to(citizen.mobile) == [sms.body]
