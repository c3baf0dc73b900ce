"""A request's id follows it into the jobs it enqueues: the delivery job a lodging commits carries it in its
meta, and the worker's JSON line for that job names it."""
from __future__ import annotations

import json

from rq import Queue

from app.models import Role
from tests.app.helpers import category, complaint_form
from tests.conftest import login
from tests.worker.conftest import run_worker

from .test_worker import env_for


def test_the_request_id_travels_into_the_delivery_job_and_its_log_line(
    app_with_redis, redis, redis_url, worker_env, session, make_user, places, sms_gateway, smtp_sink
):
    portal = app_with_redis(redis_url)
    citizen = make_user(Role.CITIZEN)
    client = portal.test_client()
    login(client, citizen)
    answer = client.post("/my/complaints/new", data=complaint_form(category(session), places["peshawar"]),
                         headers={"X-Request-ID": "lodge-4711"})
    assert answer.status_code == 302 and answer.headers["X-Request-ID"] == "lodge-4711"

    (job,) = Queue("portal", connection=redis).jobs
    assert job.meta["request_id"] == "lodge-4711"
    worker = run_worker(env_for(worker_env, sms_gateway, smtp_sink), "--burst", "--simple")
    assert worker.returncode == 0, worker.stderr
    lines = [json.loads(line) for line in worker.stderr.splitlines() if line.startswith("{")]
    (job_line,) = [line for line in lines if line.get("logger") == "portal.job"]
    assert job_line["request_id"] == "lodge-4711" and job_line["job"] == "deliver_notifications"
    assert job_line["status"] == "finished" and job_line["result"]["sent"] >= 1
    assert isinstance(job_line["duration_ms"], float) and job_line["job_id"] == job.id
