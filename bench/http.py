"""The write path over HTTP against its floor: the portal vs a bare one-insert Flask app, same everything else.

    python -m bench.http [--database postgresql+psycopg://postgres@127.0.0.1:5432/bench_http]
                         [--seconds 15] [--rounds 3] [--connections 16] [--redis redis://127.0.0.1:6379/10]

One invocation, on one PostgreSQL server and one gunicorn setting (2 workers x 4 threads, gthread):
  1. a fresh database for the portal (dropped and made again, migrated, organisation seeded) and a table
     for the bare app in the same database; citizens of one district with API tokens, its DC, an officer
     per department;
  2. gunicorn serving bench/bare_app.py and gunicorn serving the portal in production settings (PostgreSQL,
     Redis, the after-commit delivery hint), both started here and stopped at the end;
  3. wrk (Debian package `wrk`) with the same connections and threads against each, in rounds:
     bare insert | POST /api/v1/complaints JSON | the same with one 1 MB photo (multipart) — every request
     with its own Idempotency-Key, bearer tokens rotating over the citizens;
     then the DC assigns and the officers resolve the complaints those rounds lodged
     (POST /api/v1/tasks/<id>/completion, each request a different task);
  4. prints answers with success per second (ok/s), p50/p95/p99, the errors and the ratio of ok/s to the bare
     insert's of the same round. A task round stops when its tasks are all taken (wrk's thread stops at its next
     answer), and the refusals for a task already done never count as completions.

One request of each kind is sent and checked (201/200) before any load, so a broken setup does not
measure error pages. Rate limits are raised for the run (they are not what is measured here).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import make_url, select, text

from app.db import make_engine
from app.models import Category, District, HumanTask, Role, User, utcnow
from app.services.interop import api_tokens

from . import bare_app
from .bench_database import ROOT, prepared_app

BARE_PORT, PORTAL_PORT = 8871, 8872
GUNICORN = ["--workers", "2", "--threads", "4", "--worker-class", "gthread", "--no-control-socket",
            "--log-level", "warning", "--timeout", "60"]
WRK_THREADS = 2
DESCRIPTION = "Water has not come to the whole street for three days and the pipe at the corner is broken."

# Lua for wrk: one script per kind. `thread_id` and the request lists are set per thread by setup().
LUA_COMMON = r"""
local counter = 0
local threads = {}
function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end
function init(args)
  -- a prefix per thread and run: keys never repeat across rounds, so no request is answered as a replay
  math.randomseed(os.time() + thread_id * 7919)
  prefix = string.format("bench-%d-%d-%d-", os.time(), thread_id, math.random(1, 1000000000))
end
function key()
  return prefix .. counter
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, '
    .. '"non_2xx": %d, "socket_errors": %d}\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""

LUA_BARE = LUA_COMMON + r"""
function request()
  counter = counter + 1
  return wrk.format("POST", "/insert", {["Content-Type"] = "application/json"},
    '{"subject": "Water supply cut", "description": "' .. DESCRIPTION .. '"}')
end
"""

LUA_SUBMIT = LUA_COMMON + r"""
function request()
  counter = counter + 1
  local token = TOKENS[((counter * 2 + thread_id) % #TOKENS) + 1]
  local category = CATEGORIES[(counter % #CATEGORIES) + 1]
  local headers = {["Authorization"] = "Bearer " .. token, ["Idempotency-Key"] = key()}
  if PHOTO_BODY then
    headers["Content-Type"] = "multipart/form-data; boundary=" .. BOUNDARY
    local fields = "--" .. BOUNDARY .. '\r\nContent-Disposition: form-data; name="category_id"\r\n\r\n' .. category
      .. "\r\n--" .. BOUNDARY .. '\r\nContent-Disposition: form-data; name="subject"\r\n\r\nWater supply cut'
      .. "\r\n--" .. BOUNDARY .. '\r\nContent-Disposition: form-data; name="description"\r\n\r\n' .. DESCRIPTION
      .. "\r\n"
    return wrk.format("POST", "/api/v1/complaints", headers, fields .. PHOTO_BODY)
  end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/v1/complaints", headers, '{"category_id": ' .. category
    .. ', "subject": "Water supply cut", "description": "' .. DESCRIPTION .. '"}')
end
"""

