"""Production smoke test: the deploy/ files run for real on this machine, end to end.

    nginx (deploy/nginx/citizens-portal.conf, a self-signed certificate made here)
      -> gunicorn (deploy/gunicorn.conf.py, PORTAL_ENV=production)
      -> PostgreSQL (its own database) + Redis (its own database number) + worker.py
      -> an SMS gateway (a small HTTP server in this script, speaking channels.HttpSmsSender's protocol)

What it checks, in order (after `flask db upgrade`, `flask seed --no-demo` and `flask users
create-admin` with the password on standard input): HTTP redirects to HTTPS and answers carry HSTS; the app counts a
caller by the address nginx saw, not by an X-Forwarded-For the caller made up; a body over
the upload limit is refused by nginx; a complaint lodged through nginx exists and the worker
delivers its SMS; a timer due in 15 days fires when the operator's command runs 16 days
ahead (faketime); and gunicorn reloaded with SIGHUP twice while lodgings keep coming loses
nothing: no 5xx, no broken connection, every 201's complaint in the database.

Not part of the pytest run (it starts servers and takes about a minute): .ci/run calls
`.venv/bin/python tests/smoke/production_smoke.py`. Settings from the environment:
SMOKE_DATABASE (default portal_smoke; dropped and made again), SMOKE_REDIS_URL (default
redis://127.0.0.1:6379/13; emptied), SMOKE_PG (default postgresql://postgres@127.0.0.1:5432).
Exit status 0 when every check passed.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SITE = ROOT / "deploy" / "nginx" / "citizens-portal.conf"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
PG = os.environ.get("SMOKE_PG", "postgresql://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("SMOKE_DATABASE", "portal_smoke")
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/13")
CITIZEN = {"full_name": "Smoke Test Citizen", "cnic": "17301-5550001-1", "mobile": "03005550001", "password": "kabul-river-tea-9"}
ADMIN = {"login": "admin.smoke", "password": "smoke-admin-passphrase"}
LOAD_SECONDS = 12  # of steady load around the two reloads
LOAD_CLIENTS = 6


def main() -> int:
    _need_debian_packages({"nginx": "nginx", "faketime": "faketime", "openssl": "openssl"})
    work = Path(tempfile.mkdtemp(prefix="portal-smoke-"))
    stack = Stack(work)
    try:
        stack.start()
        checks = Checks(stack)
        checks.run()
    except Exception as failure:
        print(f"FAILED: {failure!r}", file=sys.stderr)
        stack.show_logs()
        return 1
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("production smoke test passed")
    return 0


class Failed(Exception):
    pass


def expect(condition, message: str) -> None:
    if not condition:
        raise Failed(message)


def step(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def _need_debian_packages(commands: dict[str, str]) -> None:
    """CI runs on a fresh machine: install what this test drives, as root (apt-get)."""
    missing = [package for command, package in commands.items()
               if not shutil.which(command) and not Path(f"/usr/sbin/{command}").exists()]
    if missing:
        step(f"installing {', '.join(missing)}")
        subprocess.run(["apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=True, stdout=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, ready, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise Failed(f"{what}: not ready after {seconds:.0f} s")


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class SmsGateway(ThreadingHTTPServer):
    """Stands in for the operator's SMS gateway: records each {"to", "text"} it accepts."""

    def __init__(self, token: str):
        self.received: list[dict] = []
        self.token = token
        super().__init__(("127.0.0.1", 0), _GatewayHandler)


