"""The restore drill: a populated portal is backed up with deploy/backup.sh, restored with
deploy/restore.sh into a new database and an empty file store, and the restored portal works:
its statistics match a recount, every attachment has its file, a complaint moves on through its
process (an officer completes a task) and a timer fires (an escalation).

Run on its own (`pytest -m drill`, from .ci/run after `make test`): it needs PostgreSQL
(TEST_DATABASE_URL) and drives the scripts as an operator would, as separate processes.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import make_url, select, text
from werkzeug.datastructures import MultiDict

from app import create_app
from app.db import make_engine
from app.models import Attachment, Complaint, District, HumanTask, Role, User, utcnow
from app.services import organisation
from app.services.casework import complaints, deployments, file_inventory, tasks
from app.services.files import Upload, transfer
from app.services.statistics import aggregates
from app.services.people import accounts
from tests import s3server
from tests.app import media

pytestmark = [pytest.mark.drill, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PASSWORD = "correct-horse-1"


@pytest.fixture()
def databases():
    """Two databases of this drill's own beside TEST_DATABASE_URL: the live one, and the name to restore into."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        pytest.skip("the restore drill needs PostgreSQL: set TEST_DATABASE_URL")
    url = make_url(base)
    tag = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    names = {"live": f"{url.database}_drill_{tag}", "restored": f"{url.database}_restored_{tag}"}
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{names["live"]}"'))
    yield {role: url.set(database=name).render_as_string(hide_password=False) for role, name in names.items()}
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["directory", "s3"])
def storage(request, tmp_path):
    """The live portal's files and the restored one's: two directories, or two buckets."""
    if request.param == "directory":
        # The live portal's uploads where PORTAL_DATA_DIR puts them (backup.sh asks the portal where).
        yield ({"FILE_STORAGE": "directory", "PORTAL_DATA_DIR": str(tmp_path / "live-data")},
               {"FILE_STORAGE": "directory", "UPLOAD_DIR": str(tmp_path / "restored-uploads")})
        return
    process, endpoint = s3server.start(tmp_path / "moto.log")
    try:
        yield ({**s3server.new_bucket(endpoint), "UPLOAD_DIR": str(tmp_path / "unused")},
               {**s3server.new_bucket(endpoint), "UPLOAD_DIR": str(tmp_path / "unused")})
    finally:
        s3server.stop(process)


def portal_app(database_url: str, files: dict):
    settings = {"TESTING": True, "DATABASE_URL": database_url, **files}
    if "PORTAL_DATA_DIR" in files:  # read from the environment when the settings are imported: given here
        settings["UPLOAD_DIR"] = str(Path(files["PORTAL_DATA_DIR"]) / "uploads")
    return create_app(settings)


def run(script: str, *args: str, database_url: str, files: dict) -> subprocess.CompletedProcess:
    """A deploy script, or the portal's command, as an operator runs it: its own process and settings."""
    env = {**os.environ, "PORTAL_ENV": "development", "SECRET_KEY": "drill", "DATABASE_URL": database_url, **files,
           "PORTAL_COMMAND": f"{Path(sys.executable).with_name('flask')} --app app"}
    for unset in ("REDIS_URL", "UPLOAD_DIR", "PORTAL_DATA_DIR"):
        if unset not in files:
            env.pop(unset, None)
    command = [str(DEPLOY / script), *args] if script.endswith(".sh") else [
        str(Path(sys.executable).with_name("flask")), "--app", "app", script, *args]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    print(f"$ {' '.join(command)}  ({time.monotonic() - started:.1f} s)\n{done.stdout}{done.stderr}")
    return done


