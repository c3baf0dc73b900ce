"""S3-compatible object storage (AWS S3, MinIO, Ceph, Wasabi...) behind the `FileStore` interface.

Every web process and worker on every machine reads and writes the same bucket,
so a photo lodged through one server is shown by any other. The keys are the
same as in a directory (`ab/abcd….jpg`), under an optional prefix, so
`flask files export` / `import` move files between the two unchanged.
"""
from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any, BinaryIO

from .store import KEY, MissingObject, StoredObject, check_key, key_for

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
MISSING = {"NoSuchKey", "404", "NotFound"}


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    endpoint_url: str | None = None  # None: AWS itself
    region: str | None = None
    access_key_id: str | None = None  # None: boto3's own chain (environment, instance role...)
    secret_access_key: str | None = None
    prefix: str = ""  # e.g. "uploads/" when the bucket holds other things too
    addressing_style: str = "auto"  # "path" for most S3-compatible servers on an IP address or one host name

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> S3Settings:
        prefix = settings.get("S3_PREFIX") or ""
        return cls(
            bucket=settings["S3_BUCKET"],
            endpoint_url=settings.get("S3_ENDPOINT_URL") or None,
            region=settings.get("S3_REGION") or None,
            access_key_id=settings.get("S3_ACCESS_KEY_ID") or None,
            secret_access_key=settings.get("S3_SECRET_ACCESS_KEY") or None,
            prefix=prefix if not prefix or prefix.endswith("/") else prefix + "/",
            addressing_style=settings.get("S3_ADDRESSING_STYLE") or "auto",
        )


class StoredBody(io.RawIOBase):
    """An object's body as a binary file, with its size known before it is read (for Content-Length)."""

    def __init__(self, body, size: int):
        super().__init__()
        self._body, self.size = body, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._body.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


@dataclass
class ObjectStore:
    settings: S3Settings
    # One client per process: a client (its connection pool) must not cross a fork (RQ work horses, gunicorn).
    _clients: dict[int, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def put(self, data: bytes, extension: str) -> str:
        key = key_for(data, extension)
        # Written even when the key is there: the same bytes, and a fresh LastModified for the orphan sweep.
        self.client.put_object(Bucket=self.settings.bucket, Key=self._name(key), Body=data,
                               ContentType=CONTENT_TYPES.get(extension, "application/octet-stream"))
        return key

    def open(self, key: str) -> BinaryIO:
        try:
            found = self.client.get_object(Bucket=self.settings.bucket, Key=self._name(key))
        except self._errors() as error:
            if _missing(error):
                raise MissingObject(key) from None
            raise
        return io.BufferedReader(StoredBody(found["Body"], found["ContentLength"]))

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.settings.bucket, Key=self._name(key))

    def stat(self, key: str) -> StoredObject | None:
        try:
            found = self.client.head_object(Bucket=self.settings.bucket, Key=self._name(key))
        except self._errors() as error:
            if _missing(error):
                return None
            raise
        return StoredObject(key, found["ContentLength"], found["LastModified"].astimezone(timezone.utc))

    def objects(self) -> Iterator[StoredObject]:
        # S3 lists keys in the byte order of their UTF-8, as `FileStore.objects` promises.
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.settings.bucket,
                                                                       Prefix=self.settings.prefix)
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"][len(self.settings.prefix):]
                if KEY.match(key):
                    yield StoredObject(key, item["Size"], item["LastModified"].astimezone(timezone.utc))

    @property
    def client(self):
        pid = os.getpid()
        client = self._clients.get(pid)
        if client is None:
            with self._lock:
                client = self._clients.get(pid)
                if client is None:
                    client = self._clients[pid] = _make_client(self.settings)
        return client

    def _name(self, key: str) -> str:
        return self.settings.prefix + check_key(key)

    @staticmethod
    def _errors():
        from botocore.exceptions import ClientError

        return ClientError


def _missing(error) -> bool:
    return error.response.get("Error", {}).get("Code") in MISSING


def _make_client(settings: S3Settings):
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=settings.endpoint_url,
        region_name=settings.region,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
        config=Config(
            s3={"addressing_style": settings.addressing_style},
            # A page waits for a photo: fail in seconds rather than hang a web worker on a dead endpoint.
            connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"},
        ),
    )
