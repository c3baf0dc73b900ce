"""Attachment rows against stored files, on both backends: `files check`, the orphans a rolled-back
transaction leaves and their sweep, and moving every file from one backend to another."""
from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app import create_app
from app.background import sweep_stored_files
from app.models import Attachment, Role, utcnow
from app.services.casework import complaints, file_inventory
from app.services.files import DirectoryStore, Upload
from tests.app import media
from tests.app.helpers import category, lodge, store_of
from tests.s3server import new_bucket

GRACE = timedelta(hours=24)


def inventory(app, session, **kwargs):
    session.rollback()
    return file_inventory.take_inventory(session, store_of(app), grace=GRACE, **kwargs)


def age(app, key: str, hours: float) -> None:
    """Make a stored file look stored `hours` ago (a directory's mtime; S3 has no such knob, so
    for a bucket the check is told it is later instead: see `later`)."""
    store = store_of(app)
    if isinstance(store, DirectoryStore):
        then = time.time() - hours * 3600
        os.utime(store.path_of(key), (then, then))


def later(app, hours: float):
    """The moment to look from: now in a directory (its files are aged instead), later for a bucket."""
    return utcnow() + (timedelta() if isinstance(store_of(app), DirectoryStore) else timedelta(hours=hours))


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["files", *args])


