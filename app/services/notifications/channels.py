"""Where notifications leave the portal: one small interface, three senders.

A sender has one method, `send(notification)`: it hands one rendered message to
its gateway and returns once the gateway has accepted it, or raises (the outbox
then retries with backoff). Which gateway carries SMS and email is decided here,
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


class LogSender:
    """Development: write the message to the log instead of sending it (works offline).

    At WARNING, so it shows without any logging set up, and so a server that
    lacks its gateway settings says so in its log.
    """

    def send(self, notification: Notification) -> None:
        user = notification.user
        address = user.email if notification.channel is Channel.EMAIL else sms_number(notification)
        log.warning(
            "%s to %s (%s), written here because no gateway is configured: %s%s",
            notification.channel.value.upper(),
            address,
            user.full_name,
            f"[{notification.subject}] " if notification.subject else "",
            notification.body.replace("\n", " | "),
        )


@dataclass(frozen=True)
class SmsGateway:
    """An HTTP SMS gateway: POST {"to": mobile, "text": body} as JSON with a bearer token; any 2xx accepts."""

    url: str
    token: str = ""
    timeout: float = 10

    def send(self, notification: Notification) -> None:
        mobile = sms_number(notification)
        if not mobile:
            raise DeliveryFailed("the user has no mobile number")
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
            raise DeliveryFailed("the user has no email address")
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
    """The sender of each outgoing channel; the log stands in for what is not configured."""
    log_sender = LogSender()
    sms = SmsGateway(settings["SMS_GATEWAY_URL"], settings.get("SMS_GATEWAY_TOKEN", "")) if settings.get("SMS_GATEWAY_URL") else log_sender
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
        else log_sender
    )
    return {Channel.SMS: sms, Channel.EMAIL: email}
