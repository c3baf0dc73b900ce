"""A real portal server and a headless Chromium phone for the browser journey.

The server is the embedded default (`make run`): a fresh SQLite file, migrated
and seeded with the demo accounts by the operator CLI, then served by
`flask --app app serve` with CSRF on (development config). TEST_DATABASE_URL is
deliberately ignored here.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_SECONDS = 30

# Assertions wait up to 15 s for the page (Playwright's default is 5): in CI the PostgreSQL pass runs on the
# same two cores at the same time, and a sign-in (a deliberately slow password hash) then took longer than 5 s.
expect.set_options(timeout=15_000)



def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "app", *args]


@pytest.fixture(scope="session")
def portal_database(tmp_path_factory) -> Path:
    """The portal's SQLite file, where a test reads the SMS a phone would receive."""
    return tmp_path_factory.mktemp("portal") / "portal.db"


@pytest.fixture()
def sms_code(portal_database):
    """sms_code(mobile) -> the code of the newest SMS code sent to that number (as the phone would show it)."""

    def read(mobile: str) -> str:
        with sqlite3.connect(portal_database) as connection:
            row = connection.execute(
                "SELECT context FROM notifications WHERE template = 'mobile_code' AND address = ? ORDER BY id DESC",
                (mobile,),
            ).fetchone()
        assert row, f"no code was sent to {mobile}"
        return json.loads(row[0])["code"]

    return read


@pytest.fixture(scope="session")
def portal(portal_database):
    """Base URL (with a trailing slash) of a freshly seeded portal."""
    with serve_portal(portal_database.parent) as base:
        yield base


@contextlib.contextmanager
def serve_portal(tmp: Path, **settings: str):
    """A freshly migrated and seeded portal in `tmp` (its database `tmp/portal.db`), served until the block
    ends; `settings`: more environment (e.g. MAP_TILE_URL). Yields its base URL (with a trailing slash)."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "REDIS_URL", "FLASK_APP", "MAP_TILE_URL")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'portal.db'}",
        UPLOAD_DIR=str(tmp / "uploads"),
        PORTAL_ENV="development",
        PYTHONUNBUFFERED="1",
        **settings,
    )
    for command in (("db", "upgrade"), ("seed",)):
        done = subprocess.run(_flask(*command), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"

    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    log_path = tmp / "serve.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            _flask("serve", "--host", "127.0.0.1", "--port", str(port)),
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(base, server, log_path)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_up(base: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the portal exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(base, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    pytest.fail(f"the portal did not answer within {STARTUP_SECONDS} s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def browser():
    from playwright import sync_api

    # `make test` installs Debian's Chromium; a missing browser is a broken setup, not a skip.
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: run `make browser-deps` (apt-get install -y chromium)"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture()
def phone(browser, portal):
    """A page in a fresh 360×740 phone context; relative URLs resolve against the portal."""
    context = browser.new_context(base_url=portal, **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


# Each demo login's last 30-second step used: the portal accepts a TOTP code once, so a second sign-in of the
# same person within a step takes the next step's code (accepted for a phone's clock a little ahead) or waits.
_TOTP_STEPS_USED: dict[str, int] = {}


def demo_totp_code(login: str) -> str:
    """The code the demo staff's authenticator app gives for this sign-in (DEMO_TOTP_SECRET, development only)."""
    import pyotp

    from app.services.demo.seed import DEMO_TOTP_SECRET

    totp = pyotp.TOTP(DEMO_TOTP_SECRET)
    while True:
        now = totp.timecode(datetime.now(timezone.utc))
        for step in (now, now + 1):
            if step > _TOTP_STEPS_USED.get(login, now - 1):
                _TOTP_STEPS_USED[login] = step
                return totp.generate_otp(step)
        time.sleep(1)
