"""Fixtures of the storage tests: a real S3-compatible server for the run, a bucket per test, and
an app (or a bare store) on each backend."""
from __future__ import annotations

import pytest

from app import create_app
from app.services import files
from tests import s3server


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    process, endpoint = s3server.start(tmp_path_factory.mktemp("moto") / "moto.log")
    yield endpoint
    s3server.stop(process)


@pytest.fixture()
def s3_settings(s3_endpoint):
    return s3server.new_bucket(s3_endpoint)


@pytest.fixture(params=["directory", "s3"])
def backend(request, tmp_path):
    """The settings of one backend: a directory under the test's tmp_path, or a fresh bucket."""
    if request.param == "s3":
        return request.getfixturevalue("s3_settings")
    return {"FILE_STORAGE": "directory", "UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture()
def store(backend, tmp_path) -> files.FileStore:
    return files.store_from_settings({"UPLOAD_DIR": str(tmp_path / "uploads"), **backend})


@pytest.fixture()
def app(db_url, engine, tmp_path, backend):
    """The test app (see tests/conftest.py) keeping its files in `backend`."""
    from tests.conftest import reset_database

    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "UPLOAD_DIR": str(tmp_path / "uploads"),
                      "WTF_CSRF_ENABLED": False, **backend})
    yield app
    app.extensions["db_engine"].dispose()
    reset_database(engine)
