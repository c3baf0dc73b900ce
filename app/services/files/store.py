"""Where stored files live: one interface, two backends (a directory, or S3-compatible object storage).

Keys are the SHA-256 of the content plus an extension (`ab/abcd….jpg`): the same
bytes are stored once, a key never names two contents, and nothing a person
typed (a file name) ever reaches a path.

Files are stored before the database row that names them is committed, so a
transaction that rolls back leaves its files behind. They are never deleted on
the spot: the same bytes may belong to a transaction that commits at that very
moment (a phone's outbox sending one complaint twice, the same photo lodged by
two people), and a key is shared by content. Instead `put` refreshes the time of
a key it stores again, and the orphan sweep (`casework/file_inventory.py`)
deletes only files that no row names and that nobody stored for a whole grace
period (FILE_ORPHAN_GRACE_HOURS).
"""
from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Protocol

KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\.(jpg|png|pdf)$")


@dataclass(frozen=True)
class StoredObject:
    """One stored file as a listing shows it."""

    key: str
    size: int
    stored_at: datetime  # when it was last stored (written or stored again): UTC


class MissingObject(FileNotFoundError):
    """The store has nothing under a key a row names (lost in a restore, deleted by hand): every
    backend raises this one error, so what serves files maps it to 404 in one place.

    A FileNotFoundError, so code that copes with a file deleted meanwhile needs no change."""

    def __init__(self, key: str):
        super().__init__(f"no stored object {key!r}")
        self.key = key


class FileStore(Protocol):
    def put(self, data: bytes, extension: str) -> str:
        """Store `data` (idempotent; storing it again refreshes its `stored_at`) and return its key."""

    def open(self, key: str) -> BinaryIO:
        """The stored bytes of `key`, to read once and close; MissingObject when there are none."""

    def delete(self, key: str) -> None:
        """Forget `key` (nothing happens when it is not there)."""

    def stat(self, key: str) -> StoredObject | None:
        """What the store knows of `key`; None when it is not there."""

    def objects(self) -> Iterator[StoredObject]:
        """Every stored file, in the byte order of their keys (so two listings can be merged)."""


def key_for(data: bytes, extension: str) -> str:
    sha = hashlib.sha256(data).hexdigest()
    return f"{sha[:2]}/{sha}.{extension}"


def sha_of_key(key: str) -> str:
    """The content hash a key was made from: a strong ETag for what it names."""
    return key.rsplit("/", 1)[-1].split(".", 1)[0]


def extension_of_key(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def check_key(key: str) -> str:
    # Keys come from our own rows, but a key that is not of our making never reaches a path or a bucket.
    if not KEY.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


@dataclass(frozen=True)
class DirectoryStore:
    """Files under a directory outside the web root (UPLOAD_DIR); several machines share it as a mount."""

    root: Path

    def put(self, data: bytes, extension: str) -> str:
        key = key_for(data, extension)
        path = self.root / key
        if path.exists():
            os.utime(path)  # stored again: not an orphan the sweep may take (see the module's docstring)
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
        with tmp.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # on disk before its row can be committed
        os.replace(tmp, path)  # never leave half a file under its final name
        return key

    def open(self, key: str) -> BinaryIO:
        path = self.path_of(key)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise MissingObject(key) from None

    def delete(self, key: str) -> None:
        self.path_of(key).unlink(missing_ok=True)

    def stat(self, key: str) -> StoredObject | None:
        try:
            found = self.path_of(key).stat()
        except FileNotFoundError:
            return None
        return StoredObject(key, found.st_size, datetime.fromtimestamp(found.st_mtime, timezone.utc))

    def objects(self) -> Iterator[StoredObject]:
        if not self.root.is_dir():
            return
        # Every key is "xx/" + name: folders in order, then names in order, is the keys' byte order.
        for folder in sorted(p.name for p in self.root.iterdir() if p.is_dir()):
            for name in sorted(os.listdir(self.root / folder)):
                key = f"{folder}/{name}"
                if KEY.match(key):  # not a ".part" left by a crash, nor anything else put there by hand
                    found = self.stat(key)
                    if found is not None:
                        yield found

    def path_of(self, key: str) -> Path:
        return self.root / check_key(key)
