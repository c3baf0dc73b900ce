"""The in-app list (own notifications only, unread first, a badge in the navigation)
and the administrators' page of parked and failing messages."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app import create_app
from app.models import Channel, DeliveryStatus, Role, utcnow
from tests.app.helpers import lodge, text_of
from tests.conftest import login

from .conftest import notifications_of

ROLES = [Role.CITIZEN, Role.DISTRICT_OFFICER, Role.DEPUTY_COMMISSIONER, Role.COMMISSIONER, Role.CHIEF_SECRETARY, Role.ANALYST]


def in_app(session, user):
    return notifications_of(session, user, channel=Channel.IN_APP)


def titles(response) -> list[str]:
    """Subjects of the listed notifications, top to bottom."""
    return re.findall(r'<strong lang="\w+" dir="auto">([^<]+)</strong>', text_of(response))


def test_the_list_shows_unread_first_and_marking_read_moves_them_down(client, session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    complaint = lodge(session, citizen, places["peshawar"])
    welcome, received = in_app(session, citizen)
    login(client, citizen)

    page = client.get("/notifications")
    assert titles(page) == [received.subject, welcome.subject]  # newest first
    assert "2 unread" in text_of(page) and ">2</span>" in text_of(page)  # the badge in the navigation

    response = client.post(f"/notifications/{received.id}/read")

    assert response.status_code == 302 and response.headers["Location"] == "/notifications"
    page = client.get("/notifications")
    assert titles(page) == [welcome.subject, received.subject]  # unread first
    assert "1 unread" in text_of(page) and f'href="/complaints/{complaint.id}"' in text_of(page)
    assert in_app(session, citizen)[1].read_at is not None


def test_mark_all_read_clears_the_badge(client, session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    lodge(session, citizen, places["peshawar"])
    login(client, citizen)

    client.post("/notifications/read-all")

    assert all(n.read_at is not None for n in in_app(session, citizen))
    page = text_of(client.get("/notifications"))
    assert "0 unread" in page and 'class="badge"' not in page.split("<main")[0]  # no unread badge in the header


def test_urdu_notifications_are_marked_as_urdu_on_the_page(client, session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    citizen.language = "ur"
    session.commit()
    lodge(session, citizen, places["peshawar"])
    login(client, citizen)

    page = text_of(client.get("/notifications"))

    assert '<p lang="ur" dir="auto">آپ کی شکایت' in page


@pytest.mark.parametrize("role", ROLES + [Role.ADMIN], ids=lambda r: r.value)
def test_nobody_reads_or_marks_anothers_notifications(client, session, make_user, places, role):
    owner = make_user(Role.CITIZEN)
    (welcome,) = in_app(session, owner)
    other = make_user(role)
    login(client, other)

    listed = text_of(client.get("/notifications"))
    response = client.post(f"/notifications/{welcome.id}/read")

    assert owner.full_name in welcome.body and welcome.body not in listed
    assert response.status_code == 404
    assert in_app(session, owner)[0].read_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client, session, make_user):
    (welcome,) = in_app(session, make_user(Role.CITIZEN))

    assert client.get("/notifications").headers["Location"].startswith("/login")
    assert client.post(f"/notifications/{welcome.id}/read").headers["Location"].startswith("/login")


def park(session, notification, error="DeliveryFailed: SMS gateway answered HTTP 500"):
    notification.status, notification.attempts, notification.next_attempt_at = DeliveryStatus.PARKED, 6, None
    notification.last_error = error
    session.commit()


def test_administrators_see_parked_messages_and_retry_them(client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    (sms,) = notifications_of(session, citizen, channel=Channel.SMS)
    park(session, sms)
    other = make_user(Role.CITIZEN)
    (other_sms,) = notifications_of(session, other, channel=Channel.SMS)
    park(session, other_sms, "DeliveryFailed: the user has no mobile number")
    login(client, make_user(Role.ADMIN))

    page = text_of(client.get("/admin/notifications"))
    assert "SMS gateway answered HTTP 500" in page and citizen.full_name in page and "2 parked" in page
    response = client.post(f"/admin/notifications/{sms.id}/retry")

    assert response.status_code == 302 and response.headers["Location"] == "/admin/notifications"
    (sms,) = notifications_of(session, citizen, channel=Channel.SMS)
    assert (sms.status, sms.attempts) == (DeliveryStatus.PENDING, 0)
    assert sms.next_attempt_at <= utcnow() + timedelta(seconds=1)
    assert "1 parked" in text_of(client.get("/admin/notifications"))

    client.post("/admin/notifications/retry-parked")
    assert notifications_of(session, other, channel=Channel.SMS)[0].status is DeliveryStatus.PENDING


def test_sent_and_in_app_notifications_cannot_be_retried(client, session, make_user):
    citizen = make_user(Role.CITIZEN)
    sms, welcome = notifications_of(session, citizen)
    sms.status = DeliveryStatus.SENT
    session.commit()
    login(client, make_user(Role.ADMIN))

    assert client.post(f"/admin/notifications/{sms.id}/retry").status_code == 409
    assert client.post(f"/admin/notifications/{welcome.id}/retry").status_code == 404
    assert client.post("/admin/notifications/999999/retry").status_code == 404


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
def test_only_administrators_reach_the_delivery_page(client, session, make_user, role):
    citizen = make_user(Role.CITIZEN)
    (sms,) = notifications_of(session, citizen, channel=Channel.SMS)
    park(session, sms)
    login(client, make_user(role))

    assert client.get("/admin/notifications").status_code == 403
    assert client.post(f"/admin/notifications/{sms.id}/retry").status_code == 403
    assert client.post("/admin/notifications/retry-parked").status_code == 403
    assert notifications_of(session, citizen, channel=Channel.SMS)[0].status is DeliveryStatus.PARKED


def test_without_the_csrf_token_nothing_is_marked_or_retried(app, session, make_user):
    protected = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "WTF_CSRF_ENABLED": True})
    try:
        client = protected.test_client()
        citizen = make_user(Role.CITIZEN)
        sms, welcome = notifications_of(session, citizen)
        park(session, sms)
        login(client, citizen)
        assert client.post(f"/notifications/{welcome.id}/read").status_code == 400
        assert client.post("/notifications/read-all").status_code == 400
        login(client, make_user(Role.ADMIN))
        assert client.post(f"/admin/notifications/{sms.id}/retry").status_code == 400
        assert client.post("/admin/notifications/retry-parked").status_code == 400
    finally:
        protected.extensions["db_engine"].dispose()

    sms, welcome = notifications_of(session, citizen)
    assert sms.status is DeliveryStatus.PARKED and welcome.read_at is None


def test_a_long_list_comes_in_pages_of_fifty(client, session, make_user):
    from app.models import Notification

    citizen = make_user(Role.CITIZEN)
    now = utcnow()
    for n in range(120):
        session.add(Notification(user_id=citizen.id, channel=Channel.IN_APP, template="complaint_received",
                                 subject=f"Message {n:03d}", body=f"Body {n}", status=DeliveryStatus.SENT,
                                 created_at=now - timedelta(minutes=n), read_at=now if n % 2 else None))
    session.commit()
    login(client, citizen)

    first = client.get("/notifications")
    assert len(titles(first)) == 50 and "Page 1 of 3" in text_of(first)
    assert "61 unread" in text_of(first)  # 60 of these plus the welcome message, counted over every page
    ours = [t for t in titles(first) if t.startswith("Message")]
    assert ours[:2] == ["Message 000", "Message 002"] and ours[-1] == "Message 096"  # unread first, newest first
    last = client.get("/notifications?page=3")
    assert len(titles(last)) == 21 and "Page 3 of 3" in text_of(last) and "?page=2" in text_of(last)
    assert titles(client.get("/notifications?page=99")) == titles(last)  # past the end: the last page
    assert titles(client.get("/notifications?page=-4")) == titles(first)
