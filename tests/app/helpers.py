"""Small helpers shared by the web-page tests: drive complaints through the
services (as the clicks of other people would), make real photos, read pages."""
from __future__ import annotations

import functools
import io
import re
from html import unescape

from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.security import generate_password_hash
from werkzeug.test import stream_encode_multipart

from app.models import (
    ApiKey, ApiToken, AuditEntry, Complaint, ComplaintEvent, ComplaintSupporter, HumanTask, Notification, User, UserSession,
    VerificationCode,
)
from app.services.people import accounts, passwords
from app.services.casework import complaints, tasks
from app.services import organisation
from app.services.files import FileStore, Upload

DESCRIPTION = "The streetlight in front of house 12 has been broken for three weeks."


def cheap_password_hashing(monkeypatch) -> None:
    """One round of PBKDF2 instead of scrypt (0.1–0.2 s a password) wherever the portal hashes one. Every test
    runs so (tests/conftest.py); a stored hash names its method, so checking a password works the same."""
    cheap = functools.partial(generate_password_hash, method="pbkdf2:sha256:1")
    monkeypatch.setattr(accounts, "generate_password_hash", cheap)
    monkeypatch.setattr(passwords, "generate_password_hash", cheap)


def category(session, department_index: int = 0):
    """The first category of the n-th department (departments sorted by name)."""
    return organisation.categories_by_department(session)[department_index][1][0]


def lodge(session, citizen, district, *, department_index=0, subject="Broken streetlight", photo=None, store=None):
    """A citizen lodges a complaint (with a photo's bytes) through the service; committed."""
    complaint = complaints.submit_complaint(
        session,
        citizen,
        complaints.ComplaintInput(category(session, department_index).id, district.id, subject, DESCRIPTION),
        photos=[Upload("photos", "photo.jpg", photo)] if photo else [],
        store=store,
    )
    session.commit()
    return complaint


def store_of(app) -> FileStore:
    """The store the app keeps its files in (FILE_STORAGE: a directory, or a bucket)."""
    return app.extensions["file_store"]


def reread(session) -> None:
    """See what requests committed meanwhile: end this session's transaction, forget loaded rows.

    Both are needed: rollback() is a no-op (and expires nothing) when no transaction is open.
    """
    session.rollback()
    session.expire_all()


def open_tasks(session, complaint) -> list[HumanTask]:
    reread(session)
    return list(
        session.scalars(
            select(HumanTask)
            .where(HumanTask.complaint_id == complaint.id, HumanTask.completed_at.is_(None))
            .order_by(HumanTask.id)
        )
    )


def complete(session, complaint, actor, **fields) -> HumanTask:
    """`actor` completes the one open task of `complaint` they may work; committed."""
    workable = [t for t in open_tasks(session, complaint) if tasks.may_work(actor, t)]
    assert len(workable) == 1, f"{actor} can work {len(workable)} tasks of complaint {complaint.id}"
    tasks.complete_task(session, workable[0].id, actor, MultiDict(fields))
    session.commit()
    return workable[0]


def assign(session, complaint, dc, officer) -> HumanTask:
    return complete(session, complaint, dc, decision="assign", officer_id=str(officer.id), instruction="Please fix")


def events(session, complaint) -> list[str]:
    reread(session)
    return list(
        session.scalars(
            select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)
        )
    )


def fresh(session, model, row_id):
    reread(session)
    return session.get(model, row_id)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def snapshot(session) -> tuple:
    """What a POST could change: rows created, the accounts (flags, what their owners set, what an administrator
    edits), the notifications' state, the API keys, the phones' tokens, the browsers signed in, the codes sent, the
    Urdu and Pashto names of places, supporters, the audit log."""
    reread(session)
    accounts_now = session.execute(select(
        User.id, User.active, User.blocked_at, User.language, User.email, User.sms_muted, User.password_hash,
        User.mobile, User.mobile_confirmed_at, User.full_name, User.username, User.district_id, User.department_id,
        User.must_change_password).order_by(User.id)).all()
    open_count = session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.completed_at.is_(None)))
    messages = session.execute(select(Notification.id, Notification.status, Notification.read_at, Notification.attempts)
                               .order_by(Notification.id)).all()
    keys = session.execute(select(ApiKey.id, ApiKey.revoked_at).order_by(ApiKey.id)).all()
    names = [tuple(row) for model in organisation.PLACE_KINDS.values()
             for row in session.execute(select(model.id, model.name_ur, model.name_ps).order_by(model.id))]
    tokens = session.execute(select(ApiToken.id, ApiToken.revoked_at).order_by(ApiToken.id)).all()
    browsers = session.scalars(select(UserSession.id).order_by(UserSession.id)).all()
    codes = session.execute(select(VerificationCode.id, VerificationCode.code_hash, VerificationCode.attempts,
                                   VerificationCode.used_at).order_by(VerificationCode.id)).all()
    return (count(session, Complaint), count(session, ComplaintEvent), open_count, tuple(map(tuple, accounts_now)),
            tuple(map(tuple, messages)), tuple(map(tuple, keys)), tuple(map(tuple, tokens)), tuple(browsers),
            tuple(map(tuple, codes)), tuple(names), count(session, ComplaintSupporter), count(session, AuditEntry))


def image_bytes(image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format=image_format)
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    return image_bytes("JPEG")


def png_bytes() -> bytes:
    return image_bytes("PNG")


def post_with_photo(client, path, form: dict, photo: bytes, filename: str = "photo.jpg"):
    """POST a form with a file the way a browser does (declared type from the file name)."""
    return post_with_files(client, path, form, [("photo", filename, photo)])


def post_with_files(client, path, form: dict, files: list[tuple[str, str, bytes]], headers=None):
    """POST a form with files, each (field, file name, bytes); a field may repeat (a multiple file input).

    The body is encoded in memory: the test client would spool a large one to a
    temporary file it never closes, which `filterwarnings = error` turns into a failure.
    """
    data = MultiDict(form)
    for field, filename, content in files:
        declared = "application/pdf" if filename.lower().endswith(".pdf") else "image/jpeg"
        data.add(field, FileStorage(io.BytesIO(content), filename=filename, content_type=declared))
    stream, length, boundary = stream_encode_multipart(data, use_tempfile=False)
    return client.post(path, input_stream=stream, content_length=length, headers=headers,
                       content_type=f'multipart/form-data; boundary="{boundary}"')


def text_of(response) -> str:
    """The page as text with entities decoded, so assertions read like the screen."""
    return unescape(response.get_data(as_text=True))


def field_value(response, name: str) -> str | None:
    """The value attribute of <input name=...>, or None when the page has no such input."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', response.get_data(as_text=True))
    return unescape(match.group(1)) if match else None


def complaint_form(complaint_category, district, **overrides) -> dict:
    form = {
        "category_id": str(complaint_category.id),
        "district_id": str(district.id),
        "subject": "Overflowing drain",
        "description": "The drain on Main Bazaar road overflows every time it rains.",
        "address": "Main Bazaar, near the mosque",
    }
    form.update(overrides)
    return form