def populate(app) -> dict[str, int]:
    """Staff, a citizen and four complaints at different steps, with photos and a PDF; the ids to follow."""
    store = app.extensions["file_store"]
    with app.extensions["db_sessions"]() as session:
        organisation.seed_organisation(session)
        deployments.deploy_file(session, ROOT / "bpmn" / "complaint.bpmn", note="the province's process as shipped")
        session.commit()
        peshawar = session.scalar(select(District).where(District.name == "Peshawar"))
        department = organisation.departments(session)[0]
        category = organisation.categories_by_department(session)[0][1][0]
        citizen = accounts.create_citizen(session, accounts.Registration(
            "Bilal Ahmad", "1730112345671", "03001234567", peshawar.id, PASSWORD, PASSWORD))

        def staff(role, username, **place):
            return accounts.create_staff(session, accounts.StaffInput(
                role=role, full_name=username.title(), username=username, password=PASSWORD, **place))

        dc = staff(Role.DEPUTY_COMMISSIONER, "dc.peshawar", district_id=peshawar.id, division_id=None, department_id=None)
        officer = staff(Role.DISTRICT_OFFICER, "do.peshawar", district_id=peshawar.id, division_id=None,
                        department_id=department.id)
        session.commit()

        def lodge(subject: str, photo_size: tuple[int, int] | None):
            photos = [Upload("photos", "photo.jpg", media.phone_jpeg(photo_size))] if photo_size else []
            found = complaints.submit_complaint(session, citizen, complaints.ComplaintInput(
                category.id, peshawar.id, subject, "The drain on Main Bazaar road overflows every time it rains."),
                photos=photos, store=store)
            session.commit()
            return found

        def work(complaint, actor, uploads=(), **fields):
            (task,) = [t for t in open_human_tasks(session, complaint.id) if tasks.may_work(actor, t)]
            tasks.complete_task(session, task.id, actor, MultiDict(fields), uploads=list(uploads), store=store)
            session.commit()

        # Lodged 16 days ago and never assigned: its 15-day escalation is due now.
        with time_machine.travel(utcnow() - timedelta(days=16), tick=True):
            overdue = lodge("Overflowing drain near the school", (800, 600))
        assigned = lodge("Broken streetlight on GT Road", (640, 480))
        work(assigned, dc, decision="assign", officer_id=str(officer.id), instruction="Please fix it this week")
        resolved = lodge("Garbage not collected", (1024, 768))
        work(resolved, dc, decision="assign", officer_id=str(officer.id), instruction="Please clear it")
        work(resolved, officer, uploads=[Upload("attachments", "report.pdf", media.pdf(pages=1))],
             outcome="resolved", action_taken="The garbage was collected and the bins were replaced.")
        lodge("Water supply cut for three days", None)
        return {"overdue": overdue.id, "assigned": assigned.id, "citizen": citizen.id, "officer": officer.id}


def open_human_tasks(session, complaint_id: int) -> list[HumanTask]:
    session.expire_all()
    return list(session.scalars(select(HumanTask).where(HumanTask.complaint_id == complaint_id,
                                                        HumanTask.completed_at.is_(None)).order_by(HumanTask.id)))


def test_a_backup_restores_into_a_new_database_and_the_portal_carries_on(databases, storage, tmp_path):
    live_files, restored_files = storage
    live = portal_app(databases["live"], live_files)
    assert live.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    ids = populate(live)
    live.extensions["db_engine"].dispose()

    backed_up = run("backup.sh", str(tmp_path / "backups"), database_url=databases["live"], files=live_files)

    assert backed_up.returncode == 0, backed_up.stderr
    (backup,) = (tmp_path / "backups").iterdir()
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["rows"] == {"complaints": 4, "attachments": 4}
    assert manifest["files"]["count"] == 7  # three photos with their thumbnails, and the PDF
    assert manifest["files"]["from"] == live_files["FILE_STORAGE"]
    assert sorted(p.name for p in backup.iterdir()) == ["SHA256SUMS", "database.dump", "files.tar", "manifest.json"]

    restored = run("restore.sh", str(backup), database_url=databases["restored"], files=restored_files)

    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "aggregates match a recount of the complaints" in restored.stdout
    assert "missing 0, orphans 0" in restored.stdout
    # Never over a database in use: a second restore into the same one is refused, and changes nothing.
    again = run("restore.sh", str(backup), database_url=databases["restored"],
                files={**restored_files, "UPLOAD_DIR": str(tmp_path / "empty-uploads")})
    assert again.returncode == 1 and "already has" in again.stderr

    fired = run("timers", "fire", database_url=databases["restored"], files=restored_files)
    assert fired.returncode == 0 and "fired timers of 1 process instance(s); 0 failed" in fired.stdout
    app = portal_app(databases["restored"], restored_files)
    try:
        with app.extensions["db_sessions"]() as session:
            overdue = session.get(Complaint, ids["overdue"])
            assert overdue.escalation_level == 1, "the escalation timer fired on the restored database"
            officer = session.get(User, ids["officer"])
            (task,) = [t for t in open_human_tasks(session, ids["assigned"]) if tasks.may_work(officer, t)]
            tasks.complete_task(session, task.id, officer, MultiDict(
                {"outcome": "resolved", "action_taken": "The streetlight was repaired and tested at night."}),
                uploads=[Upload("attachments", "after.jpg", media.phone_jpeg((400, 300)))],
                store=app.extensions["file_store"])
            session.commit()
            assert session.get(Complaint, ids["assigned"]).status.value == "resolved"
            # Its photos came back with it, served from the restored store.
            photo = session.scalar(select(Attachment).where(Attachment.complaint_id == ids["overdue"]))
            with app.extensions["file_store"].open(photo.storage_key) as file:
                assert file.read()[:2] == b"\xff\xd8"
            # And every file is whole, the officer's new photo included; the figures still match a recount.
            found = file_inventory.take_inventory(session, app.extensions["file_store"], grace=timedelta(hours=24))
            assert found.consistent and found.stored == 9, found
            assert list(transfer.damaged_objects(app.extensions["file_store"])) == []
            assert aggregates.differences(session) == []
    finally:
        app.extensions["db_engine"].dispose()
