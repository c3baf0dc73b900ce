"""The forms on the complaint page as a browser would send them, the rating's consistency,
and status words for staff and for citizens."""
from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict

from app.models import Attachment, Complaint, ComplaintStatus, Role
from app.services.statistics import figures
from tests.app.helpers import (
    assign, complete, events, fresh, jpeg_bytes, lodge, open_tasks, text_of,
)
from tests.conftest import login


class TaskForm(HTMLParser):
    """The task form of a page: its action, its encoding and the names and types of its inputs."""

    def __init__(self):
        super().__init__()
        self.action = self.enctype = None
        self.inputs: dict[str, str] = {}
        self._inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "/tasks/" in (attrs.get("action") or ""):
            self.action, self.enctype, self._inside = attrs["action"], attrs.get("enctype"), True
        elif self._inside and tag in ("input", "textarea", "select") and attrs.get("name"):
            self.inputs[attrs["name"]] = attrs.get("type", tag)

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def task_form_of(response) -> TaskForm:
    form = TaskForm()
    form.feed(response.get_data(as_text=True))
    assert form.action, "the page has no task form"
    return form


def submit_like_a_browser(client, form: TaskForm, fields: dict, photo: bytes):
    """Send what a browser sends for this form: the file only when the form is multipart."""
    if form.enctype != "multipart/form-data":
        return client.post(form.action, data=fields)  # a browser sends the file's name only, not the photo
    data = MultiDict(fields)
    data["attachments"] = FileStorage(io.BytesIO(photo), filename="fixed.jpg", content_type="image/jpeg")
    return client.post(form.action, data=data, content_type="multipart/form-data")


@pytest.fixture()
def with_officer(session, make_user, places):
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, citizen, places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, dc, officer)
    return complaint, citizen, dc, officer


def test_the_officer_attaches_the_evidence_photo_from_the_complaint_page(client, session, with_officer):
    complaint, _, _, officer = with_officer
    login(client, officer)

    form = task_form_of(client.get(f"/complaints/{complaint.id}"))

    assert form.enctype == "multipart/form-data" and form.inputs.get("attachments") == "file"
    response = submit_like_a_browser(client, form, {"outcome": "resolved", "action_taken": "New bulb"}, jpeg_bytes())
    assert response.status_code == 302
    assert session.scalar(select(Attachment.purpose).where(Attachment.complaint_id == complaint.id)) == "evidence"
    assert events(session, complaint)[-1] == "resolved"


def test_forms_without_a_photo_stay_plain(client, session, with_officer):
    complaint, citizen, _, officer = with_officer
    complete(session, complaint, officer, outcome="resolved", action_taken="New bulb")
    login(client, citizen)

    form = task_form_of(client.get(f"/complaints/{complaint.id}"))

    assert form.enctype is None and "attachments" not in form.inputs and "rating" in form.inputs


@pytest.mark.parametrize("rating", ["1", "2"])
def test_a_poor_rating_cannot_close_the_complaint_as_satisfied(client, session, with_officer, rating):
    complaint, citizen, _, officer = with_officer
    complete(session, complaint, officer, outcome="resolved", action_taken="New bulb")
    (task,) = open_tasks(session, complaint)
    login(client, citizen)

    refused = client.post(f"/tasks/{task.id}", data={"rating": rating, "satisfied": "yes"})

    assert refused.status_code == 400
    assert ("You rated the resolution poorly: choose 'No, reopen it' to reopen it, or change the rating."
            in text_of(refused))
    assert 'id="satisfied-error"' in refused.get_data(as_text=True)
    complaint = fresh(session, Complaint, complaint.id)
    assert complaint.status is ComplaintStatus.RESOLVED and complaint.satisfied is None
    assert figures.public_stats(session).province.satisfied == 0
    assert [t.id for t in open_tasks(session, complaint)] == [task.id]


@pytest.mark.parametrize(("rating", "satisfied", "comment"), [("3", "yes", ""), ("2", "no", "Still dark"),
                                                              ("5", "yes", "")])
def test_consistent_ratings_are_taken(session, with_officer, rating, satisfied, comment):
    complaint, citizen, _, officer = with_officer
    complete(session, complaint, officer, outcome="resolved", action_taken="New bulb")
    complete(session, complaint, citizen, rating=rating, satisfied=satisfied, comment=comment)
    assert ("rated" if satisfied == "yes" else "reopened") in events(session, complaint)[-2:]


def test_staff_read_the_status_in_staff_words_and_citizens_in_theirs(app, client, session, with_officer):
    complaint, citizen, dc, officer = with_officer
    complete(session, complaint, officer, outcome="resolved", action_taken="New bulb")

    login(client, dc)
    listing = text_of(client.get("/complaints"))
    assert listing.count("Resolved, awaiting the citizen's rating") == 2  # the filter's option and the badge
    assert "awaiting your rating" not in listing
    assert "Resolved, awaiting the citizen's rating" in text_of(client.get(f"/complaints/{complaint.id}"))

    login(client, citizen)
    mine = text_of(client.get("/my/complaints"))
    assert "Resolved, awaiting your rating" in mine and "the citizen's rating" not in mine
