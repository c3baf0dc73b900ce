"""Where the portal keeps its data: PORTAL_DATA_DIR, by default instance/ in a checkout."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = ("import json; from app.settings import BaseConfig as c; "
        "print(json.dumps([c.DATA_DIR, c.DATABASE_URL, c.UPLOAD_DIR, c.BPMN_DIR]))")


def settings(**env) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("PORTAL_DATA_DIR", "DATABASE_URL", "UPLOAD_DIR")}
    result = subprocess.run([sys.executable, "-c", SHOW], env={**clean, **env}, cwd="/", capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout)


def test_a_checkout_keeps_its_data_in_instance_whatever_the_current_folder():
    data, database, uploads, bpmn = settings()
    assert data == str(ROOT / "instance")
    assert database == f"sqlite:///{ROOT / 'instance' / 'portal.db'}"
    assert uploads == str(ROOT / "instance" / "uploads")
    assert bpmn == str(ROOT / "bpmn")


def test_portal_data_dir_moves_the_database_and_the_uploads(tmp_path):
    data, database, uploads, _ = settings(PORTAL_DATA_DIR=str(tmp_path / "data"))
    assert data == str(tmp_path / "data")
    assert database == f"sqlite:///{tmp_path / 'data' / 'portal.db'}"
    assert uploads == str(tmp_path / "data" / "uploads")


def test_database_url_and_upload_dir_still_win(tmp_path):
    _, database, uploads, _ = settings(PORTAL_DATA_DIR=str(tmp_path), DATABASE_URL="postgresql+psycopg://db/portal",
                                       UPLOAD_DIR="/srv/uploads")
    assert (database, uploads) == ("postgresql+psycopg://db/portal", "/srv/uploads")
