"""Fixtures for the background worker: a real Redis, real worker processes, due complaints.

Redis is not optional here: CI always sets TEST_REDIS_URL; without it the tests
use redis://127.0.0.1:6379/15 and fail (they do not skip) if it is unreachable.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select

from app.models import ComplaintEvent, HumanTask, ProcessInstance, Role, utcnow
from app.services.casework import complaints
from app.services import organisation

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture()
def redis_url():
    """A real, empty Redis database (flushed before and after each test)."""
    url = os.environ.get("TEST_REDIS_URL") or DEFAULT_TEST_REDIS_URL
    connection = Redis.from_url(url)
    try:
        connection.ping()
        problem = None
    except RedisError as error:
        problem = str(error)
    if problem:
        connection.close()
        pytest.fail(
            f"Redis at {url} is unreachable ({problem}). The worker tests need a real Redis: "
            "start one (redis-server) or point TEST_REDIS_URL at one.",
            pytrace=False,
        )
    connection.flushdb()
    yield url
    connection.flushdb()
    connection.close()


@pytest.fixture()
def redis(redis_url):
    with Redis.from_url(redis_url) as connection:
        yield connection


@pytest.fixture()
def worker_env(app, redis_url):
    """Environment for a worker.py subprocess: the test database, Redis and uploads dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIMER_SWEEP_", "TEST_"))}
    env.update(
        PORTAL_ENV="testing",
        DATABASE_URL=app.config["DATABASE_URL"],
        UPLOAD_DIR=app.config["UPLOAD_DIR"],
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
    )
    env.pop("SECRET_KEY", None)
    return env


def run_worker(env: dict, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run `python worker.py ARGS` to completion (use --burst) and return its result."""
    return subprocess.run(
        [sys.executable, str(ROOT / "worker.py"), *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False,
    )


@pytest.fixture()
def lodge(session, make_user, places):
    """lodge(n, days_ago=16) -> ids of n complaints lodged `days_ago` days ago, committed.

    The process starts under a travelled clock, so its 15-day escalation timer
    is already due in real time: a worker in another process (real clock) fires it.
    """
    citizen = make_user(Role.CITIZEN)
    category = organisation.categories_by_department(session)[0][1][0]

    def make(n: int = 1, *, days_ago: float = 16) -> list[int]:
        with time_machine.travel(utcnow() - timedelta(days=days_ago), tick=True):
            lodged = [
                complaints.submit_complaint(
                    session,
                    citizen,
                    complaints.ComplaintInput(
                        category.id, places["peshawar"].id, f"Broken streetlight {i}", "The streetlight in front of house 12 is broken."
                    ),
                )
                for i in range(n)
            ]
            session.commit()
        return [c.id for c in lodged]

    return make


@dataclass(frozen=True)
class Escalation:
    commissioner_tasks: int  # open commissioner review tasks (escalation level 1)
    escalated_events: int  # 'escalated' lines in the timeline
    next_timer_due_at: datetime | None
    instance_id: int

    def escalated_once(self, now: datetime) -> bool:
        # After the 15-day escalation the next timer is the Chief Secretary's, 7 days on.
        return (
            self.commissioner_tasks == 1
            and self.escalated_events == 1
            and self.next_timer_due_at is not None
            and self.next_timer_due_at > now + timedelta(days=6)
        )


def escalations(app, complaint_ids: list[int]) -> dict[int, Escalation]:
    """Read the escalation state of complaints with a fresh session (other processes wrote it)."""
    with app.extensions["db_sessions"]() as session:
        tasks = dict(
            session.execute(
                select(HumanTask.complaint_id, func.count())
                .where(
                    HumanTask.complaint_id.in_(complaint_ids),
                    HumanTask.role == Role.COMMISSIONER,
                    HumanTask.escalation_level == 1,
                    HumanTask.completed_at.is_(None),
                )
                .group_by(HumanTask.complaint_id)
            ).all()
        )
        events = dict(
            session.execute(
                select(ComplaintEvent.complaint_id, func.count())
                .where(ComplaintEvent.complaint_id.in_(complaint_ids), ComplaintEvent.kind == "escalated")
                .group_by(ComplaintEvent.complaint_id)
            ).all()
        )
        instances = session.execute(
            select(ProcessInstance.complaint_id, ProcessInstance.next_timer_due_at, ProcessInstance.id).where(
                ProcessInstance.complaint_id.in_(complaint_ids)
            )
        ).all()
    return {
        cid: Escalation(tasks.get(cid, 0), events.get(cid, 0), due, iid) for cid, due, iid in instances
    }
