"""What is queued when: each event of a complaint becomes notification rows in the
transaction of the event itself, for the right people, on the right channels."""
from __future__ import annotations

import itertools
from datetime import timedelta

import jinja2
import time_machine
from sqlalchemy import func, select

from app.models import Channel, DeliveryStatus, Notification, ProcessInstance, Role, utcnow
from app.services.casework import complaints, timers
from app.services.notifications import outbox, reminders
from tests.app.helpers import DESCRIPTION, assign, category, complete, lodge, open_tasks

from .conftest import notifications_of, templates_of

_mobiles = itertools.count(1)


def reachable(session, user, *, email=True):
    """Give a staff account a mobile number (and an email address): staff may have neither."""
    user.mobile = f"0345{next(_mobiles):07d}"
    user.email = f"{user.username}@kp.example" if email else None
    session.commit()
    return user


def channels_of(rows) -> list[str]:
    return sorted(n.channel.value for n in rows)


def test_registration_welcomes_the_citizen_by_sms_and_in_app(session, make_user):
    citizen = make_user(Role.CITIZEN, name="Bilal Ahmad")

    assert templates_of(session, citizen) == [("registered", "sms"), ("registered", "in_app")]
    sms, in_app = notifications_of(session, citizen)
    assert (sms.status, sms.body, sms.attempts) == (DeliveryStatus.PENDING, "", 0)  # rendered when sent
    assert in_app.status is DeliveryStatus.SENT and in_app.read_at is None
    assert "Welcome to the Citizen's Portal, Bilal Ahmad" in in_app.body