def test_lodged_photos_and_their_thumbnails_are_all_accounted_for(app, session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    lodge(session, citizen, places["peshawar"], photo=media.phone_jpeg((800, 600)), store=store_of(app))
    lodge(session, citizen, places["peshawar"], photo=media.phone_jpeg((640, 480)), store=store_of(app))

    found = inventory(app, session)

    assert (found.rows, found.stored, found.consistent) == (4, 4, True)
    result = cli(app, "check", "--verify")
    assert result.exit_code == 0, result.output
    assert "4 file(s) named by attachment rows, 4 stored; missing 0, orphans 0, in flight 0, damaged 0" in result.output


def test_the_location_is_where_the_settings_put_the_files(app, backend):
    where = cli(app, "location").output.strip()

    if backend["FILE_STORAGE"] == "directory":
        assert where == str(Path(backend["UPLOAD_DIR"]).resolve())
    else:
        assert where == f"s3://{backend['S3_BUCKET']}/ ({backend['S3_ENDPOINT_URL']})"


def test_a_missing_file_is_named_with_its_attachment(app, session, make_user, places):
    lodge(session, make_user(Role.CITIZEN), places["peshawar"], photo=media.phone_jpeg((800, 600)), store=store_of(app))
    photo = session.scalars(select(Attachment)).one()
    store_of(app).delete(photo.thumbnail_key)

    found = inventory(app, session)

    assert found.counts == {"missing": 1, "orphan": 0, "in_flight": 0} and not found.consistent
    assert [(f.kind, f.key, f.attachment_id) for f in found.examples] == [("missing", photo.thumbnail_key, photo.id)]
    result = cli(app, "check")
    assert result.exit_code == 1 and f"missing: {photo.thumbnail_key} (attachment {photo.id})" in result.output


def test_a_rolled_back_lodging_leaves_files_in_flight_then_orphans_that_the_sweep_deletes(
        app, session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    lodge(session, citizen, places["peshawar"], photo=media.phone_jpeg((800, 600)), store=store_of(app))
    kept = {o.key for o in store_of(app).objects()}
    complaints.submit_complaint(
        session, citizen,
        complaints.ComplaintInput(category(session).id, places["peshawar"].id, "Broken streetlight",
                                  "The streetlight outside the school has not worked for a month."),
        photos=[Upload("photos", "street.jpg", media.phone_jpeg((700, 500)))], store=store_of(app))
    session.rollback()  # the transaction fails after its files were stored
    left = {o.key for o in store_of(app).objects()} - kept
    assert len(left) == 2  # the photo and its thumbnail

    # Within the grace period they may be a transaction about to commit: reported, never deleted.
    assert inventory(app, session).counts == {"missing": 0, "orphan": 0, "in_flight": 2}
    assert cli(app, "check").exit_code == 0
    assert cli(app, "sweep").output.strip() == "deleted 0 orphaned file(s)"

    for key in left:
        age(app, key, 25)
    found = inventory(app, session, now=later(app, 25))
    assert found.counts == {"missing": 0, "orphan": 2, "in_flight": 0}
    assert {f.key for f in found.examples} == left

    deleted = sweep_stored_files(app, now=later(app, 25))

    assert deleted == {"deleted": 2}
    assert {o.key for o in store_of(app).objects()} == kept and inventory(app, session).consistent


def test_an_orphan_stored_again_by_a_new_lodging_is_spared(app, session, make_user, places):
    citizen = make_user(Role.CITIZEN)
    photo = media.phone_jpeg((800, 600))
    store = store_of(app)
    orphan = store.put(b"\xff\xd8 left by a rollback", "jpg")
    age(app, orphan, 48)
    lodge(session, citizen, places["peshawar"], photo=photo, store=store)  # names other keys
    session.rollback()

    # Stored again just before the sweep looks at it (the same bytes of a new transaction): spared.
    store.put(b"\xff\xd8 left by a rollback", "jpg")
    assert file_inventory.delete_orphans(session, store, grace=GRACE) == 0
    assert store.stat(orphan) is not None


def test_files_move_from_a_directory_to_a_bucket_and_every_row_finds_its_file(
        app, session, make_user, places, tmp_path, s3_endpoint, backend):
    citizen = make_user(Role.CITIZEN)
    for size in ((800, 600), (640, 480), (300, 200)):
        lodge(session, citizen, places["peshawar"], photo=media.phone_jpeg(size), store=store_of(app))

    exported = cli(app, "export", str(tmp_path / "export"))
    assert exported.exit_code == 0, exported.output
    assert "copied 6 file(s)" in exported.output and "; 0 were there already" in exported.output
    assert cli(app, "export", str(tmp_path / "export")).output.startswith("copied 0 file(s) (0 bytes)")

    target = create_app({**app.config, **new_bucket(s3_endpoint)}) if backend["FILE_STORAGE"] == "directory" else \
        create_app({**app.config, "FILE_STORAGE": "directory", "UPLOAD_DIR": str(tmp_path / "moved")})
    try:
        assert cli(target, "check").exit_code == 1  # the rows are there, their files not yet
        imported = cli(target, "import", str(tmp_path / "export"))
        assert imported.exit_code == 0 and "copied 6 file(s)" in imported.output
        checked = cli(target, "check", "--verify")
        assert checked.exit_code == 0, checked.output
    finally:
        target.extensions["db_engine"].dispose()


def test_a_damaged_export_is_refused_file_by_file(app, session, make_user, places, tmp_path):
    lodge(session, make_user(Role.CITIZEN), places["peshawar"], photo=media.phone_jpeg((800, 600)), store=store_of(app))
    export = DirectoryStore(tmp_path / "export")
    assert cli(app, "export", str(export.root)).exit_code == 0
    damaged = next(export.objects()).key
    export.path_of(damaged).write_bytes(b"\xff\xd8 not what was stored")
    store_of(app).delete(damaged)

    result = cli(app, "import", str(export.root))

    assert result.exit_code == 1 and f"damaged, not copied: {damaged}" in result.output
    assert "copied 0 file(s)" in result.output and store_of(app).stat(damaged) is None


def test_the_worker_and_the_embedded_server_sweep_orphans_daily(app):
    from app import jobs
    from app.background import SCHEDULE, run_due

    (entry,) = [e for e in SCHEDULE if e.job == "sweep_stored_files"]
    assert entry.rq_options(app.config)["cron"] == "30 21 * * *" and callable(jobs.sweep_stored_files)
    last_runs = {}
    assert run_due(app, last_runs, only={"sweep_stored_files"}) == ["sweep_stored_files"]
    assert run_due(app, last_runs, only={"sweep_stored_files"}) == []  # not again before tomorrow's 02:30 PKT
