"""Delivering the outbox through real gateways on loopback: an HTTP SMS gateway stub
(which fails when told to) and an SMTP server (aiosmtpd); retries with backoff,
parking, and never sending a message twice."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import time_machine

from app.models import Channel, DeliveryStatus, Role, utcnow
from tests.app.helpers import lodge, open_tasks

from .conftest import BASE_URL, notifications_of
from .test_events import reachable


def test_gateway_failures_are_retried_and_nothing_is_sent_twice(session, make_user, sms_gateway, deliver):
    citizens = [make_user(Role.CITIZEN) for _ in range(3)]
    sms_gateway.fail_first = 2

    first = deliver()
    second = deliver()
    third = deliver()

    assert (len(first.sent), len(first.failed)) == (1, 2)
    assert (len(second.sent), len(second.failed)) == (2, 0)
    assert third.sent == third.failed == []
    assert len(sms_gateway.requests) == 5  # 3 first tries, 2 retries, nothing after
    for citizen in citizens:
        (sms,) = notifications_of(session, citizen, channel=Channel.SMS)
        assert sms.status is DeliveryStatus.SENT and sms.last_error is None
        assert sms_gateway.texts_to(citizen.mobile) == [sms.body]  # exactly once
        assert sms.body.startswith("Welcome to the Citizen's Portal") and sms.body.endswith(f"{BASE_URL}/login")
    assert sorted(n.attempts for c in citizens for n in notifications_of(session, c, channel=Channel.SMS)) == [1, 2, 2]


def test_retries_back_off_and_the_last_attempt_parks_the_message(session, make_user, sms_gateway, deliver):
    citizen = make_user(Role.CITIZEN)
    sms_gateway.fail_first = 100
    backoff = {"first_retry": timedelta(minutes=1), "max_attempts": 3}
    start = utcnow()

    assert len(deliver(**backoff).failed) == 1
    (sms,) = notifications_of(session, citizen, channel=Channel.SMS)
    assert timedelta(seconds=59) < sms.next_attempt_at - start < timedelta(seconds=65)
    assert deliver(**backoff).failed == []  # not due yet
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert len(deliver(**backoff).failed) == 1
        (sms,) = notifications_of(session, citizen, channel=Channel.SMS)
        assert timedelta(seconds=119) < sms.next_attempt_at - utcnow() <= timedelta(seconds=120)  # doubled
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        assert len(deliver(**backoff).parked) == 1

    (sms,) = notifications_of(session, citizen, channel=Channel.SMS)
    assert (sms.status, sms.attempts, sms.next_attempt_at) == (DeliveryStatus.PARKED, 3, None)
    assert sms.last_error == "DeliveryFailed: SMS gateway answered HTTP 500"
    assert sms_gateway.accepted == [] and len(sms_gateway.requests) == 3
    assert deliver(**backoff).parked == []  # parked stays parked until an administrator retries it


def test_email_goes_out_through_smtp_in_the_users_language(session, make_user, places, smtp_sink, deliver):
    citizen = make_user(Role.CITIZEN)
    dc = reachable(session, make_user(Role.DEPUTY_COMMISSIONER))
    urdu_dc = reachable(session, make_user(Role.DEPUTY_COMMISSIONER))
    urdu_dc.language = "ur"
    session.commit()

    complaint = lodge(session, citizen, places["peshawar"])
    result = deliver()

    (triage,) = open_tasks(session, complaint)
    assert len(result.sent) == 6 and result.failed == []  # citizen: 2 SMS (welcome, received); each DC: SMS, email
    by_recipient = {rcpt[0]: message for rcpt, message in smtp_sink.messages}
    assert set(by_recipient) == {dc.email, urdu_dc.email}
    english, urdu = by_recipient[dc.email], by_recipient[urdu_dc.email]
    assert english["Subject"] == f"New task: {triage.name} ({complaint.tracking_number})"
    assert english["From"] == "Citizen's Portal <portal@kp.example>" and dc.full_name in english["To"]
    assert english.get_content().strip().endswith(f"{BASE_URL}/tasks/{triage.id}")
    assert urdu["Subject"].startswith("نیا کام") and "آپ کے لیے نیا کام" in urdu.get_content()
    (email,) = notifications_of(session, dc, channel=Channel.EMAIL)
    assert email.status is DeliveryStatus.SENT and email.subject == english["Subject"]
    assert english["Message-ID"] == f"<notification-{email.id}@kp.example>"  # the same on a redelivery


def test_two_deliverers_at_once_send_each_message_once(session, make_user, sms_gateway, deliver):
    citizens = [make_user(Role.CITIZEN) for _ in range(8)]
    sms_gateway.delay = 0.05  # slow enough for the deliverers to overlap
    results = []

    def run():
        results.append(deliver(batch=3))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    sent_by_each = [len(r.sent) for r in results]
    assert sum(sent_by_each) == 8
    assert Counter(p["to"] for p in sms_gateway.accepted) == Counter(c.mobile for c in citizens)
    assert all(n.status is DeliveryStatus.SENT for c in citizens for n in notifications_of(session, c))