LUA_TASKS = LUA_COMMON + r"""
function request()
  -- thread n takes the tasks n+1, n+1+T, ... so no two requests complete the same task
  local index = counter * THREADS + thread_id + 1
  counter = counter + 1
  if index > #TASKS then
    -- every task of the round is taken: this thread stops at its next answer (the refusals it still gets for
    -- the last task are not counted as completions)
    out_of_tasks = true
  end
  local task = TASKS[math.min(index, #TASKS)]
  return wrk.format("POST", "/api/v1/tasks/" .. task[1] .. "/completion",
    {["Authorization"] = "Bearer " .. task[2], ["Content-Type"] = "application/json"}, task[3])
end
function response(status, headers, body)
  if out_of_tasks then
    wrk.thread:stop()
  end
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_http")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/10")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--citizens", type=int, default=64)
    parser.add_argument("--no-tasks", action="store_true", help="only the submission rounds")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")

    _drop_database(args.database)
    people = _prepare(args.database, args.citizens)
    bare_app.create_table(args.database)
    work = Path(tempfile.mkdtemp(prefix="bench-http-"))
    servers = [_start(BARE_PORT, "bench.bare_app:create_app()", {"BARE_DATABASE_URL": args.database}),
               _start(PORTAL_PORT, "app:create_app()", _portal_environment(args, work))]
    try:
        _wait_until_up(BARE_PORT, "/insert", method="POST", body=b"{}")
        _wait_until_up(PORTAL_PORT, "/", method="GET")
        photo = _photo_part(work)
        scripts = {
            "bare": _script(work, "bare", LUA_BARE, {"DESCRIPTION": DESCRIPTION}),
            "submit-json": _script(work, "submit-json", LUA_SUBMIT, _submit_globals(people)),
            "submit-photo": _script(work, "submit-photo", LUA_SUBMIT, {**_submit_globals(people), **photo}),
        }
        _check_once(people, photo_path=work / "photo-part.bin")
        rows = []
        for number in range(1, args.rounds + 1):
            bare = _wrk(BARE_PORT, scripts["bare"], args)
            rows.append((number, "bare insert", bare, bare))
            for kind in ("submit-json", "submit-photo"):
                rows.append((number, f"POST /complaints {kind[7:]}", _wrk(PORTAL_PORT, scripts[kind], args), bare))
        if not args.no_tasks:
            for number in range(1, args.rounds + 1):
                bare = _wrk(BARE_PORT, scripts["bare"], args)
                rows.append((number, "bare insert", bare, bare))
                assign = _script(work, "assign", LUA_TASKS, {"TASKS": _dc_tasks(args.database, people),
                                                              "THREADS": WRK_THREADS})
                rows.append((number, "DC assigns", _wrk(PORTAL_PORT, assign, args), bare))
                resolve = _script(work, "resolve", LUA_TASKS, {"TASKS": _officer_tasks(args.database, people),
                                                                "THREADS": WRK_THREADS})
                rows.append((number, "officer resolves", _wrk(PORTAL_PORT, resolve, args), bare))
        _report(rows, args)
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def _prepare(url: str, citizens: int) -> dict:
    """Citizens of one district with tokens, its DC, an officer per department with tokens."""
    app, sessions = prepared_app(url)
    from werkzeug.security import generate_password_hash

    cheap = generate_password_hash("not used by the benchmark", method="pbkdf2:sha256:1")
    with sessions() as session:
        district = session.scalars(select(District).order_by(District.id)).first()
        categories = session.scalars(select(Category).order_by(Category.id)).all()
        now = utcnow()
        people = []
        for n in range(citizens):
            people.append(User(role=Role.CITIZEN, full_name=f"Citizen {n}", cnic=f"17301{n:07d}1",
                               mobile=f"0300{n:07d}", mobile_confirmed_at=now, password_hash=cheap,
                               district_id=district.id))
        dc = User(role=Role.DEPUTY_COMMISSIONER, full_name="Bench DC", username="bench.dc", password_hash=cheap,
                  district_id=district.id, division_id=district.division_id)
        departments = sorted({c.department_id for c in categories})
        officers = {d: User(role=Role.DISTRICT_OFFICER, full_name=f"Officer {d}", username=f"bench.officer{d}",
                            password_hash=cheap, district_id=district.id, department_id=d) for d in departments}
        session.add_all([*people, dc, *officers.values()])
        session.flush()
        token = lambda user: api_tokens.issue_token(session, user, lifetime=timedelta(days=1)).token  # noqa: E731
        result = {
            "district_id": district.id,
            "categories": [c.id for c in categories],
            "citizen_tokens": [token(c) for c in people],
            "dc": (dc.id, token(dc)),
            "officers": {d: (o.id, token(o)) for d, o in officers.items()},
        }
        session.commit()
    app.extensions["db_engine"].dispose()
    return result


def _portal_environment(args, work: Path) -> dict:
    limit = str(10**9)
    return {
        "PORTAL_ENV": "production", "DATABASE_URL": args.database, "REDIS_URL": args.redis,
        "SECRET_KEY": uuid.uuid4().hex, "UPLOAD_DIR": str(work / "uploads"), "SMS_DISABLED": "true",
        # Not measured here: the limits would refuse a benchmark's steady stream from one address.
        "API_SUBMIT_LIMIT": limit, "SUBMIT_LIMIT": limit, "SUBMIT_LIMIT_PER_ADDRESS": limit,
        "SESSION_COOKIE_SECURE": "false",
        "SECOND_FACTOR_KEYS": Fernet.generate_key().decode(),  # production refuses to start without
    }


def _start(port: int, target: str, environment: dict) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.Popen([str(gunicorn), *GUNICORN, "--bind", f"127.0.0.1:{port}", target],
                            cwd=ROOT, env={**os.environ, **environment})


def _wait_until_up(port: int, path: str, *, method: str, body: bytes | None = None) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method,
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=5).read()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"nothing answers on port {port}") from None
            time.sleep(0.3)


def _photo_part(work: Path) -> dict:
    """A 1 MB JPEG (noise does not compress) as the last part of a multipart body, read by wrk from a file."""
    from PIL import Image

    size = 700
    while True:
        image = Image.frombytes("RGB", (size, size), random.randbytes(size * size * 3))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        if buffer.tell() >= 1_000_000:
            break
        size += 50
    boundary = "benchboundary" + uuid.uuid4().hex
    part = (f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="street.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n").encode() + buffer.getvalue() + f"\r\n--{boundary}--\r\n".encode()
    (work / "photo-part.bin").write_bytes(part)
    return {"BOUNDARY": boundary, "PHOTO_FILE": str(work / "photo-part.bin")}


def _submit_globals(people: dict) -> dict:
    return {"TOKENS": people["citizen_tokens"], "CATEGORIES": people["categories"], "DESCRIPTION": DESCRIPTION}


def _script(work: Path, name: str, body: str, values: dict) -> Path:
    lines = [f"{key} = {_lua(value)}" for key, value in values.items() if key != "PHOTO_FILE"]
    if "PHOTO_FILE" in values:
        lines.append(f'local f = io.open({_lua(values["PHOTO_FILE"])}, "rb"); PHOTO_BODY = f:read("*a"); f:close()')
    path = work / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n" + body)
    return path


def _lua(value) -> str:
    if isinstance(value, (list, tuple)):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid Lua for these ASCII values
    return str(value)


def _check_once(people: dict, *, photo_path: Path) -> None:
    """One request of each kind, checked, before any load."""
    token = people["citizen_tokens"][0]
    body = json.dumps({"category_id": people["categories"][0], "subject": "Water supply cut",
                       "description": DESCRIPTION}).encode()
    answer = _post("/api/v1/complaints", body, token, "application/json")
    assert answer["tracking_number"].startswith("KP-"), answer
    part = photo_path.read_bytes()
    boundary = part.split(b"\r\n", 1)[0][2:].decode()
    fields = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n' for name, value in
                     (("category_id", people["categories"][0]), ("subject", "Water supply cut"),
                      ("description", DESCRIPTION))).encode()
    answer = _post("/api/v1/complaints", fields + part, token, f"multipart/form-data; boundary={boundary}")
    assert answer["tracking_number"].startswith("KP-"), answer


def _post(path: str, body: bytes, token: str, content_type: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{PORTAL_PORT}{path}", data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": content_type, "Idempotency-Key": str(uuid.uuid4())})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{path} answered {error.code}: {error.read()[:500]!r}") from None


def _open_tasks(url: str, role: Role) -> list[tuple[int, int, int]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(HumanTask.id, HumanTask.department_id, HumanTask.assignee_id).where(
            HumanTask.role == role, HumanTask.completed_at.is_(None)).order_by(HumanTask.id)).all()
    engine.dispose()
    return rows


def _dc_tasks(url: str, people: dict) -> list:
    _, token = people["dc"]
    tasks = []
    for task_id, department_id, _ in _open_tasks(url, Role.DEPUTY_COMMISSIONER):
        officer_id, _ = people["officers"][department_id]
        body = json.dumps({"decision": "assign", "officer_id": str(officer_id), "instruction": "Please see to it."})
        tasks.append((task_id, token, body))
    if not tasks:
        raise SystemExit("no DC task to assign: the submission rounds lodged nothing?")
    return tasks


def _officer_tasks(url: str, people: dict) -> list:
    tokens = {officer_id: token for officer_id, token in people["officers"].values()}
    body = json.dumps({"outcome": "resolved", "action_taken": "The pipe was repaired and the water is back."})
    tasks = [(task_id, tokens[assignee], body) for task_id, _, assignee in _open_tasks(url, Role.DISTRICT_OFFICER)
             if assignee in tokens]
    if not tasks:
        raise SystemExit("no officer task to resolve: did the DC round assign anything?")
    return tasks


def _wrk(port: int, script: Path, args) -> dict:
    output = subprocess.run(
        ["wrk", "-t", str(WRK_THREADS), "-c", str(args.connections), "-d", f"{args.seconds}s", "--timeout", "30s",
         "-s", str(script), f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    # Answered with success per second: a task round may end with refusals (its tasks all taken), which are
    # cheaper than completions and must not count as them.
    done = result["requests"] - result["non_2xx"] - result["socket_errors"]
    result["rps"] = done / (result["duration_us"] / 1e6)
    return result


def _report(rows, args) -> None:
    print(f"\n{args.connections} connections, {WRK_THREADS} wrk threads, {args.seconds} s per run; gunicorn "
          f"{' '.join(GUNICORN[:6])}; PostgreSQL {make_url(args.database).render_as_string()}")
    print(f"{'round':>5}  {'what':28} {'ok/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'x bare':>7}")
    ratios: dict[str, list[float]] = {}
    for number, name, result, bare in rows:
        ratio = result["rps"] / bare["rps"]
        ratios.setdefault(name, []).append(ratio)
        errors = result["non_2xx"] + result["socket_errors"]
        print(f"{number:>5}  {name:28} {result['rps']:8.1f} {result['p50'] / 1000:8.1f} {result['p95'] / 1000:8.1f} "
              f"{result['p99'] / 1000:8.1f} {errors:7d} {ratio:7.2f}")
    print("\nmedian ratio to the bare insert of the same round:")
    for name, values in ratios.items():
        if name != "bare insert":
            print(f"  {name:28} {statistics.median(values):.2f}x")


def _drop_database(url: str) -> None:
    parsed = make_url(url)
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
