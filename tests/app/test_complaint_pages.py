"""Lodging, photos, the DC's complaint list, task pages and the citizen's rating, through the pages."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from PIL import Image
from sqlalchemy import select

from app.models import Attachment, Complaint, ComplaintStatus, HumanTask, Role, utcnow
from app.services.casework import timers
from tests.app.helpers import (
    assign, category, complaint_form, complete, events, field_value, fresh,
    jpeg_bytes, lodge, open_tasks, png_bytes, post_with_photo, snapshot, text_of,
)
from tests.conftest import login


def client_of(app, user):
    client = app.test_client()
    login(client, user)
    return client


def uploads(app) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def test_lodging_shows_the_tracking_number_and_reaches_every_tier(app, client, session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    dc, cs = make_user(Role.DEPUTY_COMMISSIONER), make_user(Role.CHIEF_SECRETARY)
    commissioner = make_user(Role.COMMISSIONER)
    other_dc = make_user(Role.DEPUTY_COMMISSIONER, district=places["nowshera"])
    login(client, citizen)

    response = client.post("/my/complaints/new", data=complaint_form(category(session), places["peshawar"]))

    complaint = session.scalar(select(Complaint).where(Complaint.citizen_id == citizen.id))
    assert response.status_code == 302 and response.headers["Location"] == f"/complaints/{complaint.id}"
    page = text_of(client.get(response.headers["Location"]))
    assert f"Your complaint is lodged. Tracking number: {complaint.tracking_number}" in page
    assert "Awaiting assignment" in page
    assert complaint.tracking_number in text_of(client_of(app, dc).get("/inbox"))
    assert complaint.tracking_number not in text_of(client_of(app, other_dc).get("/inbox"))
    for reader in (commissioner, cs):
        reader_client = client_of(app, reader)
        assert complaint.tracking_number in text_of(reader_client.get("/complaints"))
        assert reader_client.get(f"/complaints/{complaint.id}").status_code == 200


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"description": "Too short"}, "description", "Describe the problem in 20 to 5,000 characters."),
    ({"latitude": "north"}, "latitude", "Write the coordinate as a decimal number, e.g. 34.0151."),
    ({"latitude": "34.01"}, "latitude", "Give both latitude and longitude, or neither."),
    ({"category_id": ""}, "category_id", "Choose a category."),
], ids=["short-description", "bad-coordinate", "half-a-location", "no-category"])
def test_invalid_complaint_is_shown_again_with_what_was_typed(client, session, make_user, places, overrides, field, message):
    login(client, make_user(Role.CITIZEN))
    form = complaint_form(category(session), places["peshawar"], **overrides)
    before = snapshot(session)

    response = client.post("/my/complaints/new", data=form)

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'<span class="field-error" id="{field}-error">{message}</span>' in html
    assert field_value(response, "subject") == form["subject"]
    assert field_value(response, "address") == form["address"]
    assert f">{form['description']}</textarea>" in html
    assert f'<option value="{places["peshawar"].id}" selected>' in html
    assert snapshot(session) == before


@pytest.mark.parametrize("photo", [jpeg_bytes(), png_bytes()], ids=["jpeg", "png"])
def test_photo_is_stored_and_served_only_to_allowed_readers(app, client, session, make_user, places, photo):
    owner = make_user(Role.CITIZEN)
    login(client, owner)
    form = complaint_form(category(session), places["peshawar"])

    assert post_with_photo(client, "/my/complaints/new", form, photo, "street.jpg").status_code == 302

    attachment = session.scalar(select(Attachment))
    assert attachment.content_type == "image/jpeg" and attachment.kind == "photo"  # re-encoded, whatever it was
    assert len(uploads(app)) == 2  # the photo and its thumbnail
    page = text_of(client.get(f"/complaints/{attachment.complaint_id}"))
    assert f'src="/attachments/{attachment.id}/thumbnail"' in page and f'href="/attachments/{attachment.id}"' in page
    readers = [owner, make_user(Role.DEPUTY_COMMISSIONER), make_user(Role.COMMISSIONER)]
    outsiders = [make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER, district=places["nowshera"])]
    for user in readers + outsiders:
        for path in (f"/attachments/{attachment.id}", f"/attachments/{attachment.id}/thumbnail"):
            response = client_of(app, user).get(path)
            if user in readers:
                assert response.status_code == 200 and response.mimetype == "image/jpeg"
                assert Image.open(io.BytesIO(response.data)).size == (8, 8)
                assert response.headers["Cache-Control"] == "private, max-age=3600"
            else:
                assert response.status_code == 404 and b"\xff\xd8" not in response.data
            response.close()


@pytest.mark.parametrize(("photo", "status", "message"), [
    (b"Dear sir, this is not a photo at all.\n" * 20, 400, "street.jpg: This is not a JPEG, PNG or HEIC photo."),
    (jpeg_bytes() + b"\0" * (5 * 1024 * 1024), 400, "street.jpg: The photo is larger than 5 MB."),
    (jpeg_bytes() + b"\0" * (52 * 1024 * 1024), 413,
     "The upload is too large: at most 5 files, photos of at most 5 MB and PDF documents of at most 10 MB."),
], ids=["text-renamed-jpg", "over-5-MB", "over-MAX_CONTENT_LENGTH"])
def test_bad_photo_is_refused_with_a_clear_message(app, client, session, make_user, places, photo, status, message):
    login(client, make_user(Role.CITIZEN))
    form = complaint_form(category(session), places["peshawar"])
    before = snapshot(session)

    response = post_with_photo(client, "/my/complaints/new", form, photo, "street.jpg")

    assert response.status_code == status
    assert message in text_of(response)
    if status == 400:
        assert field_value(response, "subject") == form["subject"]
        assert "Please choose the photos again." in text_of(response)
    assert snapshot(session) == before and uploads(app) == []


def test_dc_filters_narrow_the_complaint_list(app, client, session, make_user, places):
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    escalated = lodge(session, citizen, places["peshawar"], subject="Escalated: garbage not collected")
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(days=16), tick=False):
        assert timers.fire_due_timers(app.extensions["db_sessions"]).fired != []
    in_progress = lodge(session, citizen, places["peshawar"], subject="Assigned: broken water pipe")
    other_department = lodge(session, citizen, places["peshawar"], department_index=1, subject="Other dept: school roof")
    lodge(session, make_user(Role.CITIZEN, district=places["nowshera"]), places["nowshera"], subject="Nowshera: pothole")
    assign(session, in_progress, dc, make_user(Role.DISTRICT_OFFICER, department_id=in_progress.department_id))
    login(client, dc)

    def listed(query: str) -> set[str]:
        page = text_of(client.get(f"/complaints{query}"))
        return {c.subject for c in (escalated, in_progress, other_department) if c.subject in page} | (
            {"Nowshera"} if "Nowshera: pothole" in page else set()
        )

    everything = {escalated.subject, in_progress.subject, other_department.subject}
    assert listed("") == everything and "3 complaint(s)" in text_of(client.get("/complaints"))
    assert listed("?status=in_progress") == {in_progress.subject}
    assert listed("?status=submitted") == {escalated.subject, other_department.subject}
    assert listed(f"?department_id={other_department.department_id}") == {other_department.subject}
    assert listed("?escalated=1") == {escalated.subject}
    assert listed("?status=open&escalated=1") == {escalated.subject}
    assert listed(f"?district_id={places['nowshera'].id}") == set()  # a DC cannot widen the scope
    assert listed("?status=closed") == set()


@pytest.fixture()
def triaged(session, make_user, places):
    """A complaint waiting for the Peshawar DC, and an officer of its department."""
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, citizen, places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id, name="Inspector Gul Khan")
    return complaint, citizen, dc, officer


def test_task_page_renders_the_form_of_its_form_key(client, session, triaged):
    complaint, _, dc, officer = triaged
    (triage,) = open_tasks(session, complaint)
    login(client, dc)
    page = client.get(f"/tasks/{triage.id}").get_data(as_text=True)
    assert 'name="decision" required type="radio" value="assign"' in page and 'value="transfer"' in page
    assert f'<option value="{officer.id}">Inspector Gul Khan (' in page
    assert 'name="target_district_id"' in page and 'type="file"' not in page

    assign(session, complaint, dc, officer)
    (action,) = open_tasks(session, complaint)
    login(client, officer)
    page = client.get(f"/tasks/{action.id}").get_data(as_text=True)
    for outcome in ("resolved", "systemic", "returned"):
        assert f'name="outcome" required type="radio" value="{outcome}"' in page
    assert re.search(r'<textarea[^>]* name="action_taken"', page) and 'name="attachments" type="file" multiple' in page
    assert 'name="decision"' not in page


def test_citizen_sees_staff_by_role_on_a_task_page(app, client, session, triaged):
    complaint, citizen, dc, officer = triaged
    assign(session, complaint, dc, officer)
    (action,) = open_tasks(session, complaint)
    login(client, citizen)

    page = text_of(client.get(f"/tasks/{action.id}"))

    assert "This step is with District Officer." in page and "· Deputy Commissioner" in page
    assert dc.full_name not in page  # the complaint page hides staff names from citizens too
    staff_page = text_of(client_of(app, dc).get(f"/tasks/{action.id}"))
    assert f"This step is with {officer.full_name}." in staff_page and f"· {dc.full_name}" in staff_page


@pytest.mark.parametrize(("form", "field", "message"), [
    pytest.param({}, "decision", "Choose assign or transfer.", id="no-decision"),
    pytest.param({"decision": "assign"}, "officer_id", "Choose the officer who will handle it.",
                 id="assign-without-officer"),
    pytest.param({"decision": "transfer", "reason": "Wrong district"}, "target_district_id",
                 "Choose the district it belongs to.", id="transfer-without-district"),
    pytest.param({"decision": "transfer", "target_district_id": "NOWSHERA"}, "reason",
                 "Say why it belongs to another district.", id="transfer-without-reason"),
    pytest.param({"decision": "assign", "officer_id": "999999"}, "officer_id", "Not a valid choice.",
                 id="unknown-officer"),
])
def test_invalid_task_completion_is_refused_and_nothing_moves(client, session, places, triaged, form, field, message):
    complaint, _, dc, _ = triaged
    (triage,) = open_tasks(session, complaint)
    form = {k: (str(places["nowshera"].id) if v == "NOWSHERA" else v) for k, v in form.items()}
    login(client, dc)
    before = snapshot(session)

    response = client.post(f"/tasks/{triage.id}", data=form)

    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Please correct the fields marked below." in html
    assert f'<span class="field-error" id="{field}-error">{message}</span>' in html
    if "decision" in form:
        assert f'<input checked id="decision-{0 if form["decision"] == "assign" else 1}"' in html
    assert snapshot(session) == before
    assert [t.id for t in open_tasks(session, complaint)] == [triage.id] and events(session, complaint) == ["lodged"]


def test_officer_evidence_photo_must_be_a_real_photo(app, client, session, triaged):
    complaint, _, dc, officer = triaged
    assign(session, complaint, dc, officer)
    (action,) = open_tasks(session, complaint)
    login(client, officer)
    form = {"outcome": "resolved", "action_taken": "Replaced the bulb"}

    refused = post_with_photo(client, f"/tasks/{action.id}", form, b"MZ not a photo", "fix.jpg")
    assert refused.status_code == 400
    assert "fix.jpg: This is neither a photo (JPEG, PNG or HEIC) nor a PDF document." in text_of(refused)
    assert [t.id for t in open_tasks(session, complaint)] == [action.id] and uploads(app) == []

    done = post_with_photo(client, f"/tasks/{action.id}", form, jpeg_bytes(), "fix.jpg")
    assert done.status_code == 302
    assert session.scalar(select(Attachment.purpose).where(Attachment.complaint_id == complaint.id)) == "evidence"
    assert events(session, complaint)[-1] == "resolved" and len(uploads(app)) == 2  # with its thumbnail


@pytest.fixture()
def resolved(session, triaged):
    complaint, citizen, dc, officer = triaged
    assign(session, complaint, dc, officer)
    complete(session, complaint, officer, outcome="resolved", action_taken="Replaced the bulb")
    (rating,) = open_tasks(session, complaint)
    return complaint, citizen, rating


def test_citizen_rates_from_the_complaint_page(client, session, resolved):
    complaint, citizen, rating = resolved
    login(client, citizen)
    page = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert f'action="/tasks/{rating.id}"' in page and 'name="rating" required type="radio" value="5"' in page

    response = client.post(f"/tasks/{rating.id}", data={"rating": "4", "satisfied": "yes"})

    assert response.status_code == 302 and response.headers["Location"] == f"/complaints/{complaint.id}"
    page = text_of(client.get(response.headers["Location"]))
    assert "Rated 4/5" in page and "Closed, citizen satisfied" in page and 'name="rating"' not in page
    complaint = fresh(session, Complaint, complaint.id)
    assert complaint.status is ComplaintStatus.CLOSED and (complaint.rating, complaint.satisfied) == (4, True)


def test_citizen_rejects_the_resolution_and_it_goes_back_to_the_dc(client, session, resolved):
    complaint, citizen, rating = resolved
    login(client, citizen)

    refused = client.post(f"/tasks/{rating.id}", data={"rating": "1", "satisfied": "no"})
    assert refused.status_code == 400 and "Tell us what is still wrong" in text_of(refused)

    response = client.post(f"/tasks/{rating.id}", data={"rating": "1", "satisfied": "no", "comment": "Still dark"})

    assert response.status_code == 302
    complaint = fresh(session, Complaint, complaint.id)
    assert complaint.status is ComplaintStatus.SUBMITTED and complaint.reopen_count == 1
    assert [t.form_key for t in open_tasks(session, complaint)] == ["dc_triage"]
    assert events(session, complaint)[-1] == "reopened"


def test_a_reviewer_must_name_an_officer_to_reassign(client, session, places, triaged, make_user):
    complaint, _, _, _ = triaged
    commissioner = make_user(Role.COMMISSIONER, district=places["peshawar"])
    instance_id = session.scalar(select(HumanTask.instance_id).where(HumanTask.complaint_id == complaint.id))
    with time_machine.travel(utcnow() + timedelta(days=15, minutes=1)):
        assert timers.fire_instance_timers(session, instance_id, now=utcnow())
        session.commit()
    review = session.scalar(select(HumanTask).where(HumanTask.role == Role.COMMISSIONER, HumanTask.completed_at.is_(None)))
    login(client, commissioner)
    for action, message in (
        ("reassign", "Choose the officer to reassign it to."),
        ("systemic", "No officer holds it yet: choose who takes the long-term action."),
    ):
        response = client.post(f"/tasks/{review.id}", data={"action": action, "instruction": "Act now."})
        assert response.status_code == 400
        assert f'<span class="field-error" id="officer_id-error">{message}</span>' in response.get_data(as_text=True)
    assert [t.form_key for t in open_tasks(session, complaint)] == ["dc_triage", "escalation_review"]