def test_lodging_tells_the_citizen_and_the_districts_dc(session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    dc = reachable(session, make_user(Role.DEPUTY_COMMISSIONER))
    other_dc = reachable(session, make_user(Role.DEPUTY_COMMISSIONER, district=places["nowshera"]))

    complaint = lodge(session, citizen, places["peshawar"])

    received = notifications_of(session, citizen, template="complaint_received")
    assert channels_of(received) == ["in_app", "sms"]
    in_app = next(n for n in received if n.channel is Channel.IN_APP)
    assert complaint.tracking_number in in_app.body and complaint.subject in in_app.body
    assert in_app.complaint_id == complaint.id and in_app.context["path"] == f"/complaints/{complaint.id}"
    (triage,) = open_tasks(session, complaint)
    to_dc = notifications_of(session, dc, template="new_task")
    assert channels_of(to_dc) == ["email", "in_app", "sms"]
    assert {n.context["path"] for n in to_dc} == {f"/tasks/{triage.id}"}
    assert next(n for n in to_dc if n.channel is Channel.IN_APP).subject == f"New task: {triage.name} ({complaint.tracking_number})"
    assert notifications_of(session, other_dc) == []


def test_notifications_are_written_in_the_transaction_of_their_cause(session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    make_user(Role.DEPUTY_COMMISSIONER)
    before = session.scalar(select(func.count()).select_from(Notification))

    complaints.submit_complaint(
        session, citizen, complaints.ComplaintInput(category(session).id, places["peshawar"].id, "Broken pipe", DESCRIPTION)
    )
    session.flush()
    assert session.scalar(select(func.count()).select_from(Notification)) == before + 3  # citizen: SMS + in-app; the DC (no phone, no email): in-app
    session.rollback()  # the complaint is not lodged after all ...

    assert session.scalar(select(func.count()).select_from(Notification)) == before  # ... so nobody hears of it


def test_assignment_resolution_and_closing_reach_the_citizen(session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    complaint = lodge(session, citizen, places["peshawar"])
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    officer = reachable(session, make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id))
    bystander = reachable(session, make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id))

    assign(session, complaint, dc, officer)
    (action,) = open_tasks(session, complaint)
    complete(session, complaint, officer, outcome="resolved", action_taken="Replaced the bulb")
    complete(session, complaint, citizen, rating="5", satisfied="yes")

    assert [t for t, channel in templates_of(session, citizen) if channel == "in_app"] == [
        "registered", "complaint_received", "complaint_assigned", "complaint_resolved", "complaint_closed",
    ]
    resolved, closed = (notifications_of(session, citizen, template=t, channel=Channel.IN_APP)[0]
                        for t in ("complaint_resolved", "complaint_closed"))
    assert "Please rate the resolution" in resolved.body and resolved.context["path"] == f"/complaints/{complaint.id}"
    assert "Closed, citizen satisfied" in closed.body
    # The assigned officer hears of the task, another officer of the department does not.
    assert {n.context["path"] for n in notifications_of(session, officer, template="new_task")} == {f"/tasks/{action.id}"}
    assert notifications_of(session, bystander) == []


def test_reopening_tells_the_citizen_and_gives_the_dc_a_new_task(session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    complaint = lodge(session, citizen, places["peshawar"])
    dc = reachable(session, make_user(Role.DEPUTY_COMMISSIONER), email=False)
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, dc, officer)
    complete(session, complaint, officer, outcome="resolved", action_taken="Replaced the bulb")

    complete(session, complaint, citizen, rating="1", satisfied="no", comment="Still dark at night")

    (reopened,) = notifications_of(session, citizen, template="complaint_reopened", channel=Channel.IN_APP)
    assert "reopened" in reopened.body and "Peshawar" in reopened.body
    # The DC (appointed after the first triage) hears of the reopened one; without an email address, no email.
    assert channels_of(notifications_of(session, dc, template="new_task")) == ["in_app", "sms"]


def test_escalation_reaches_citizen_officer_and_dc_and_waits_for_the_digest_upstairs(session, make_user, places, app):
    citizen = make_user(Role.CITIZEN)
    complaint = lodge(session, citizen, places["peshawar"])
    dc = reachable(session, make_user(Role.DEPUTY_COMMISSIONER))
    officer = reachable(session, make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id))
    commissioner = reachable(session, make_user(Role.COMMISSIONER))
    assign(session, complaint, dc, officer)

    with time_machine.travel(utcnow() + timedelta(days=15, minutes=1), tick=False):
        result = timers.sweep(app.extensions["db_sessions"])

    assert len(result.fired) == 1
    (to_citizen,) = notifications_of(session, citizen, template="complaint_escalated", channel=Channel.IN_APP)
    assert "escalated to the Commissioner for review" in to_citizen.body
    for person in (officer, dc):
        staff = notifications_of(session, person, template="complaint_escalated_staff")
        assert channels_of(staff) == ["email", "in_app", "sms"]
        assert staff[0].context["level"] == 1
    # The late reminder (day 12) fired with the escalation and was dropped as pointless.
    assert notifications_of(session, officer, template="escalation_reminder") == []
    assert notifications_of(session, commissioner) == []


def test_the_reminder_fires_3_days_before_escalation(session, make_user, places, app):
    sessions = app.extensions["db_sessions"]
    lodged_at = utcnow()
    complaint = lodge(session, make_user(Role.CITIZEN), places["peshawar"])
    dc = reachable(session, make_user(Role.DEPUTY_COMMISSIONER))
    officer = reachable(session, make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id))
    assign(session, complaint, dc, officer)
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id))
    assert instance.next_notice_at - lodged_at < timedelta(days=12, seconds=5)  # due on day 12 ...
    assert complaint.next_deadline_at - lodged_at > timedelta(days=14)  # ... and not shown as the deadline

    with time_machine.travel(lodged_at + timedelta(days=11, hours=23), tick=False):
        assert reminders.fire_due_reminders(sessions) == []
    with time_machine.travel(lodged_at + timedelta(days=12, minutes=1), tick=False):
        assert reminders.fire_due_reminders(sessions) == [instance.id]
        assert reminders.fire_due_reminders(sessions) == []  # once

    for person in (officer, dc):
        rows = notifications_of(session, person, template="escalation_reminder")
        assert channels_of(rows) == ["email", "in_app", "sms"]
        in_app = next(n for n in rows if n.channel is Channel.IN_APP)
        assert complaint.tracking_number in in_app.body and "in 3 days" in in_app.body
    session.refresh(instance)
    session.refresh(complaint)
    assert instance.next_notice_at is None
    assert complaint.next_deadline_at - lodged_at > timedelta(days=14)  # the escalation deadline stands
    assert [n.template for n in notifications_of(session, complaint.citizen) if n.template == "escalation_reminder"] == []