class _GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (the http.server name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Authorization") != f"Bearer {self.server.token}":
            self.send_response(401)
        else:
            self.server.received.append(json.loads(body))
            self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


class Stack:
    """The processes of a production machine, started from the repository's deploy files."""

    def __init__(self, work: Path):
        self.work = work
        self.https, self.http, self.gunicorn_port = free_port(), free_port(), free_port()
        self.gateway = SmsGateway(token=uuid.uuid4().hex)
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "PORTAL_ENV": "production",
            "SECRET_KEY": uuid.uuid4().hex,
            # Staff TOTP secrets are encrypted with it; production refuses to start without (docs/security.md).
            "SECOND_FACTOR_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "DATABASE_URL": f"{PG.replace('postgresql://', 'postgresql+psycopg://', 1)}/{DATABASE}",
            "REDIS_URL": REDIS_URL,
            "TRUSTED_PROXIES": "1",
            "UPLOAD_DIR": str(work / "uploads"),
            # Its own metric files: deploy/gunicorn.conf.py's default under /dev/shm is one per machine,
            # and gunicorn clears it when it starts.
            "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics"),
            "PUBLIC_BASE_URL": f"https://localhost:{self.https}",
            "SMS_GATEWAY_URL": f"http://127.0.0.1:{self.gateway.server_address[1]}/send",
            "SMS_GATEWAY_TOKEN": self.gateway.token,
            "API_SUBMIT_LIMIT": "100000",
            "PORTAL_BIND": f"127.0.0.1:{self.gunicorn_port}",
            "PORTAL_WEB_WORKERS": "2",
            "FLASK_APP": "app",
            "PYTHONUNBUFFERED": "1",
        }
        self.certificate = work / "tls" / "fullchain.pem"

    def start(self) -> None:
        (self.work / "metrics").mkdir()
        threading.Thread(target=self.gateway.serve_forever, daemon=True).start()
        self._fresh_database()
        step("migrating and seeding the organisation (flask db upgrade, flask seed --no-demo)")
        self.flask("db", "upgrade")
        self.flask("seed", "--no-demo")
        # The first administrator, its password on standard input as an install script would pipe it.
        self.flask("users", "create-admin", "--username", ADMIN["login"], "--full-name", "Smoke Administrator",
                   stdin=ADMIN["password"] + "\n")
        self._add_citizen()
        step("starting gunicorn, worker.py and nginx")
        self.spawn("gunicorn", [VENV_BIN / "gunicorn", "--config", GUNICORN_CONF])
        self.spawn("worker", [sys.executable, ROOT / "worker.py"])
        self._start_nginx()
        # Each worker builds the app after the fork (no preload): the port opens before the app answers.
        wait_for("gunicorn", self._app_answers, seconds=90)
        wait_for("nginx", lambda: port_open(self.https))

    def _app_answers(self) -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{self.gunicorn_port}/login", timeout=60).status_code == 200
        except requests.RequestException:
            return False

    def flask(self, *args: str, faketime: str | None = None, stdin: str | None = None) -> str:
        command = [str(VENV_BIN / "flask"), *args]
        if faketime:
            command = ["faketime", "-f", faketime, *command]
        done = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
                              input=stdin)
        expect(done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def spawn(self, name: str, command: list) -> None:
        log = open(self.work / f"{name}.log", "wb")
        self.processes[name] = subprocess.Popen([str(part) for part in command], cwd=ROOT, env=self.env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)

    def _fresh_database(self) -> None:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{DATABASE}"')
        redis.Redis.from_url(REDIS_URL).flushdb()

    def _add_citizen(self) -> None:
        """A citizen whose number is confirmed, as a registration with its SMS code would leave it."""
        script = (
            "from app.factory import create_app\n"
            "from app.services.people import accounts\n"
            "from app.web import db\n"
            "import json, sys\n"
            "data = json.loads(sys.argv[1])\n"
            "app = create_app()\n"
            "with app.app_context():\n"
            "    session = db()\n"
            "    district = session.execute(__import__('sqlalchemy').text('SELECT min(id) FROM districts')).scalar()\n"
            "    accounts.create_citizen(session, accounts.Registration(**data, district_id=district,\n"
            "                            password_confirm=data['password']))\n"
            "    session.commit()\n"
        )
        done = subprocess.run([sys.executable, "-c", script, json.dumps(CITIZEN)], cwd=ROOT, env=self.env,
                              capture_output=True, text=True)
        expect(done.returncode == 0, f"could not add the citizen:\n{done.stderr}")

    def _start_nginx(self) -> None:
        tls = self.certificate.parent
        tls.mkdir()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost", "-keyout", tls / "privkey.pem",
                        "-out", self.certificate], check=True, capture_output=True)
        # The repository's site, with only the machine-specific lines changed.
        site = SITE.read_text()
        for original, here in (
            ("server 127.0.0.1:8000;", f"server 127.0.0.1:{self.gunicorn_port};"),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.https} ssl http2;"),
            ("listen [::]:443 ssl http2;", ""),
            ("listen 80;", f"listen 127.0.0.1:{self.http};"),
            ("listen [::]:80;", ""),
            ("/etc/ssl/citizens-portal/", f"{tls}/"),
            ("portal.example.gov.pk", "localhost"),
        ):
            expect(original in site, f"{SITE.name} no longer has {original!r}: update this test with it")
            site = site.replace(original, here)
        (self.work / "site.conf").write_text(site)
        (self.work / "nginx.conf").write_text(
            f"pid {self.work}/nginx.pid;\nerror_log {self.work}/nginx-error.log;\n"
            "worker_processes 2;\nevents { worker_connections 512; }\n"
            f"http {{\n  access_log {self.work}/nginx-access.log;\n"
            f"  client_body_temp_path {self.work}/body;\n  proxy_temp_path {self.work}/proxy;\n"
            f"  fastcgi_temp_path {self.work}/fastcgi;\n  uwsgi_temp_path {self.work}/uwsgi;\n"
            f"  scgi_temp_path {self.work}/scgi;\n  include /etc/nginx/mime.types;\n  include {self.work}/site.conf;\n}}\n")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        test = subprocess.run([nginx, "-t", "-p", self.work, "-c", self.work / "nginx.conf"], capture_output=True, text=True)
        expect(test.returncode == 0, f"nginx refuses the site:\n{test.stderr}")
        self.spawn("nginx", [nginx, "-p", self.work, "-c", self.work / "nginx.conf", "-g", "daemon off;"])

    def url(self, path: str) -> str:
        return f"https://localhost:{self.https}{path}"

    def gunicorn_workers(self) -> set[int]:
        master = self.processes["gunicorn"].pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return {int(pid) for pid in children}

    def sql(self, query: str, *params):
        with psycopg.connect(f"{PG}/{DATABASE}") as connection:
            return connection.execute(query, params).fetchall()

    def stop(self) -> None:
        for name, stop_signal in (("nginx", signal.SIGQUIT), ("gunicorn", signal.SIGTERM), ("worker", signal.SIGTERM)):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(stop_signal)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.gateway.shutdown()
        try:
            with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            redis.Redis.from_url(REDIS_URL).flushdb()
        except (psycopg.Error, redis.RedisError) as error:
            print(f"could not clean up: {error}", file=sys.stderr)

    def show_logs(self) -> None:
        for log in sorted(self.work.glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-40:]
            print(f"--- {log.name} (last {len(lines)} lines)", file=sys.stderr)
            print("\n".join(lines), file=sys.stderr)


