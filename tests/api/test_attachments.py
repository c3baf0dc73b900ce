"""Photos and documents through the API: several photos when lodging (and the single `photo` of the
app's first versions), an officer's files with an action, thumbnails, private caching, the limits."""
from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.models import Attachment, Complaint, Role
from tests.app import media
from tests.app.helpers import assign, category, lodge, open_tasks

from .helpers import assert_documented, assert_problem

KEY = "0b7e6c2a-54f1-4b8e-9d0c-7f3a2e1c9b44"


def new_complaint(session, district):
    return {"category_id": category(session).id, "district_id": district.id, "subject": "Overflowing drain",
            "description": "The drain on Main Bazaar road overflows every time it rains."}


def photo(n: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 36), (50 * n, 120, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


def fetch(client, path: str, **kwargs):
    """GET a file and close the response (it streams from an open file), keeping its body."""
    response = client.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


@pytest.fixture()
def citizen(make_user):
    return make_user(Role.CITIZEN, name="Bilal Ahmad")


def test_lodge_with_several_photos(api, session, citizen, places):
    files = [("photos", "front.jpg", photo(1)), ("photos", "IMG_0001.HEIC", media.heic((640, 480))),
             ("photos", "side.jpg", media.phone_jpeg((800, 600)))]

    response = api.as_(citizen).post_multipart("/complaints", new_complaint(session, places["peshawar"]), files=files)

    assert response.status_code == 201, response.get_json()
    assert_documented(response)
    kept = response.get_json()["attachments"]
    assert [a["kind"] for a in kept] == ["photo"] * 3 and {a["content_type"] for a in kept} == {"image/jpeg"}
    assert all(a["thumbnail_url"] == f"/api/v1/attachments/{a['id']}/thumbnail" for a in kept)
    assert {a["added_by"]["name"] for a in kept} == {"Bilal Ahmad"} and all(a["filename"] is None for a in kept)
    complaint = session.get(Complaint, response.get_json()["id"])
    assert complaint.latitude is None  # the photos' GPS stays out of the complaint


def test_the_single_photo_of_older_apps_counts_with_the_others(api, session, citizen, places):
    as_citizen = api.as_(citizen)
    four = [("photos", f"p{n}.jpg", photo(n)) for n in range(4)]

    five = as_citizen.post_multipart("/complaints", new_complaint(session, places["peshawar"]), photo(5), files=four)
    six = as_citizen.post_multipart("/complaints", new_complaint(session, places["peshawar"]), photo(5),
                                    files=[*four, ("photos", "p9.jpg", photo(9))])

    assert five.status_code == 201 and len(five.get_json()["attachments"]) == 5
    assert assert_problem(six, 422, field="photos")["errors"]["photos"] == [
        "You can attach at most 5 photos; you chose 6."]
    assert_documented(six)
    assert session.scalar(select(func.count()).select_from(Complaint)) == 1


def test_a_bad_photo_among_several_is_named(api, session, citizen, places):
    files = [("photos", "good.jpg", photo(1)), ("photos", "cut.png", media.truncated_png((1600, 1200)))]

    response = api.as_(citizen).post_multipart("/complaints", new_complaint(session, places["peshawar"]), files=files)

    assert assert_problem(response, 422, field="photos")["errors"]["photos"] == [
        "cut.png: The photo is damaged or incomplete: it cannot be read in full."]
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_the_truncated_9000_by_9000_png_is_refused(api, session, citizen, places):
    """It declares 81 megapixels and holds almost none: refused by its size before any decoding, nothing kept."""
    files = [("photos", "big.png", media.truncated_png((9000, 9000)))]

    response = api.as_(citizen).post_multipart("/complaints", new_complaint(session, places["peshawar"]), files=files)

    assert assert_problem(response, 422, field="photos")["errors"]["photos"] == [
        "big.png: The photo has too many pixels: at most 50 megapixels."]
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_retry_with_the_same_photos_is_a_replay_and_with_others_is_422(api, session, citizen, places):
    as_citizen = api.as_(citizen)
    files = [("photos", "a.jpg", photo(1)), ("photos", "b.jpg", photo(2))]
    fields = new_complaint(session, places["peshawar"])

    first = as_citizen.post_multipart("/complaints", fields, files=files, headers={"Idempotency-Key": KEY})
    retry = as_citizen.post_multipart("/complaints", fields, files=files, headers={"Idempotency-Key": KEY})
    other = as_citizen.post_multipart("/complaints", fields, files=files[:1], headers={"Idempotency-Key": KEY})

    assert first.status_code == retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json()["id"] == first.get_json()["id"] and len(retry.get_json()["attachments"]) == 2
    assert_problem(other, 422, field="Idempotency-Key")


@pytest.fixture()
def action(session, citizen, make_user, places):
    dc = make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, citizen, places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id, name="Officer Gul")
    assign(session, complaint, dc, officer)
    (task,) = open_tasks(session, complaint)
    return complaint, officer, task


