"""Photos and documents through the pages, with real files: what is kept of a phone's photo,
HEIC, refused files, the 5-file limits, officers' PDF evidence, private caching, and the
photo's position offered (never stored) to the citizen."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.models import Attachment, Complaint, ComplaintEvent, Role
from app.services.casework import events
from tests.app import media
from tests.app.helpers import (
    assign, category, complaint_form, field_value, lodge, open_tasks, post_with_files,
    snapshot, store_of, text_of,
)
from tests.conftest import login


def client_of(app, user):
    client = app.test_client()
    login(client, user)
    return client


def uploads(app) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def fetch(client, path: str, **kwargs):
    """GET a file and close the response (it streams from an open file), keeping its body."""
    response = client.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


def stored(app, key: str) -> bytes:
    with store_of(app).open(key) as file:
        return file.read()


def attachments(session) -> list[Attachment]:
    session.rollback()
    session.expire_all()
    return list(session.scalars(select(Attachment).order_by(Attachment.id)))


def lodge_through_page(client, session, places, files, **overrides):
    form = complaint_form(category(session), places["peshawar"], **overrides)
    return post_with_files(client, "/my/complaints/new", form, files), form


# What is kept of a photo -------------------------------------------------------------------------

@pytest.mark.parametrize("icc", [True, False], ids=["with-colour-profile", "without"])
def test_a_phone_photo_is_kept_upright_smaller_and_without_any_metadata(app, client, session, make_user, places, icc):
    original = media.phone_jpeg((2600, 1950), icc=icc)
    with Image.open(io.BytesIO(original)) as source:  # what the phone wrote, so that its absence means something
        assert source.getexif()[media.ORIENTATION] == 6 and source.getexif().get_ifd(media.GPS_IFD)
        assert {"exif", "xmp", "comment"} <= set(source.info) and ("icc_profile" in source.info) == icc
    login(client, make_user(Role.CITIZEN))

    response, _ = lodge_through_page(client, session, places, [("photos", "IMG_2041.jpg", original)])

    assert response.status_code == 302
    (photo,) = attachments(session)
    complaint = session.get(Complaint, photo.complaint_id)
    assert (complaint.latitude, complaint.longitude) == (None, None)  # the GPS never becomes the pin by itself
    kept = stored(app, photo.storage_key)
    assert photo.sha256 == hashlib.sha256(kept).hexdigest() and photo.size == len(kept)
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == "JPEG" and image.size == (1536, 2048)  # turned upright, long side 2048
        assert dict(image.getexif()) == {}
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(image.info)
        rgb = image.convert("RGB")
        # The sensor's top (red) is on the right once turned 90° clockwise, as the phone showed it.
        assert _near(rgb.getpixel((1300, 1024)), media.RED) and _near(rgb.getpixel((200, 1024)), media.BLUE)
    for secret in (b"Exif", b"Citizen Phone", b"Model 12", b"Gul Rehman", b"ICC_PROFILE", b"xmpmeta"):
        assert secret not in kept
    with Image.open(io.BytesIO(stored(app, photo.thumbnail_key))) as thumbnail:
        assert thumbnail.size == (240, 320) and dict(thumbnail.getexif()) == {}


def _near(pixel, color, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color))


def test_an_iphone_heic_is_kept_as_jpeg(app, client, session, make_user, places):
    original = media.heic((1200, 900))
    with Image.open(io.BytesIO(original)) as source:
        assert source.format == "HEIF" and source.getexif().get_ifd(media.GPS_IFD)
    login(client, make_user(Role.CITIZEN))

    response, _ = lodge_through_page(client, session, places, [("photos", "IMG_0001.HEIC", original)])

    assert response.status_code == 302
    (photo,) = attachments(session)
    assert photo.content_type == "image/jpeg" and photo.storage_key.endswith(".jpg")
    with Image.open(io.BytesIO(stored(app, photo.storage_key))) as image:
        assert image.format == "JPEG" and image.size == (1200, 900) and dict(image.getexif()) == {}


@pytest.mark.parametrize(("upload", "message"), [
    (media.truncated_png, "big.png: The photo has too many pixels: at most 50 megapixels."),
    (lambda: media.truncated_png((1600, 1200)), "cut.png: The photo is damaged or incomplete: it cannot be read in full."),
    (lambda: media.phone_jpeg()[:40_000], "cut.png: The photo is damaged or incomplete: it cannot be read in full."),
    (media.pdf, "cut.png: Only photos can be attached here (JPEG, PNG or HEIC)."),
], ids=["9000x9000-truncated-png", "truncated-png", "truncated-jpeg", "pdf-on-the-lodge-page"])
def test_a_photo_that_cannot_be_read_in_full_is_refused(app, client, session, make_user, places, upload, message):
    login(client, make_user(Role.CITIZEN))
    before = snapshot(session)

    name = message.split(":", 1)[0]
    response, form = lodge_through_page(client, session, places, [("photos", name, upload())])

    assert response.status_code == 400 and message in text_of(response)
    assert field_value(response, "subject") == form["subject"]
    assert snapshot(session) == before and uploads(app) == []


# Five at most ------------------------------------------------------------------------------------

def test_five_photos_at_most_and_the_form_keeps_what_was_typed(app, client, session, make_user, places):
    citizen = make_user(Role.CITIZEN, name="Gul Rehman")
    login(client, citizen)
    photos = [("photos", f"street-{n}.jpg", _small_photo(n)) for n in range(6)]
    before = snapshot(session)

    refused, form = lodge_through_page(client, session, places, photos, address="Near the Chowk Yadgar fountain")

    page = text_of(refused)
    assert refused.status_code == 400
    assert "You can attach at most 5 photos; you chose 6." in page and "Please choose the photos again." in page
    assert field_value(refused, "subject") == form["subject"]
    assert field_value(refused, "address") == "Near the Chowk Yadgar fountain"
    assert f">{form['description']}</textarea>" in refused.get_data(as_text=True)
    assert snapshot(session) == before and uploads(app) == []

    lodged, _ = lodge_through_page(client, session, places, photos[:5])

    assert lodged.status_code == 302
    kept = attachments(session)
    assert len(kept) == 5 and {a.purpose for a in kept} == {"complaint"} and len({a.sha256 for a in kept}) == 5
    page = text_of(client.get(lodged.headers["Location"]))
    assert page.count('<img src="/attachments/') == 5 and page.count("Added by Gul Rehman, ") == 5


def _small_photo(n: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (40 * n, 100, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


# Private caching ---------------------------------------------------------------------------------

def test_files_are_cached_privately_and_revalidated_by_their_etag(app, session, make_user, places):
    owner = make_user(Role.CITIZEN)
    complaint = lodge(session, owner, places["peshawar"], photo=media.phone_jpeg((800, 600)), store=store_of(app))
    (photo,) = attachments(session)
    reader, outsider = client_of(app, owner), client_of(app, make_user(Role.CITIZEN))

    full = fetch(reader, f"/attachments/{photo.id}")
    assert full.status_code == 200 and full.headers["ETag"] == f'"{photo.sha256}"'
    assert full.headers["Cache-Control"] == "private, max-age=3600"
    assert full.headers["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(full.data).hexdigest() == photo.sha256

    again = fetch(reader, f"/attachments/{photo.id}", headers={"If-None-Match": full.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == full.headers["ETag"] and again.headers["Cache-Control"] == "private, max-age=3600"
    assert fetch(reader, f"/attachments/{photo.id}", headers={"If-None-Match": '"another"'}).status_code == 200

    thumbnail = fetch(reader, f"/attachments/{photo.id}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.headers["ETag"] != full.headers["ETag"]
    assert fetch(reader, f"/attachments/{photo.id}/thumbnail",
                      headers={"If-None-Match": thumbnail.headers["ETag"]}).status_code == 304
    # Knowing the ETag gets an outsider nothing, not even a 304.
    for path in (f"/attachments/{photo.id}", f"/attachments/{photo.id}/thumbnail"):
        assert fetch(outsider, path, headers={"If-None-Match": full.headers["ETag"]}).status_code == 404
    assert complaint.id == photo.complaint_id


def test_a_photo_stored_before_thumbnails_is_its_own_thumbnail(app, session, make_user, places):
    owner = make_user(Role.CITIZEN)
    lodge(session, owner, places["peshawar"], photo=media.phone_jpeg((800, 600)), store=store_of(app))
    (photo,) = attachments(session)
    photo.thumbnail_key = None  # as migration 0014 leaves the photos of before
    session.commit()

    response = fetch(client_of(app, owner), f"/attachments/{photo.id}/thumbnail")

    assert response.status_code == 200 and response.headers["ETag"] == f'"{photo.sha256}"'
    assert Image.open(io.BytesIO(response.data)).size == (600, 800)


# Officers' evidence ------------------------------------------------------------------------------

@pytest.fixture()
def action(session, make_user, places):
    """An officer's "record the action" task on a citizen's complaint."""
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, citizen, places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id, name="Inspector Gul Khan")
    assign(session, complaint, dc, officer)
    (task,) = open_tasks(session, complaint)
    return complaint, citizen, dc, officer, task


OUTCOME = {"outcome": "resolved", "action_taken": "The drain was cleared and its cover replaced."}


def test_an_officer_attaches_photos_and_a_pdf_report(app, client, session, action):
    complaint, citizen, dc, officer, task = action
    report = media.pdf(pages=2)
    login(client, officer)

    response = post_with_files(client, f"/tasks/{task.id}", OUTCOME, [
        ("attachments", "Inspection report (Gulbahar).pdf", report),
        ("attachments", "after.jpg", media.phone_jpeg((1200, 900))),
    ])

    assert response.status_code == 302
    document, photo = attachments(session)
    assert (document.kind, document.purpose, document.content_type) == ("document", "evidence", "application/pdf")
    assert document.original_filename == "Inspection report (Gulbahar).pdf" and document.thumbnail_key is None
    assert stored(app, document.storage_key) == report  # a document is kept as it came
    assert (photo.kind, photo.purpose, photo.uploaded_by_id) == ("photo", "evidence", officer.id)
    resolved = session.scalar(select(ComplaintEvent).where(ComplaintEvent.kind == "resolved"))
    with app.app_context():  # the timeline line is made when shown (here in English)
        assert resolved.details["files"] == 2 and str(events.text(resolved)).endswith("(2 files attached)")

    download = fetch(client_of(app, citizen), f"/attachments/{document.id}")
    assert download.status_code == 200 and download.data == report and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert 'filename="Inspection report (Gulbahar).pdf"' in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["ETag"] == f'"{hashlib.sha256(report).hexdigest()}"'
    assert fetch(client_of(app, citizen), f"/attachments/{document.id}/thumbnail").status_code == 404

    staff_page = text_of(client_of(app, dc).get(f"/complaints/{complaint.id}"))
    assert "Inspection report (Gulbahar).pdf" in staff_page and staff_page.count("Added by Inspector Gul Khan, ") == 2
    citizen_page = text_of(client_of(app, citizen).get(f"/complaints/{complaint.id}"))
    assert citizen_page.count("Added by District Officer, ") == 2 and "Added by Inspector" not in citizen_page
    assert f'href="/attachments/{document.id}" download' in citizen_page and "PDF document, " in citizen_page


@pytest.mark.parametrize(("files", "message"), [
    ([("attachments", "report.pdf", media.phone_jpeg((400, 300)))],
     "report.pdf: This is not a PDF document, although its name ends in .pdf."),
    ([("attachments", "report.pdf", media.encrypted_pdf())],
     "report.pdf: This PDF is protected by a password or encrypted. Save a copy without protection and attach that."),
    ([("attachments", "report.pdf", media.broken_pdf())], "report.pdf: This PDF is damaged or incomplete"),
    ([("attachments", "report.pdf", media.pdf()[:-400])], "report.pdf: This PDF is damaged or incomplete"),
    ([("attachments", "notes.docx", b"PK\x03\x04 a word document")],
     "notes.docx: This is neither a photo (JPEG, PNG or HEIC) nor a PDF document."),
    ([("attachments", "big.pdf", media.pdf() + b"%" * (10 * 1024 * 1024))], "big.pdf: The document is larger than 10 MB."),
    ([("attachments", f"site-{n}.jpg", _small_photo(n)) for n in range(5)] + [("attachments", "report.pdf", media.pdf())],
     "You can attach at most 5 files (photos or PDF documents); you chose 6."),
], ids=["renamed-jpeg", "encrypted", "broken", "cut-short", "word-document", "over-10-MB", "six-files"])
def test_an_officers_file_is_refused_with_a_clear_message(app, client, session, action, files, message):
    complaint, _, _, officer, task = action
    login(client, officer)
    before = snapshot(session)

    response = post_with_files(client, f"/tasks/{task.id}", OUTCOME, files)

    assert response.status_code == 400 and message in text_of(response)
    assert OUTCOME["action_taken"] in text_of(response)  # what was typed stays
    assert snapshot(session) == before and uploads(app) == []
    assert [t.id for t in open_tasks(session, complaint)] == [task.id]


def test_what_is_wrong_with_the_form_and_with_the_files_is_told_at_once(app, client, session, action, make_user, places):
    _, _, _, officer, task = action
    login(client, officer)

    response = post_with_files(client, f"/tasks/{task.id}", {"action_taken": "Cleared it."},
                               [("attachments", "report.pdf", media.encrypted_pdf())])

    page = text_of(response)
    assert response.status_code == 400 and "report.pdf: This PDF is protected by a password" in page
    assert 'id="outcome-error"' in response.get_data(as_text=True)

    login(client, make_user(Role.CITIZEN))
    lodged, _ = lodge_through_page(client, session, places, [("photos", "cut.png", media.truncated_png((1600, 1200)))],
                                   description="Too short")
    page = text_of(lodged)
    assert lodged.status_code == 400 and "cut.png: The photo is damaged or incomplete" in page
    assert "Describe the problem in 20 to 5,000 characters." in page and uploads(app) == []


# The photo's position, offered -------------------------------------------------------------------

def test_the_position_of_a_photo_is_read_and_nothing_is_stored(app, client, session, make_user, places):
    login(client, make_user(Role.CITIZEN))
    before = snapshot(session)

    for name, data in (("IMG_2041.jpg", media.phone_jpeg()), ("IMG_0001.HEIC", media.heic())):
        response = post_with_files(client, "/my/complaints/photo-position", {}, [("photo", name, data)])
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        answer = response.get_json()
        assert (answer["latitude"], answer["longitude"]) == pytest.approx(media.PESHAWAR, abs=1e-5)
        assert answer["question"] == "Use the place where the photo was taken (34.01510, 71.52490)?"

    assert snapshot(session) == before and uploads(app) == []
    assert session.scalar(select(Complaint.id)) is None


def test_the_first_kilobytes_of_a_big_jpeg_are_enough_for_its_position(client, make_user):
    login(client, make_user(Role.CITIZEN))
    big = media.noisy_photo()
    assert len(big) > 2 * 1024 * 1024

    response = post_with_files(client, "/my/complaints/photo-position", {}, [("photo", "big.jpg", big[:262144])])

    assert response.status_code == 200
    assert (response.get_json()["latitude"], response.get_json()["longitude"]) == pytest.approx(media.PESHAWAR, abs=1e-5)


@pytest.mark.parametrize(("files", "status", "answer"), [
    ([("photo", "plain.jpg", media.phone_jpeg(gps=None))], 200, {"latitude": None, "longitude": None}),
    ([("photo", "letter.jpg", b"Dear sir, this is not a photo")], 400,
     {"error": "This is not a JPEG, PNG or HEIC photo."}),
    ([], 400, {"error": "Send one photo."}),
], ids=["no-gps", "not-a-photo", "no-file"])
def test_no_position_to_offer(client, make_user, files, status, answer):
    login(client, make_user(Role.CITIZEN))

    response = post_with_files(client, "/my/complaints/photo-position", {}, files)

    assert response.status_code == status and response.get_json() == answer


def test_the_lodge_page_takes_several_photos_and_offers_their_position(client, make_user):
    login(client, make_user(Role.CITIZEN))

    page = client.get("/my/complaints/new").get_data(as_text=True)

    assert '<input id="photos" name="photos" type="file" multiple' in page
    assert 'id="photo-position" class="callout" hidden data-url="/my/complaints/photo-position"' in page
    assert '<script src="/static/citizen/photo-position.js" defer></script>' in page
    script = client.get("/static/citizen/photo-position.js")
    assert script.status_code == 200 and b"X-CSRFToken" in script.data
    script.close()


# Photos of before ----------------------------------------------------------------------------------

def test_photos_stored_before_are_scrubbed_by_the_operator_command(app, session, make_user, places):
    owner = make_user(Role.CITIZEN)
    complaint = lodge(session, owner, places["peshawar"], photo=media.phone_jpeg((800, 600)), store=store_of(app))
    (new,) = attachments(session)
    store, original = store_of(app), media.phone_jpeg((1200, 900))
    old_key, broken_key = store.put(original, "jpg"), store.put(b"not a photo any more", "jpg")

    def old_row(key, data):  # as the portal kept photos before migration 0014: as they came
        row = Attachment(complaint_id=complaint.id, uploaded_by_id=owner.id, purpose="complaint", content_type="image/jpeg",
                         size=len(data), sha256=key[3:67], storage_key=key)
        session.add(row)
        return row

    first, twin, broken = old_row(old_key, original), old_row(old_key, original), old_row(broken_key, b"")
    session.commit()
    untouched = (new.storage_key, new.thumbnail_key)

    result = app.test_cli_runner().invoke(args=["attachments", "scrub", "--batch", "2"])

    assert result.exit_code == 0, result.output
    assert "scrubbed 2 photo(s), deleted 1 original file(s)" in result.output
    assert f"could not read 1 photo(s), left as they are: attachment ids [{broken.id}]" in result.output
    rows = {row.id: row for row in attachments(session)}
    assert rows[first.id].storage_key == rows[twin.id].storage_key != old_key
    kept = stored(app, rows[first.id].storage_key)
    with Image.open(io.BytesIO(kept)) as image:
        assert image.size == (900, 1200) and dict(image.getexif()) == {}
    assert rows[first.id].sha256 == hashlib.sha256(kept).hexdigest() and rows[first.id].thumbnail_key
    assert not store.path_of(old_key).exists()  # the original, GPS and all, is gone
    assert rows[broken.id].storage_key == broken_key and rows[broken.id].thumbnail_key is None
    assert (rows[new.id].storage_key, rows[new.id].thumbnail_key) == untouched
