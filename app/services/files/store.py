"""Where stored files live: one interface, so an object store can replace the directory.

Keys are the SHA-256 of the content plus an extension (`ab/abcd….jpg`): the same
bytes are stored once, a key never names two contents, and nothing a person
typed (a file name) ever reaches a path.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\.(jpg|png|pdf)$")


class FileStore(Protocol):
    def put(self, data: bytes, extension: str) -> str:
        """Store `data` (idempotent) and return its key."""

    def open(self, key: str) -> BinaryIO:
        """The stored bytes of `key`, to read once and close."""

    def delete(self, key: str) -> None:
        """Forget `key` (nothing happens when it is not there)."""


def key_for(data: bytes, extension: str) -> str:
    sha = hashlib.sha256(data).hexdigest()
    return f"{sha[:2]}/{sha}.{extension}"


def sha_of_key(key: str) -> str:
    """The content hash a key was made from: a strong ETag for what it names."""
    return key.rsplit("/", 1)[-1].split(".", 1)[0]


@dataclass(frozen=True)
class DirectoryStore:
    """Files under a directory outside the web root (UPLOAD_DIR)."""

    root: Path

    def put(self, data: bytes, extension: str) -> str:
        key = key_for(data, extension)
        path = self.root / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
            tmp.write_bytes(data)
            os.replace(tmp, path)  # never leave half a file under its final name
        return key

    def open(self, key: str) -> BinaryIO:
        return self.path_of(key).open("rb")

    def delete(self, key: str) -> None:
        self.path_of(key).unlink(missing_ok=True)

    def path_of(self, key: str) -> Path:
        # Keys come from our own rows, but a key that is not of our making never leaves the root.
        if not KEY.match(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key
