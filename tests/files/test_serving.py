"""Serving a stored file keeps its headers whichever backend holds it: private caching, an ETag of
its content and 304, its length, a PDF as a download under its own name."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from app.models import Attachment, Role
from tests.app import media
from tests.app.helpers import assign, lodge, open_tasks, post_with_files, store_of
from tests.conftest import login


def fetch(client, path: str, **kwargs):
    response = client.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


def signed_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_a_photo_and_its_thumbnail_are_served_with_the_same_headers(app, session, make_user, places):
    owner = make_user(Role.CITIZEN)
    lodge(session, owner, places["peshawar"], photo=media.phone_jpeg((800, 600)), store=store_of(app))
    photo = session.scalars(select(Attachment)).one()
    reader = signed_in(app, owner)

    full = fetch(reader, f"/attachments/{photo.id}")

    assert full.status_code == 200 and full.mimetype == "image/jpeg"
    assert hashlib.sha256(full.data).hexdigest() == photo.sha256 and full.content_length == photo.size
    assert full.headers["ETag"] == f'"{photo.sha256}"' and full.headers["Cache-Control"] == "private, max-age=3600"
    assert full.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "Content-Disposition" not in full.headers
    again = fetch(reader, f"/attachments/{photo.id}", headers={"If-None-Match": full.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == full.headers["ETag"]

    thumbnail = fetch(reader, f"/attachments/{photo.id}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    assert thumbnail.content_length == len(thumbnail.data) > 0
    assert thumbnail.headers["ETag"] == f'"{photo.thumbnail_key.split("/")[1][:64]}"'
    outsider = signed_in(app, make_user(Role.CITIZEN))
    assert fetch(outsider, f"/attachments/{photo.id}").status_code == 404


def test_an_officers_pdf_is_a_download_under_its_own_name(app, client, session, make_user, places):
    citizen, dc = make_user(Role.CITIZEN), make_user(Role.DEPUTY_COMMISSIONER)
    complaint = lodge(session, citizen, places["peshawar"])
    officer = make_user(Role.DISTRICT_OFFICER, department_id=complaint.department_id)
    assign(session, complaint, dc, officer)
    (task,) = open_tasks(session, complaint)
    report = media.pdf(pages=2)
    login(client, officer)

    done = post_with_files(client, f"/tasks/{task.id}", {
        "outcome": "resolved", "action_taken": "The drain was cleared and its cover replaced."},
        [("attachments", "Inspection report.pdf", report)])

    assert done.status_code == 302
    session.rollback()
    document = session.scalars(select(Attachment)).one()
    download = fetch(signed_in(app, citizen), f"/attachments/{document.id}")
    assert download.status_code == 200 and download.data == report and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert 'filename="Inspection report.pdf"' in download.headers["Content-Disposition"]
    assert download.headers["ETag"] == f'"{hashlib.sha256(report).hexdigest()}"'


def test_a_file_gone_from_the_store_is_404_with_a_warning_not_500(app, session, make_user, places, caplog):
    """A stored object lost (a restore that missed it, a bucket emptied by hand): the page and the API
    say 404, and the log names the attachment and its key for the operators, never the citizen."""
    from app.services.interop import api_tokens
    from tests.api.helpers import ApiClient, assert_problem

    owner = make_user(Role.CITIZEN, name="Sadia Khan")
    lodge(session, owner, places["peshawar"], photo=media.phone_jpeg((800, 600)), store=store_of(app))
    photo = session.scalars(select(Attachment)).one()
    store_of(app).delete(photo.storage_key)
    store_of(app).delete(photo.thumbnail_key)
    reader = signed_in(app, owner)
    token = api_tokens.issue_token(session, owner, lifetime=timedelta(days=1)).token
    session.commit()
    api = ApiClient(app.test_client(), None, token)

    with caplog.at_level("WARNING"):
        page = fetch(reader, f"/attachments/{photo.id}")
        assert page.status_code == 404 and "missing from the portal" in page.get_data(as_text=True)
        assert fetch(reader, f"/attachments/{photo.id}/thumbnail").status_code == 404
        body = assert_problem(fetch(api.client, f"/api/v1/attachments/{photo.id}", headers=api.headers()), 404)
        assert_problem(fetch(api.client, f"/api/v1/attachments/{photo.id}/thumbnail", headers=api.headers()), 404)

    assert "missing from the portal" in body["detail"]
    missing = [r for r in caplog.records if r.levelname == "WARNING" and "missing" in r.getMessage()]
    assert len(missing) == 4
    assert all(f"attachment {photo.id}" in r.getMessage() for r in missing)
    assert {photo.storage_key, photo.thumbnail_key} <= {k for r in missing for k in r.getMessage().split()}
    assert not any("Sadia" in r.getMessage() or owner.mobile in r.getMessage() for r in caplog.records)
