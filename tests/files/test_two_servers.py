"""Several machines: two web servers (real gunicorn processes on their own ports) with different
local upload directories and one bucket. A photo lodged through one is served by the other."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from app.models import Role
from app.services.interop import api_tokens
from tests.app import media
from tests.app.helpers import category
from tests.s3server import free_port

ROOT = Path(__file__).resolve().parents[2]


def start_server(tmp_path: Path, name: str, settings: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PORTAL_ENV": "development", "SECRET_KEY": "two-servers-test", **settings}
    env.pop("REDIS_URL", None)  # no Redis: nothing to enqueue, the test looks at files only
    log = tmp_path / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--threads", "2", "app:create_app()"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{base}/", timeout=10)
            return process, base
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_server(process)
                raise RuntimeError(f"{name} did not start: {log.read_text(errors='replace')[-3000:]}") from None
            time.sleep(0.3)


def stop_server(process: subprocess.Popen) -> None:
    """Stop gunicorn and its worker: the whole process group (the server started a session of its own)."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture()
def backend(s3_settings):
    """This test's own app and sessions keep their files in the bucket the servers share."""
    return s3_settings


@pytest.fixture()
def two_servers(tmp_path, db_url, s3_settings):
    """Two servers on one database and one bucket, each with a local upload directory of its own."""
    started = []
    try:
        for name in ("first", "second"):
            uploads = tmp_path / f"{name}-uploads"
            started.append((*start_server(tmp_path, name, {**s3_settings, "DATABASE_URL": db_url,
                                                            "UPLOAD_DIR": str(uploads)}), uploads))
        yield started
    finally:
        for process, _, _ in started:
            stop_server(process)


def bearer(session, user) -> dict:
    token = api_tokens.issue_token(session, user, lifetime=timedelta(hours=1)).token
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_a_photo_lodged_through_one_server_is_served_by_the_other(two_servers, session, make_user, places):
    (_, first, first_uploads), (_, second, second_uploads) = two_servers
    citizen = bearer(session, make_user(Role.CITIZEN))
    photo = media.phone_jpeg((1200, 900))
    fields = {"category_id": category(session).id, "district_id": places["peshawar"].id, "subject": "Overflowing drain",
              "description": "The drain on Main Bazaar road overflows every time it rains."}

    lodged = requests.post(f"{first}/api/v1/complaints", headers=citizen, data=fields,
                           files=[("photos", ("drain.jpg", photo, "image/jpeg"))], timeout=30)

    assert lodged.status_code == 201, lodged.text
    (attachment,) = lodged.json()["attachments"]
    seen = requests.get(f"{second}/api/v1/complaints/{lodged.json()['id']}", headers=citizen, timeout=10).json()
    assert [a["id"] for a in seen["attachments"]] == [attachment["id"]]
    full = requests.get(f"{second}{attachment['url']}", headers=citizen, timeout=10)
    assert full.status_code == 200 and full.headers["Content-Type"] == "image/jpeg"
    assert full.headers["ETag"] == f'"{hashlib.sha256(full.content).hexdigest()}"'
    assert int(full.headers["Content-Length"]) == len(full.content)
    assert full.headers["Cache-Control"] == "private, max-age=3600"
    thumbnail = requests.get(f"{second}{attachment['thumbnail_url']}", headers=citizen, timeout=10)
    assert thumbnail.status_code == 200 and len(thumbnail.content) < len(full.content)
    revalidated = requests.get(f"{first}{attachment['url']}", timeout=10,
                               headers={**citizen, "If-None-Match": full.headers["ETag"]})
    assert revalidated.status_code == 304  # the same ETag on either server
    # Neither server wrote to its own disk: the bucket holds the files.
    assert not any(p.is_file() for p in (*first_uploads.rglob("*"), *second_uploads.rglob("*")))
