"""The FileStore contract, held by both backends: a directory and S3-compatible storage over HTTP."""
from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta

import pytest

from app import create_app
from app.services import files
from app.services.files import transfer
from app.settings import ConfigError

PHOTO, OTHER, DOCUMENT = b"\xff\xd8 a photo's bytes", b"\xff\xd8 another photo", b"%PDF-1.7 a report"


def read(store, key: str) -> bytes:
    with store.open(key) as file:
        return file.read()


def test_a_file_is_stored_once_under_its_content_hash(store):
    key = store.put(PHOTO, "jpg")

    sha = hashlib.sha256(PHOTO).hexdigest()
    assert key == f"{sha[:2]}/{sha}.jpg" and files.sha_of_key(key) == sha
    assert read(store, key) == PHOTO
    assert store.put(PHOTO, "jpg") == key  # the same bytes: the same key, nothing new
    assert [o.key for o in store.objects()] == [key]
    assert store.stat(key).size == len(PHOTO)


def test_storing_again_refreshes_its_time_so_the_orphan_sweep_spares_it(store, backend):
    key = store.put(PHOTO, "jpg")
    if backend["FILE_STORAGE"] == "directory":
        old = time.time() - 3 * 86400
        os.utime(store.path_of(key), (old, old))
    first = store.stat(key).stored_at
    time.sleep(1.1)  # S3 keeps LastModified to the second

    store.put(PHOTO, "jpg")

    assert store.stat(key).stored_at - first >= timedelta(seconds=1)


def test_a_missing_file_is_missing_object_and_deleting_it_twice_is_fine(store):
    key = store.put(PHOTO, "jpg")
    store.delete(key)
    store.delete(key)

    # One error from every backend (a FileNotFoundError too), for the pages and the API to map to 404.
    with pytest.raises(files.MissingObject) as missing:
        store.open(key)
    assert isinstance(missing.value, FileNotFoundError) and missing.value.key == key
    assert store.stat(key) is None and list(store.objects()) == []


@pytest.mark.parametrize("key", ["../etc/passwd", "ab/../../secret.jpg", "AB/" + "a" * 64 + ".jpg", "ab/cd.exe"])
def test_a_key_not_of_the_portals_making_reaches_no_path_or_bucket(store, key):
    for act in (store.open, store.delete, store.stat):
        with pytest.raises(ValueError):
            act(key)


def test_the_listing_is_in_key_order_and_holds_only_stored_files(store, backend, s3_endpoint):
    keys = sorted(store.put(data, ext) for data, ext in ((PHOTO, "jpg"), (OTHER, "jpg"), (DOCUMENT, "pdf"),
                                                          (b"\x89PNG", "png")))
    # What else may lie there is not listed: a crash's half-written file, or the bucket's other contents.
    if backend["FILE_STORAGE"] == "directory":
        (store.path_of(keys[0]).parent / "leftover.jpg.123.part").write_bytes(b"half")
    else:
        store.client.put_object(Bucket=backend["S3_BUCKET"], Key="reports/2026.csv", Body=b"a,b")

    assert [o.key for o in store.objects()] == keys


def test_a_prefix_keeps_the_portals_files_apart_in_a_shared_bucket(s3_settings):
    portal = files.store_from_settings({**s3_settings, "S3_PREFIX": "portal/uploads"})
    neighbour = files.store_from_settings({**s3_settings, "S3_PREFIX": "other/"})
    key = portal.put(PHOTO, "jpg")
    neighbour.put(OTHER, "jpg")

    assert [o.key for o in portal.objects()] == [key] and read(portal, key) == PHOTO
    names = [o["Key"] for o in portal.client.list_objects_v2(Bucket=s3_settings["S3_BUCKET"])["Contents"]]
    assert f"portal/uploads/{key}" in names


def test_copying_between_backends_checks_every_file_and_resumes(tmp_path, s3_settings):
    directory = files.DirectoryStore(tmp_path / "from")
    bucket = files.store_from_settings(s3_settings)
    keys = [directory.put(data, ext) for data, ext in ((PHOTO, "jpg"), (OTHER, "jpg"), (DOCUMENT, "pdf"))]
    bucket.put(OTHER, "jpg")  # already there, as after an interrupted copy
    damaged = directory.put(b"\xff\xd8 soon damaged", "jpg")
    directory.path_of(damaged).write_bytes(b"\xff\xd8 bit rot")

    done = transfer.copy_all(directory, bucket)

    assert (done.copied, done.skipped, done.damaged) == (2, 1, [damaged])
    assert sorted(o.key for o in bucket.objects()) == sorted(keys)
    assert all(read(bucket, key) == read(directory, key) for key in keys)
    assert list(transfer.damaged_objects(directory)) == [damaged]

    back = files.DirectoryStore(tmp_path / "back")
    assert transfer.copy_all(bucket, back).copied == 3 and sorted(o.key for o in back.objects()) == sorted(keys)


def test_an_unreachable_object_store_fails_in_seconds_not_minutes(tmp_path):
    from botocore.exceptions import EndpointConnectionError

    store = files.store_from_settings({"FILE_STORAGE": "s3", "S3_BUCKET": "portal", "S3_REGION": "us-east-1",
                                       "S3_ENDPOINT_URL": "http://127.0.0.1:9", "S3_ACCESS_KEY_ID": "x",
                                       "S3_SECRET_ACCESS_KEY": "y"})
    started = time.monotonic()
    with pytest.raises(EndpointConnectionError):
        store.put(PHOTO, "jpg")
    assert time.monotonic() - started < 20


@pytest.mark.parametrize(("settings", "message"), [
    ({"FILE_STORAGE": "nfs"}, "FILE_STORAGE must be directory or s3, not 'nfs'"),
    ({"FILE_STORAGE": "s3"}, "FILE_STORAGE=s3 needs S3_BUCKET"),
    ({"FILE_STORAGE": "s3", "S3_BUCKET": "b", "S3_ADDRESSING_STYLE": "dns"}, "S3_ADDRESSING_STYLE must be"),
    ({"FILE_ORPHAN_GRACE_HOURS": 0}, "FILE_ORPHAN_GRACE_HOURS must be at least 1"),
])
def test_storage_settings_are_checked_when_the_app_starts(db_url, settings, message):
    with pytest.raises(ConfigError, match=message):
        create_app({"TESTING": True, "DATABASE_URL": db_url, **settings})
