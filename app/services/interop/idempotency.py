"""Idempotency keys for lodging complaints: a phone that retries on a bad network never files twice.

The key row is written in the same transaction as the complaint, under a unique
(user_id, key) constraint. Of two concurrent requests with one key, the second
waits on that constraint (PostgreSQL) or on the write lock (SQLite), fails,
drops everything it did and answers with the first request's complaint.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import Complaint, IdempotencyKey, User, utcnow
from ..casework import complaints
from .. import files
from ..errors import Invalid

MAX_KEY_LENGTH = 200
KEY_FIELD = "Idempotency-Key"


@dataclass
class Submission:
    complaint: Complaint
    replayed: bool  # True when an earlier request with the same key lodged it
    lodged: complaints.Lodged | None = None  # what this request's lodging wrote (None: replayed)


def request_hash(fields: Mapping[str, object], photos: Sequence[bytes]) -> str:
    """A fingerprint of what was submitted: the same key with another body is a client error."""
    hashes = [hashlib.sha256(photo).hexdigest() for photo in photos]
    # No photo or one: the fingerprint of before several were taken, so a retry across an upgrade still replays.
    sent = {"photo": hashes[0] if hashes else None} if len(hashes) <= 1 else {"photos": hashes}
    canonical = json.dumps({"fields": {k: fields[k] for k in sorted(fields)}, **sent}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# Made once, its values bound at execution (every lodging from a phone asks it).
_KEY_OF_USER = select(IdempotencyKey.request_hash, IdempotencyKey.complaint_id).where(IdempotencyKey.user_id == bindparam("user_id"),
                                            IdempotencyKey.key == bindparam("key"))


# Its values as a list of one: an executemany, which asks no id back (a single row's INSERT would RETURN it).
_NEW_KEY = insert(IdempotencyKey)


def find_replay(session: Session, user: User, key: str, fingerprint: str) -> Complaint | None:
    """The complaint lodged earlier under `key`, or None; Invalid when the key came with another body."""
    # Two columns on the connection, not an ORM row: asked at every lodging from a phone, mostly to find nothing.
    row = session.connection().execute(_KEY_OF_USER, {"user_id": user.id, "key": key}).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise Invalid({KEY_FIELD: [_l("This key was already used for a different complaint. Use a new key for a new complaint.")]})
    return session.get(Complaint, row.complaint_id)


def submit_once(
    session: Session,
    citizen: User,
    key: str | None,
    fingerprint: str,
    data: complaints.ComplaintInput,
    *,
    photos: Sequence[files.Upload] = (),
    store: files.FileStore | None = None,
    now: datetime | None = None,
    replay_checked: bool = False,
) -> Submission:
    """Lodge the complaint unless `key` already lodged one; the caller commits.
    `replay_checked`: the caller has just called `find_replay` for this key (saves a query)."""
    if key is None:
        lodged = complaints.lodge_complaint(session, citizen, data, photos=photos, store=store, now=now)
        return Submission(lodged.complaint, False, lodged)
    earlier = None if replay_checked else find_replay(session, citizen, key, fingerprint)
    if earlier is not None:
        return Submission(earlier, True)
    lodged = complaints.lodge_complaint(session, citizen, data, photos=photos, store=store, now=now)
    complaint = lodged.complaint
    # A Core INSERT, not the ORM's flush (a tenth of a lodging's CPU went to flushing this one row): nothing
    # reads the key back in this request.
    try:
        session.connection().execute(_NEW_KEY, [{"user_id": citizen.id, "key": key, "request_hash": fingerprint,
                                                 "complaint_id": complaint.id, "created_at": now or utcnow()}])
    except IntegrityError:
        # A twin request with the same key got there first: keep nothing of ours.
        session.rollback()
        earlier = find_replay(session, citizen, key, fingerprint)
        if earlier is None:
            raise
        return Submission(earlier, True)
    return Submission(complaint, False, lodged)
