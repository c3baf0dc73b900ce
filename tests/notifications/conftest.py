"""Fixtures for notifications: a real SMTP sink and an HTTP SMS gateway stub, both on
loopback, an app that enqueues delivery jobs to Redis, and small readers.

Redis and the worker subprocess come from tests/worker (a real Redis, flushed
before and after; `python worker.py --burst --simple` on the test database).
"""
from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app import create_app
from app.models import Channel, Notification
from app.services.notifications import channels, delivery
from tests.worker.conftest import redis, redis_url, worker_env  # noqa: F401 (fixtures used by the tests here)

TOKEN = "gateway-token"
BASE_URL = "https://portal.kp.example"


@dataclass
class GatewayStub:
    """An SMS gateway that answers 500 to its first `fail_first` requests, then accepts."""

    fail_first: int = 0
    delay: float = 0.0
    requests: list[dict] = field(default_factory=list)  # every POST, refused ones too
    accepted: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, payload: dict, authorization: str) -> int:
        time.sleep(self.delay)
        with self.lock:
            self.requests.append(payload)
            if authorization != f"Bearer {TOKEN}":
                return 401
            if len(self.requests) <= self.fail_first:
                return 500
            self.accepted.append(payload)
            return 202

    def texts_to(self, mobile: str) -> list[str]:
        return [p["text"] for p in self.accepted if p["to"] == mobile]


@pytest.fixture()
def sms_gateway():
    stub = GatewayStub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status = stub.answer(payload, self.headers.get("Authorization", ""))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    yield stub
    server.shutdown()
    server.server_close()
    thread.join()


class MailSink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.original_content, policy=policy.default)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def smtp_sink():
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()


@pytest.fixture()
def gateway_settings(sms_gateway, smtp_sink) -> dict:
    """Settings that point SMS and email at the loopback stubs."""
    return {
        "SMS_GATEWAY_URL": sms_gateway.url,
        "SMS_GATEWAY_TOKEN": TOKEN,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_sink.port,
        "SMTP_FROM": "Citizen's Portal <portal@kp.example>",
        "SMTP_STARTTLS": False,
        "PUBLIC_BASE_URL": BASE_URL,
    }


@pytest.fixture()
def deliver(app, gateway_settings):
    """deliver(**overrides) -> one delivery round in this process, against the stubs."""

    def run(**overrides):
        # Retries are due at once here, so a test needs no clock travel between rounds.
        settings = replace(delivery.DeliverySettings(base_url=BASE_URL, first_retry=timedelta(0)), **overrides)
        return delivery.deliver_due(
            app.extensions["db_sessions"], channels.senders_from_settings(gateway_settings), settings
        )

    return run


@pytest.fixture()
def app_with_redis(app):
    """make(redis_url) -> a second app on the test database that enqueues delivery to `redis_url`."""
    made = []

    def make(url: str):
        other = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": app.config["DATABASE_URL"],
                "UPLOAD_DIR": app.config["UPLOAD_DIR"],
                "WTF_CSRF_ENABLED": False,
                "REDIS_URL": url,
            }
        )
        made.append(other)
        return other

    yield make
    for other in made:
        other.extensions["db_engine"].dispose()


def notifications_of(session, user, *, template: str | None = None, channel: Channel | None = None) -> list[Notification]:
    session.rollback()
    session.expire_all()
    query = select(Notification).where(Notification.user_id == user.id)
    if template:
        query = query.where(Notification.template == template)
    if channel:
        query = query.where(Notification.channel == channel)
    return list(session.scalars(query.order_by(Notification.id)))


def templates_of(session, user) -> list[tuple[str, str]]:
    """(template, channel) of everything the user was sent, in order."""
    return [(n.template, n.channel.value) for n in notifications_of(session, user)]


@pytest.fixture()
def closed_port() -> int:
    """A loopback port nothing listens on (Redis 'down')."""
    return free_port()