OUTCOME = {"outcome": "resolved", "action_taken": "Cleared the drain."}


def test_an_officer_sends_a_report_and_a_photo_the_citizen_reads_them(api, session, citizen, action):
    complaint, officer, task = action
    report = media.pdf()

    done = api.as_(officer).post_multipart(f"/tasks/{task.id}/completion", OUTCOME, files=[
        ("attachments", "Site report.pdf", report), ("attachments", "after.jpg", media.phone_jpeg((900, 600)))])

    assert done.status_code == 200, done.get_json()
    assert_documented(done)
    as_citizen = api.as_(citizen)
    document, picture = as_citizen.get(f"/complaints/{complaint.id}").get_json()["attachments"]
    assert document | {"id": 0, "added_at": None} == {
        "id": 0, "purpose": "evidence", "kind": "document", "content_type": "application/pdf", "size": len(report),
        "filename": "Site report.pdf", "added_at": None, "url": f"/api/v1/attachments/{document['id']}",
        "thumbnail_url": None,
        "added_by": {"role": "district_officer", "role_label": "District Officer", "name": None},  # staff by role
    }
    assert picture["kind"] == "photo" and picture["added_by"]["name"] is None

    download = fetch(as_citizen, f"/attachments/{document['id']}")
    assert download.status_code == 200 and download.data == report
    assert download.headers["Content-Disposition"] == 'attachment; filename="Site report.pdf"'
    assert download.headers["ETag"] == f'"{hashlib.sha256(report).hexdigest()}"'
    assert_documented(download)
    unchanged = fetch(as_citizen, f"/attachments/{document['id']}", headers={"If-None-Match": download.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.data == b""
    assert_documented(unchanged)

    thumbnail = fetch(as_citizen, f"/attachments/{picture['id']}/thumbnail")
    assert thumbnail.status_code == 200 and Image.open(io.BytesIO(thumbnail.data)).size == (213, 320)  # turned upright
    assert thumbnail.headers["Cache-Control"] == "private, max-age=3600"
    assert_documented(thumbnail)
    none = fetch(as_citizen, f"/attachments/{document['id']}/thumbnail")
    assert_problem(none, 404)
    assert_documented(none)


def test_an_encrypted_pdf_is_422_and_the_step_stays_open(api, session, action):
    complaint, officer, task = action

    response = api.as_(officer).post_multipart(f"/tasks/{task.id}/completion", OUTCOME, files=[
        ("attachments", "report.pdf", media.encrypted_pdf())])

    assert assert_problem(response, 422, field="attachments")["errors"]["attachments"] == [
        "report.pdf: This PDF is protected by a password or encrypted. Save a copy without protection and attach that."]
    assert [t.id for t in open_tasks(session, complaint)] == [task.id]
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_outsiders_get_404_for_files_and_thumbnails(api, session, citizen, make_user, places, app):
    from tests.app.helpers import store_of

    complaint = lodge(session, citizen, places["peshawar"], photo=photo(1), store=store_of(app))
    attachment = session.scalar(select(Attachment).where(Attachment.complaint_id == complaint.id))
    outsider = api.as_(make_user(Role.CITIZEN))

    for path in (f"/attachments/{attachment.id}", f"/attachments/{attachment.id}/thumbnail"):
        response = fetch(outsider, path, headers={"If-None-Match": f'"{attachment.sha256}"'})
        assert_problem(response, 404)
        assert_documented(response)
