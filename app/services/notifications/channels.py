"""Where notifications leave the portal: one small interface, three senders.

A sender has one method, `send(notification)`: it hands one rendered message to
its gateway and returns once the gateway has accepted it, or raises: `Undeliverable`
when there is nowhere to send it (the row is marked so, never retried), any other
error when the gateway failed (the outbox then retries with backoff). Which gateway carries SMS and email is decided here,
from settings, and nowhere else in the portal.
"""
from __future__ import annotations

import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from typing import Protocol

from ...models import Channel, Notification

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """The gateway refused the message or could not be reached."""


class Sender(Protocol):
    def send(self, notification: Notification) -> None: ...


def sms_number(notification: Notification) -> str | None:
    """Where an SMS goes: its own address (a number being confirmed), else the user's number."""
    return notification.address or notification.user.mobile


class Undeliverable(DeliveryFailed):
    """There is nowhere to send it: no gateway for its channel, or no number or address. Retrying cannot help."""


class NoGateway:
    """The sender of a channel that has no gateway: SMS with SMS_DISABLED=true, or development without settings.

    The message is refused as undeliverable, never pretended sent. Its log line names the row and its
    template, never the body or the address: a body can hold a password-reset or registration code.
    """

    def __init__(self, reason: str):
        self.reason = reason

    def send(self, notification: Notification) -> None:
        log.warning("%s notification %s (%s) not sent: %s", notification.channel.value.upper(), notification.id,
                    notification.template, self.reason)
        raise Undeliverable(self.reason)


@dataclass(frozen=True)
class SmsGateway:
    """An HTTP SMS gateway: POST {"to": mobile, "text": body} as JSON with a bearer token; any 2xx accepts."""

    url: str
    token: str = ""
    timeout: float = 10

    def send(self, notification: Notification) -> None:
        mobile = sms_number(notification)
        if not mobile:
            raise Undeliverable("the user has no mobile number")
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = json.dumps({"to": mobile, "text": notification.body}).encode("utf-8")
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            error.close()
            raise DeliveryFailed(f"SMS gateway answered HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise DeliveryFailed(f"SMS gateway unreachable: {error}") from None
        if not 200 <= status < 300:
            raise DeliveryFailed(f"SMS gateway answered HTTP {status}")


@dataclass(frozen=True)
class SmtpMailer:
    """Plain-text email through an SMTP server (STARTTLS and login when configured)."""

    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    starttls: bool = True
    timeout: float = 20

    def send(self, notification: Notification) -> None:
        user = notification.user
        if not user.email:
            raise Undeliverable("the user has no email address")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = formataddr((user.full_name, user.email))
        message["Subject"] = notification.subject or "Citizen's Portal"
        # The same id on every attempt of one outbox row: a redelivery can be recognised.
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "citizens-portal"
        message["Message-ID"] = f"<notification-{notification.id}@{domain}>"
        message.set_content(notification.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"SMTP: {error}") from None


def senders_from_settings(settings: Mapping) -> dict[Channel, Sender]:
    """The sender of each outgoing channel; a channel without a gateway makes its messages undeliverable.

    Production refuses to start without an SMS gateway unless SMS_DISABLED is set (config.ProductionConfig).
    """
    if settings.get("SMS_DISABLED"):
        sms = NoGateway("SMS is switched off (SMS_DISABLED)")
    elif settings.get("SMS_GATEWAY_URL"):
        sms = SmsGateway(settings["SMS_GATEWAY_URL"], settings.get("SMS_GATEWAY_TOKEN", ""))
    else:
        sms = NoGateway("no SMS gateway is configured (SMS_GATEWAY_URL)")
    email = (
        SmtpMailer(
            host=settings["SMTP_HOST"],
            port=int(settings.get("SMTP_PORT") or 587),
            sender=settings.get("SMTP_FROM") or "no-reply@localhost",
            user=settings.get("SMTP_USER", ""),
            password=settings.get("SMTP_PASSWORD", ""),
            starttls=bool(settings.get("SMTP_STARTTLS", True)),
        )
        if settings.get("SMTP_HOST")
        else NoGateway("no email server is configured (SMTP_HOST)")
    )
    return {Channel.SMS: sms, Channel.EMAIL: email}
