"""The daily digest of new escalations for Commissioners and the Chief Secretary."""
from __future__ import annotations

from datetime import timedelta

import time_machine

from app.models import Channel, Role, utcnow
from app.services.notifications import digests
from app.services.casework import timers
from tests.app.helpers import lodge

from .conftest import notifications_of
from .test_events import reachable


def escalate(app, session, citizen, district, n=1):
    """n complaints of `district`, lodged 16 days ago and escalated now by the sweep."""
    with time_machine.travel(utcnow() - timedelta(days=16), tick=True):
        lodged = [lodge(session, citizen, district, subject=f"Open drain {i}") for i in range(n)]
    assert len(timers.sweep(app.extensions["db_sessions"]).fired) == n
    return lodged


def test_each_gets_one_digest_a_day_of_the_escalations_in_their_scope(app, session, make_user, places):
    sessions = app.extensions["db_sessions"]
    citizen = make_user(Role.CITIZEN)
    peshawar_commissioner = reachable(session, make_user(Role.COMMISSIONER))
    mardan_commissioner = reachable(session, make_user(Role.COMMISSIONER, district=places["mardan"]))
    chief_secretary = make_user(Role.CHIEF_SECRETARY)  # no email address: in-app only
    escalated = escalate(app, session, citizen, places["nowshera"], n=2)

    with time_machine.travel(utcnow() + timedelta(minutes=5), tick=False):
        assert digests.send_escalation_digests(sessions) == 2
        assert digests.send_escalation_digests(sessions) == 0  # one a day, however often it runs

    for person, channels in ((peshawar_commissioner, ["email", "in_app"]), (chief_secretary, ["in_app"])):
        rows = notifications_of(session, person, template="escalation_digest")
        assert sorted(n.channel.value for n in rows) == channels
        in_app = next(n for n in rows if n.channel is Channel.IN_APP)
        assert in_app.subject.startswith("2 new escalations since")
        assert all(c.tracking_number in in_app.body for c in escalated)
        assert "Nowshera" in in_app.body and "to the Commissioner" in in_app.body
        assert in_app.context["path"] == "/complaints?escalated=1"
    assert notifications_of(session, mardan_commissioner) == []


def test_the_next_digest_covers_only_what_is_new_and_nothing_new_sends_nothing(app, session, make_user, places):
    sessions = app.extensions["db_sessions"]
    citizen = make_user(Role.CITIZEN)
    commissioner = make_user(Role.COMMISSIONER)
    (first,) = escalate(app, session, citizen, places["peshawar"])
    assert digests.send_escalation_digests(sessions) == 1

    with time_machine.travel(utcnow() + timedelta(days=1), tick=True):
        assert digests.send_escalation_digests(sessions) == 0  # nothing escalated since
        (second,) = escalate(app, session, citizen, places["peshawar"])
    with time_machine.travel(utcnow() + timedelta(days=2), tick=True):
        assert digests.send_escalation_digests(sessions) == 1

    latest = notifications_of(session, commissioner, template="escalation_digest")[-1]
    assert latest.context["count"] == 1 and second.tracking_number in latest.body
    assert first.tracking_number not in latest.body


def test_the_cli_queues_the_digest(app, session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    make_user(Role.CHIEF_SECRETARY)
    escalate(app, session, citizen, places["mardan"])
    runner = app.test_cli_runner()

    first = runner.invoke(args=["notifications", "digest"])
    second = runner.invoke(args=["notifications", "digest"])

    assert first.exit_code == 0, first.output
    assert first.output.strip() == "queued the escalation digest for 1 person(s)"
    assert second.output.strip() == "queued the escalation digest for 0 person(s)"


def test_the_embedded_server_round_sends_the_digest_once_its_hour_has_come(app, session, make_user, places):
    from datetime import UTC, datetime

    from app.background import run_due

    def notification_round(app, last_runs, now):  # what the embedded server runs besides the timer sweep
        run_due(app, last_runs, now=now, only={"sweep_reminders", "send_digests", "deliver_notifications"})

    app.config["NOTIFY_DIGEST_CRON"] = "0 3 * * *"  # 08:00 in Pakistan
    noon = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    schedule: dict = {}
    with time_machine.travel(noon, tick=False):
        commissioner = make_user(Role.COMMISSIONER)
        notification_round(app, schedule, now=noon)  # the server starts: nothing escalated yet
        escalate(app, session, make_user(Role.CITIZEN), places["nowshera"])

    def digests_of_commissioner():
        return notifications_of(session, commissioner, template="escalation_digest", channel=Channel.IN_APP)

    tomorrow = noon.replace(hour=3) + timedelta(days=1)
    notification_round(app, schedule, now=tomorrow - timedelta(minutes=1))
    assert digests_of_commissioner() == []  # 08:00 has not come
    notification_round(app, schedule, now=tomorrow + timedelta(minutes=1))
    notification_round(app, schedule, now=tomorrow + timedelta(minutes=2))
    assert len(digests_of_commissioner()) == 1