class Checks:
    def __init__(self, stack: Stack):
        self.stack = stack
        self.web = requests.Session()
        self.web.verify = str(stack.certificate)  # the certificate nginx serves, and nothing else
        self.web.trust_env = False  # REQUESTS_CA_BUNDLE or a proxy from the environment would override the above

    def run(self) -> None:
        self.https_only()
        token = self.sign_in_counted_by_real_address()
        self.upload_limit()
        complaint = self.lodge_and_deliver(token)
        self.timer_fires(complaint)
        self.reload_under_load(token)

    def https_only(self) -> None:
        step("HTTP moves to HTTPS; HTTPS answers carry one HSTS header")
        plain = self.web.get(f"http://127.0.0.1:{self.stack.http}/track", allow_redirects=False, timeout=30)
        expect(plain.status_code == 301 and plain.headers["Location"].startswith("https://"),
               f"http:// answered {plain.status_code} {plain.headers.get('Location')}")
        page = self.web.get(self.stack.url("/"), timeout=30)
        expect(page.status_code == 200, f"GET / through nginx: {page.status_code}")
        hsts = page.headers.get("Strict-Transport-Security", "")
        expect(hsts.count("max-age=") == 1, f"one HSTS header expected, got {hsts!r}")

    def sign_in_counted_by_real_address(self) -> str:
        step("sign in through nginx with a made-up X-Forwarded-For: the app counts the address nginx saw")
        answer = self.web.post(self.stack.url("/api/v1/auth/token"), timeout=30,
                               json={"login": CITIZEN["cnic"], "password": CITIZEN["password"]},
                               headers={"X-Forwarded-For": "203.0.113.9"})
        expect(answer.status_code == 200, f"sign-in: {answer.status_code} {answer.text[:300]}")
        buckets = [row[0] for row in self.stack.sql("SELECT bucket FROM rate_limit_counters")]
        expect("sign-in:address:127.0.0.1" in buckets, f"sign-in not counted for 127.0.0.1: {buckets}")
        expect(not any("203.0.113.9" in b for b in buckets), f"the forged address was believed: {buckets}")
        # An administrator must set up a second factor on the website first: with the right password the
        # API says so (403 not_set_up); a wrong password would be 401. That proves the account and password.
        admin = self.web.post(self.stack.url("/api/v1/auth/token"), json=ADMIN, timeout=30)
        expect(admin.status_code == 403 and admin.json().get("second_factor") == "not_set_up",
               f"the administrator made by `flask users create-admin`: {admin.status_code} {admin.text[:300]}")
        return answer.json()["token"]

    def upload_limit(self) -> None:
        step("a body over the upload limit (51 MB) is refused by nginx before it is read")
        with socket.create_connection(("127.0.0.1", self.stack.https)) as raw:
            context = ssl.create_default_context(cafile=str(self.stack.certificate))
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"POST /api/v1/complaints HTTP/1.1\r\nHost: localhost\r\n"
                            b"Content-Type: application/json\r\nContent-Length: 60000000\r\n\r\n")
                head = tls.recv(4096).split(b"\r\n\r\n", 1)[0]
        expect(b" 413 " in head.split(b"\r\n", 1)[0], f"60 MB announced: {head!r}")
        expect(b"Strict-Transport-Security: max-age=" in head, f"nginx's own 413 without HSTS: {head!r}")

    def lodge(self, token: str, subject: str) -> requests.Response:
        # Longer than nginx's proxy_read_timeout (60 s): a request nginx gives up on comes back as its 504.
        return self.web.post(self.stack.url("/api/v1/complaints"), timeout=90, json={
            "category_id": self.category_id, "subject": subject,
            "description": "Smoke test: the street light outside the school has been off for a week.",
        }, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})

    def lodge_and_deliver(self, token: str) -> int:
        step("lodge a complaint through nginx; the worker delivers its SMS to the gateway")
        self.category_id = self.stack.sql("SELECT min(id) FROM categories")[0][0]
        answer = self.lodge(token, "Street light out")
        expect(answer.status_code == 201, f"lodging: {answer.status_code} {answer.text[:300]}")
        complaint = answer.json()
        expect(self.stack.sql("SELECT id FROM complaints WHERE tracking_number = %s", complaint["tracking_number"]),
               "the lodged complaint is not in the database")
        mobile = self.stack.sql("SELECT mobile FROM users WHERE cnic = %s", CITIZEN["cnic"].replace("-", ""))[0][0]
        wait_for("the complaint's SMS at the gateway",
                 lambda: any(m["to"].endswith(mobile[-10:]) and complaint["tracking_number"] in m["text"]
                             for m in self.stack.gateway.received))
        sent = self.stack.sql("SELECT status FROM notifications WHERE complaint_id = %s AND channel = 'sms'", complaint["id"])
        expect(sent and all(row[0] == "sent" for row in sent), f"SMS rows of the complaint: {sent}")
        return complaint["id"]

    def timer_fires(self, complaint_id: int) -> None:
        step("16 days later (faketime around `flask timers fire`) the complaint escalates")
        before = self.stack.sql("SELECT escalation_level FROM complaints WHERE id = %s", complaint_id)[0][0]
        said = self.stack.flask("timers", "fire", faketime="+16d")
        after = self.stack.sql("SELECT escalation_level FROM complaints WHERE id = %s", complaint_id)[0][0]
        expect(after > before, f"escalation level {before} -> {after}; `timers fire` said: {said.strip()}")

    def reload_under_load(self, token: str) -> None:
        step(f"{LOAD_CLIENTS} clients lodge while gunicorn is reloaded (SIGHUP) twice")
        first = self.stack.gunicorn_workers()
        stop = threading.Event()
        results: list[tuple[int, str | None]] = []
        failures: list[str] = []

        def client(number: int) -> None:
            while not stop.is_set():
                try:
                    answer = self.lodge(token, f"Load {number}")
                except requests.RequestException as error:
                    failures.append(f"client {number}: {error}")
                    continue
                body = answer.json() if answer.status_code == 201 else {}
                results.append((answer.status_code, body.get("tracking_number")))

        started = time.monotonic()
        with ThreadPoolExecutor(LOAD_CLIENTS) as pool:
            for number in range(LOAD_CLIENTS):
                pool.submit(client, number)
            generations = [first]
            for _ in range(2):
                time.sleep(LOAD_SECONDS / 3)
                generations.append(self.reload(generations[-1]))
            time.sleep(LOAD_SECONDS / 3)
            stop.set()
        seconds = time.monotonic() - started
        created = [tracking for status, tracking in results if status == 201]
        statuses = sorted({status for status, _ in results})
        print(f"    {len(results)} answers in {seconds:.0f} s ({len(created)} created, statuses {statuses}), "
              f"{len(created) / seconds:.1f} lodgings/s; workers {' -> '.join(str(sorted(g)) for g in generations)}")
        expect(not failures, f"{len(failures)} requests broke: {failures[:3]}")
        expect(not any(status >= 500 for status, _ in results), f"server errors during the reload: {statuses}")
        expect(len(created) == len(results), f"answers other than 201: {statuses}")
        stored = {row[0] for row in self.stack.sql("SELECT tracking_number FROM complaints WHERE tracking_number = ANY(%s)",
                                                   created)}
        expect(len(stored) == len(created), f"{len(created) - len(stored)} answered complaints are not in the database")

    def reload(self, workers: set[int]) -> set[int]:
        """SIGHUP, then wait until none of `workers` is left and the new ones answer. The new workers import the
        app before they accept (no preload), so requests wait in the listen queue meanwhile; they are not lost."""
        started = time.monotonic()
        self.stack.processes["gunicorn"].send_signal(signal.SIGHUP)
        wait_for("the reloaded workers", lambda: not (self.stack.gunicorn_workers() & workers)
                 and self.stack._app_answers(), seconds=90)
        print(f"    reloaded in {time.monotonic() - started:.1f} s")
        return self.stack.gunicorn_workers()

if __name__ == "__main__":
    sys.exit(main())
