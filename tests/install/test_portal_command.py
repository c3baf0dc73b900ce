"""The `portal` command (`python -m app` here): every operator command, from any folder, and the
Alembic commands `db current`, `db history`, `db downgrade` (on PostgreSQL too, with TEST_DATABASE_URL)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from app.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted(p.name.split("_", 1)[0] for p in (ROOT / "app" / "migrations" / "versions").glob("[0-9]*.py"))
NEWEST, PREVIOUS = MIGRATIONS[-1], MIGRATIONS[-2]


@pytest.fixture
def database():
    """A new, empty database of this test's own: PostgreSQL with TEST_DATABASE_URL (dropped after), else None
    (the SQLite file the data folder holds)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None
        return
    url = make_url(base)
    name = f"{url.database}_commands_{uuid.uuid4().hex[:6]}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def portal(tmp_path, database):
    """Run `python -m app ARGS` from a folder that is not the checkout, on a database of its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "UPLOAD_DIR", "FLASK_APP", "PORTAL_ENV")}
    env["PORTAL_DATA_DIR"] = str(tmp_path / "data")
    if database:
        env["DATABASE_URL"] = database
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "app", *args], cwd=elsewhere, env=env, capture_output=True,
                              text=True, timeout=300)

    return run


def test_help_lists_the_operator_commands_and_the_worker(portal):
    result = portal("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: portal ")
    for command in ("db", "seed", "serve", "worker", "timers", "notifications", "process", "statistics", "demo"):
        assert f"\n  {command} " in result.stdout, command


def test_migrate_show_history_and_step_back_from_any_folder(portal, database, tmp_path):
    before = portal("db", "current")
    assert before.returncode == 1 and "no schema yet" in before.stdout and "db upgrade" in before.stdout

    assert portal("db", "upgrade").returncode == 0
    if database is None:
        assert (tmp_path / "data" / "portal.db").is_file()  # PORTAL_DATA_DIR, not the current folder
    current = portal("db", "current")
    assert (current.returncode, current.stdout.strip()) == (0, f"database at {NEWEST} (the newest)")

    history = [line for line in portal("db", "history").stdout.splitlines() if " -> " in line]
    assert len(history) == len(MIGRATIONS)
    assert history[0].startswith(f"{PREVIOUS} -> {NEWEST} (head) (current),")
    assert history[-1].startswith(f"<base> -> {MIGRATIONS[0]},")

    back = portal("db", "downgrade", "-1")
    assert back.returncode == 0, back.stderr
    behind = portal("db", "current")
    assert behind.returncode == 1
    assert behind.stdout.strip() == f"database at {PREVIOUS}; the newest migration is {NEWEST}: run `db upgrade`"
    assert portal("db", "upgrade").returncode == 0
    assert portal("db", "current").returncode == 0


def test_downgrade_needs_a_revision(portal):
    result = portal("db", "downgrade")
    assert result.returncode == 2 and "Missing argument 'REVISION'" in result.stderr


def test_the_worker_refuses_to_start_without_redis(portal):
    result = subprocess.run([sys.executable, "-m", "app", "worker", "--burst"], capture_output=True, text=True,
                            env={k: v for k, v in os.environ.items() if k != "REDIS_URL"}, cwd="/", timeout=120)
    assert result.returncode == 2
    assert "REDIS_URL is not set" in result.stderr
