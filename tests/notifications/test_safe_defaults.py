"""Safe notification defaults: production needs an SMS gateway (or SMS_DISABLED on purpose), no code is ever
written to a log, and a message with nowhere to go is `undeliverable`, never `sent`."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from app import background
from app.models import Channel, DeliveryStatus, Notification, Role, User
from app.services.notifications import channels
from app.settings import ConfigError, ProductionConfig
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]
SECOND_FACTOR_KEYS = Fernet.generate_key().decode()  # production needs them too (app/settings.py)
PRODUCTION = {"SECRET_KEY": "s" * 32, "DATABASE_URL": "postgresql+psycopg://portal@db/portal",
              "REDIS_URL": "redis://redis:6379/0", "MAP_TILE_URL": "", "SECOND_FACTOR_KEYS": SECOND_FACTOR_KEYS}


def test_production_refuses_to_start_without_an_sms_gateway():
    with pytest.raises(ConfigError, match="SMS_GATEWAY_URL, or SMS_DISABLED=true"):
        ProductionConfig.check({**PRODUCTION, "SMS_GATEWAY_URL": "", "SMS_DISABLED": False})
    with pytest.raises(ConfigError, match="both set"):
        ProductionConfig.check({**PRODUCTION, "SMS_GATEWAY_URL": "https://sms.example/send", "SMS_DISABLED": True})
    ProductionConfig.check({**PRODUCTION, "SMS_GATEWAY_URL": "https://sms.example/send", "SMS_DISABLED": False})
    ProductionConfig.check({**PRODUCTION, "SMS_GATEWAY_URL": "", "SMS_DISABLED": True})


@pytest.mark.parametrize(("sms", "refused"), [({}, True), ({"SMS_DISABLED": "true"}, False),
                                              ({"SMS_GATEWAY_URL": "https://sms.example/send"}, False)])
def test_a_production_process_says_why_it_will_not_start(sms, refused):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMS_", "TEST_"))}
    env.update(PORTAL_ENV="production", SECRET_KEY="s" * 32, REDIS_URL="redis://127.0.0.1:6379/5",
               DATABASE_URL="postgresql+psycopg://portal@127.0.0.1:1/portal", FLASK_APP="app",
               SECOND_FACTOR_KEYS=SECOND_FACTOR_KEYS, **sms)
    done = subprocess.run([sys.executable, "-m", "flask", "routes"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode != 0) is refused, done.stderr
    assert ("SMS_DISABLED=true to run without SMS on purpose" in done.stderr) is refused


def sms_rows(session, user):
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                           Notification.channel == Channel.SMS)))


@pytest.mark.parametrize("settings", [{}, {"SMS_DISABLED": True, "SMS_GATEWAY_URL": "http://127.0.0.1:9/"}], ids=["no-gateway", "disabled"])
def test_a_reset_code_with_no_gateway_is_undeliverable_and_never_logged(app, client, session, make_user, caplog,
                                                                         settings):
    app.config.update(SMS_GATEWAY_URL="", SMTP_HOST="")
    app.config.update(settings)  # switched off wins over a gateway
    citizen = make_user(Role.CITIZEN)
    client.post("/password/forgot", data={"login": citizen.mobile})
    (row,) = [n for n in sms_rows(session, citizen) if n.template == "password_reset_code"]
    code = row.context["code"]

    with caplog.at_level(logging.DEBUG):
        result = background.deliver_notifications(app)

    assert result["sent"] == 0 and result["undeliverable"] >= 1
    (row,) = [n for n in sms_rows(session, citizen) if n.template == "password_reset_code"]
    assert (row.status, row.next_attempt_at, row.attempts) == (DeliveryStatus.UNDELIVERABLE, None, 1)
    assert row.sent_at is None and "SMS" in row.last_error
    assert f"notification {row.id} (password_reset_code) not sent" in caplog.text
    assert code not in caplog.text and citizen.mobile not in caplog.text and row.body not in caplog.text
    # Never retried: the next round finds nothing due.
    assert background.deliver_notifications(app)["undeliverable"] == 0


def test_a_user_without_a_number_makes_an_undeliverable_sms_at_once(app, session, make_user, deliver, sms_gateway):
    citizen = make_user(Role.CITIZEN)
    session.get(User, citizen.id).mobile = None
    row = Notification(user_id=citizen.id, channel=Channel.SMS, template="registered", body="", context={"name": "Gul"})
    session.add(row)
    session.commit()
    result = deliver()
    session.refresh(row)
    assert row.id in result.undeliverable and row.status is DeliveryStatus.UNDELIVERABLE
    assert row.last_error == "the user has no mobile number"
    assert not sms_gateway.requests


def test_the_administrator_sees_undeliverable_messages_and_can_send_them_again(app, client, session, make_user):
    app.config.update(SMS_GATEWAY_URL="", SMTP_HOST="")
    citizen, admin = make_user(Role.CITIZEN), make_user(Role.ADMIN)
    row = Notification(user_id=citizen.id, channel=Channel.SMS, template="registered", body="", context={"name": "Gul"})
    session.add(row)
    session.commit()
    undeliverable = background.deliver_notifications(app)["undeliverable"]
    login(client, admin)
    page = client.get("/admin/notifications").get_data(as_text=True)
    assert f"{undeliverable} could not be sent anywhere" in page and ">undeliverable</span>" in page
    assert client.post(f"/admin/notifications/{row.id}/retry").status_code == 302
    session.refresh(row)
    assert row.status is DeliveryStatus.PENDING


def test_no_sender_writes_a_message_body_to_the_log():
    """The log stand-in of old wrote whole bodies (codes included): every sender now is a gateway or refuses."""
    senders = channels.senders_from_settings({"SMS_GATEWAY_URL": "", "SMTP_HOST": ""})
    assert all(isinstance(sender, channels.NoGateway) for sender in senders.values())
    assert not hasattr(channels, "LogSender")
