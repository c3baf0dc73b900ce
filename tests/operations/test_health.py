"""/healthz and /readyz: each readiness check can fail on its own, and under `flask serve` (the embedded
default: SQLite, no Redis, the schedule in-process) every check passes."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text, update

from app.models import ProcessInstance, Role, utcnow
from app.services.operations import health
from tests.app.helpers import lodge

ROOT = Path(__file__).resolve().parents[2]


def beat(app, seconds_ago: float = 0):
    health.record_heartbeat(app.extensions["db_sessions"], "rq", now=utcnow() - timedelta(seconds=seconds_ago))


def test_healthz_answers_without_touching_anything(client, app):
    sessions = app.extensions.pop("db_sessions")  # a database session would now fail the request
    answer = client.get("/healthz")
    assert (answer.status_code, answer.json) == (200, {"status": "ok"})
    assert answer.headers["Cache-Control"] == "no-store"
    app.extensions["db_sessions"] = sessions


def test_ready_when_every_check_passes(client, app):
    beat(app)
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json
    checks = answer.json["checks"]
    assert answer.json["status"] == "ok"
    assert set(checks) == {"database", "schema", "worker", "timers", "redis"}
    assert checks["schema"]["current"] == checks["schema"]["newest"] == health.newest_revision(
        str(ROOT / "app" / "migrations"))
    assert checks["redis"] == {"ok": True, "configured": False}
    assert checks["timers"]["lag_seconds"] == 0


def test_no_heartbeat_or_an_old_one_is_not_ready(client, app):
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["worker"] == {"ok": False, "error": "no worker has reported yet"}
    beat(app, seconds_ago=app.config["READY_HEARTBEAT_MAX_AGE"] + 5)
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json["checks"]["worker"]["age_seconds"] > 300
    beat(app)
    assert client.get("/readyz").status_code == 200


def test_a_due_timer_waiting_too_long_is_not_ready(client, app, session, make_user, places):
    beat(app)
    complaint = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    late = utcnow() - timedelta(seconds=app.config["READY_TIMER_LAG_MAX"] + 60)
    session.execute(update(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id)
                    .values(next_timer_due_at=late))
    session.commit()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["timers"]["ok"] is False
    assert answer.json["checks"]["timers"]["lag_seconds"] >= app.config["READY_TIMER_LAG_MAX"] + 60
    assert health.timer_lag(session, utcnow()) >= app.config["READY_TIMER_LAG_MAX"] + 60


def test_a_schema_behind_the_code_is_not_ready(client, app, session):
    beat(app)
    newest = session.scalar(text("SELECT version_num FROM alembic_version"))
    session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    session.commit()
    try:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json["checks"]["schema"] == {"ok": False, "current": "0001", "newest": newest}
    finally:
        session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": newest})
        session.commit()


def test_an_unreachable_redis_is_not_ready(client, app):
    beat(app)
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["redis"] == {"ok": False, "configured": True, "error": "ConnectionError"}


def test_an_unreachable_database_is_not_ready_and_says_which_check(app):
    from app import create_app

    broken = create_app({"TESTING": True, "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x"})
    answer = broken.test_client().get("/readyz")
    assert answer.status_code == 503
    checks = answer.json["checks"]
    assert checks["database"] == {"ok": False, "error": "OperationalError"}
    assert checks["worker"] == {"ok": False, "error": "database unreachable"}
    assert checks["redis"]["ok"] is True
    broken.extensions["db_engine"].dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_embedded_server_is_ready_with_its_in_process_schedule(tmp_path):
    """`make run` as a new machine runs it: migrate, seed, `flask serve`; /readyz passes with no Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "REDIS_", "PROMETHEUS_"))}
    port = free_port()
    env.update(FLASK_APP="app", DATABASE_URL=f"sqlite:///{tmp_path / 'portal.db'}", UPLOAD_DIR=str(tmp_path / "up"),
               HOST="127.0.0.1", PORT=str(port), PORTAL_ENV="development", PYTHONUNBUFFERED="1")
    flask = [sys.executable, "-m", "flask"]
    for command in (["db", "upgrade"], ["seed", "--no-demo"]):
        done = subprocess.run(flask + command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    server = subprocess.Popen(flask + ["serve"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        status, body = None, None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
                    status, body = response.status, json.load(response)
                break
            except urllib.error.HTTPError as error:  # 503 until the schedule's first beat
                status, body = error.code, json.load(error)
            except OSError:
                pass
            time.sleep(0.5)
        assert status == 200, body
        assert all(check["ok"] for check in body["checks"].values())
        assert body["checks"]["redis"]["configured"] is False
    finally:
        server.terminate()
        server.wait(timeout=20)
        if server.stderr:
            server.stderr.close()
