"""What deploy/restore.sh and deploy/backup.sh refuse before they change anything (fast: no database
needed, in the normal suite; the whole round trip is the drill beside it)."""
from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
# A server nothing listens on: a script that got as far as the database would fail differently.
NOWHERE = "postgresql+psycopg://portal@127.0.0.1:9/portal_restored"


def script(name: str, *args: str, **settings: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("S3_", "FILE_", "UPLOAD_"))}
    return subprocess.run([str(DEPLOY / name), *args], env={**env, **settings}, capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.fixture()
def backup(tmp_path) -> Path:
    """A backup folder with whole checksums (its dump is never reached: the refusals come first)."""
    folder = tmp_path / "portal-20261206T213000Z"
    folder.mkdir()
    (folder / "database.dump").write_bytes(b"PGDMP not really")
    (folder / "files.tar").write_bytes(b"")
    (folder / "manifest.json").write_text('{\n  "format": 1\n}\n')
    sums = "".join(f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n"
                   for n in ("database.dump", "files.tar", "manifest.json"))
    (folder / "SHA256SUMS").write_text(sums)
    return folder


def test_a_damaged_backup_is_refused(backup, tmp_path):
    (backup / "database.dump").write_bytes(b"PGDMP changed since")

    done = script("restore.sh", str(backup), DATABASE_URL=NOWHERE, UPLOAD_DIR=str(tmp_path / "uploads"))

    assert done.returncode == 1 and "the backup is damaged: checksums differ" in done.stderr
    assert not (tmp_path / "uploads").exists()


def test_files_are_never_restored_over_others(backup, tmp_path):
    uploads = tmp_path / "uploads"
    (uploads / "ab").mkdir(parents=True)
    (uploads / "ab" / "kept.jpg").write_bytes(b"a live photo")

    done = script("restore.sh", str(backup), DATABASE_URL=NOWHERE, UPLOAD_DIR=str(uploads))

    assert done.returncode == 1 and "is not empty: restore into an empty one" in done.stderr
    assert (uploads / "ab" / "kept.jpg").read_bytes() == b"a live photo"


@pytest.mark.parametrize("name", ["backup.sh", "restore.sh"])
def test_only_postgresql_is_backed_up_and_restored(name, backup, tmp_path):
    args = [str(backup)] if name == "restore.sh" else [str(tmp_path / "backups")]

    done = script(name, *args, DATABASE_URL=f"sqlite:///{tmp_path / 'portal.db'}")

    assert done.returncode == 2 and "PostgreSQL; DATABASE_URL is sqlite" in done.stderr


def test_an_unknown_storage_backend_is_refused(backup, tmp_path):
    done = script("restore.sh", str(backup), DATABASE_URL=NOWHERE, FILE_STORAGE="ftp")

    assert done.returncode == 2 and "FILE_STORAGE must be directory or s3, not ftp" in done.stderr