def test_no_reminder_when_resolved_on_day_10(session, make_user, places, app):
    lodged_at = utcnow()
    citizen = make_user(Role.CITIZEN)
    complaint = lodge(session, citizen, places["peshawar"])
    dc = reachable(session, make_user(Role.DEPUTY_COMMISSIONER))
    officer = reachable(session, make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id))
    assign(session, complaint, dc, officer)

    with time_machine.travel(lodged_at + timedelta(days=10), tick=False):
        complete(session, complaint, officer, outcome="resolved", action_taken="Fixed on day 10")
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id))
    assert instance.next_notice_at is None
    with time_machine.travel(lodged_at + timedelta(days=13), tick=False):
        assert reminders.fire_due_reminders(app.extensions["db_sessions"]) == []

    assert notifications_of(session, officer, template="escalation_reminder") == []
    assert notifications_of(session, dc, template="escalation_reminder") == []


def test_an_urdu_speaking_citizen_gets_urdu(session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    citizen.language = "ur"
    session.commit()

    complaint = lodge(session, citizen, places["peshawar"])

    in_app, = notifications_of(session, citizen, template="complaint_received", channel=Channel.IN_APP)
    sms, = notifications_of(session, citizen, template="complaint_received", channel=Channel.SMS)
    assert in_app.language == sms.language == "ur"
    assert in_app.body.startswith("آپ کی شکایت") and complaint.tracking_number in in_app.body
    assert "موصول" in in_app.subject
    subject, body = outbox.render(sms, base_url="https://portal.kp.example")
    assert "ٹریکنگ نمبر" in body and body.endswith(f"https://portal.kp.example/complaints/{complaint.id}")
    # An English speaker gets the English text of the same event.
    english = make_user(Role.CITIZEN)
    lodge(session, english, places["peshawar"])
    (other,) = notifications_of(session, english, template="complaint_received", channel=Channel.IN_APP)
    assert other.language == "en" and other.body.startswith("Your complaint")


def test_a_template_without_a_translation_falls_back_to_english(session, make_user, tmp_path, monkeypatch):
    citizen = make_user(Role.CITIZEN)
    (message,) = notifications_of(session, citizen, template="registered", channel=Channel.IN_APP)
    english_only = tmp_path / "messages"
    english_only.mkdir()
    (english_only / "registered.en.txt").write_text((outbox.MESSAGES_DIR / "registered.en.txt").read_text())
    monkeypatch.setattr(outbox, "MESSAGES_DIR", english_only)
    message.language = "ur"

    subject, body = outbox.render(message)

    assert subject == "Welcome to the Citizen's Portal" and body.startswith("Welcome")


def test_a_broken_message_template_does_not_stop_the_complaint(session, make_user, places, monkeypatch, caplog):
    citizen = make_user(Role.CITIZEN)
    broken = jinja2.Environment(loader=jinja2.DictLoader({"complaint_received.en.txt": "{{ no_such_field }}"}),
                                undefined=jinja2.StrictUndefined)
    monkeypatch.setattr(outbox, "_templates", broken)

    complaint = lodge(session, citizen, places["peshawar"])

    assert complaint.id is not None
    (message,) = notifications_of(session, citizen, template="complaint_received", channel=Channel.IN_APP)
    assert message.body == f"Complaint received: {complaint.tracking_number}"
    assert "notification template 'complaint_received' (en) failed" in caplog.text
