"""A complaint's attachments: the citizen's photos when lodging, an officer's evidence with an action.

Every upload of a request is checked (and photos made safe) before anything is
stored, so a refused file leaves nothing behind; then the files are stored by
their content hash and one row per attachment says who added it and when.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Attachment, Complaint, User, utcnow
from .. import files
from ..errors import Invalid

MAX_FILES = 5  # per complaint when lodging, per officer action


def check_uploads(uploads: Sequence[files.Upload], *, documents: bool, field: str) -> list[files.Prepared]:
    """Each upload checked by its content and made ready to store; Invalid naming each refused file."""
    if len(uploads) > MAX_FILES:
        message = (_l("You can attach at most %(count)s files (photos or PDF documents); you chose %(chosen)s.",
                      count=MAX_FILES, chosen=len(uploads)) if documents else
                   _l("You can attach at most %(count)s photos; you chose %(chosen)s.", count=MAX_FILES,
                      chosen=len(uploads)))
        raise Invalid({field: [message]})
    prepared, errors = [], {}
    for upload in uploads:
        try:
            prepared.append(files.prepare_upload(upload, documents=documents))
        except Invalid as refused:
            for name, messages in refused.errors.items():
                errors.setdefault(name, []).extend(
                    _l("%(file)s: %(problem)s", file=upload.filename, problem=m) if upload.filename else m
                    for m in messages
                )
    if errors:
        raise Invalid(errors)
    return prepared


def attach(
    session: Session,
    complaint: Complaint,
    uploader: User,
    prepared: Sequence[files.Prepared],
    store: files.FileStore,
    *,
    purpose: str,
    now: datetime | None = None,
) -> list[Attachment]:
    """Store the prepared files and record them on the complaint; the caller commits."""
    now = now or utcnow()
    added = []
    for item in prepared:
        key = store.put(item.data, item.extension)
        attachment = Attachment(
            complaint_id=complaint.id,
            uploaded_by_id=uploader.id,
            purpose=purpose,
            kind=item.kind,
            content_type=item.content_type,
            size=len(item.data),
            sha256=files.sha_of_key(key),
            storage_key=key,
            thumbnail_key=store.put(item.thumbnail, "jpg") if item.thumbnail else None,
            original_filename=item.filename,
            created_at=now,
        )
        session.add(attachment)
        added.append(attachment)
    return added


def read_photo_position(upload: files.Upload) -> files.Position | None:
    """Where a photo was taken (from its EXIF GPS), to offer the citizen as the pin; nothing is stored."""
    return files.read_position(upload.data, upload.field)


@dataclass
class ScrubBatch:
    last_id: int | None  # where the next batch starts after; None: nothing was left
    scrubbed: int
    refused: list[int]  # ids of photos that could not be read: left as they are
    replaced: list[str]  # keys no longer needed once committed (see delete_unused)


def scrub_old_photos(session: Session, store: files.FileStore, *, after_id: int = 0, limit: int = 100) -> ScrubBatch:
    """Photos stored before migration 0018 (kept as they came, GPS and all), made as new ones are.

    The next `limit` of them after `after_id`: each is re-read, made upright and stripped,
    stored again with a thumbnail, and its row pointed at the new files. The caller commits,
    then deletes the files of `replaced` with `delete_unused`.
    """
    rows = session.scalars(
        select(Attachment).where(Attachment.kind == "photo", Attachment.thumbnail_key.is_(None), Attachment.id > after_id)
        .order_by(Attachment.id).limit(limit)
    ).all()
    batch = ScrubBatch(rows[-1].id if rows else None, 0, [], [])
    for row in rows:
        try:
            with store.open(row.storage_key) as file:
                photo = files.prepare_photo(file.read())
        except (Invalid, OSError):
            batch.refused.append(row.id)
            continue
        batch.replaced.append(row.storage_key)
        row.storage_key = store.put(photo.data, "jpg")
        row.thumbnail_key = store.put(photo.thumbnail, "jpg")
        row.sha256, row.size, row.content_type = files.sha_of_key(row.storage_key), len(photo.data), "image/jpeg"
        batch.scrubbed += 1
    session.flush()
    return batch


def delete_unused(session: Session, store: files.FileStore, keys: Sequence[str]) -> int:
    """Delete the stored files of `keys` that no attachment names any more (files are shared by content)."""
    used = set(session.scalars(select(Attachment.storage_key).where(Attachment.storage_key.in_(keys))))
    used |= set(session.scalars(select(Attachment.thumbnail_key).where(Attachment.thumbnail_key.in_(keys))))
    unused = [key for key in set(keys) - used if key]
    for key in unused:
        store.delete(key)
    return len(unused)
