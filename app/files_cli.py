"""Operator commands for stored files: `flask --app app files check | export DIR | import DIR | sweep | location`.

Moving from a directory to S3 (or back): `files export DIR` with the old settings,
`files import DIR` with the new ones, then `files check`. Backups use `export`
(deploy/backup.sh), restores `import` (deploy/restore.sh).
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .services import files
from .services.casework import file_inventory
from .services.files import transfer
from .web import file_store, session_factory

files_cli = AppGroup("files", help="Stored photos and documents: check, export, import, sweep orphans.")


def _grace(hours: int | None) -> timedelta:
    return timedelta(hours=hours if hours is not None else current_app.config["FILE_ORPHAN_GRACE_HOURS"])


@files_cli.command("check")
@click.option("--verify", is_flag=True, help="Also read every file and compare it with its content hash (slow).")
@click.option("--grace-hours", type=click.IntRange(min=0), default=None,
              help="A file no row names is in flight, not an orphan, this long after it was stored "
                   "[default: FILE_ORPHAN_GRACE_HOURS].")
def files_check(verify, grace_hours):
    """Every attachment row has its stored file and every stored file a row; exit 1 when not."""
    store = file_store()
    with session_factory()() as session:
        found = file_inventory.take_inventory(session, store, grace=_grace(grace_hours))
    for finding in found.examples:
        if finding.kind == "missing":
            click.echo(f"missing: {finding.key} (attachment {finding.attachment_id})")
        else:
            click.echo(f"{finding.kind.replace('_', ' ')}: {finding.key} (stored {finding.stored.stored_at:%Y-%m-%d %H:%M} UTC)")
    damaged = list(transfer.damaged_objects(store)) if verify else []
    for key in damaged:
        click.echo(f"damaged: {key} (its content no longer matches its hash)")
    counts = found.counts
    click.echo(f"{found.rows} file(s) named by attachment rows, {found.stored} stored; missing {counts['missing']}, "
               f"orphans {counts['orphan']}, in flight {counts['in_flight']}" + (f", damaged {len(damaged)}" if verify else ""))
    if not found.consistent or damaged:
        raise SystemExit("stored files and attachment rows disagree")


@files_cli.command("location")
def files_location():
    """Where the files are, as the settings say: a directory's absolute path, or s3://bucket/prefix (endpoint)."""
    store = file_store()
    if isinstance(store, files.DirectoryStore):
        click.echo(store.root.resolve())
    else:
        settings = store.settings
        click.echo(f"s3://{settings.bucket}/{settings.prefix} ({settings.endpoint_url or 'AWS'})")


@files_cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def files_export(directory):
    """Copy every stored file into DIRECTORY (the layout of FILE_STORAGE=directory); resumes where it stopped."""
    _report(transfer.copy_all(file_store(), files.DirectoryStore(directory)), f"into {directory}")


@files_cli.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def files_import(directory):
    """Copy every file of DIRECTORY (as `files export` wrote it) into the store FILE_STORAGE names."""
    _report(transfer.copy_all(files.DirectoryStore(directory), file_store()), f"from {directory}")


@files_cli.command("sweep")
@click.option("--grace-hours", type=click.IntRange(min=1), default=None,
              help="Delete only files nobody stored for this long [default: FILE_ORPHAN_GRACE_HOURS].")
def files_sweep(grace_hours):
    """Delete stored files that no attachment row names (left by transactions that rolled back)."""
    with session_factory()() as session:
        deleted = file_inventory.delete_orphans(session, file_store(), grace=_grace(grace_hours))
    click.echo(f"deleted {deleted} orphaned file(s)")


def _report(done: transfer.Copied, where: str) -> None:
    click.echo(f"copied {done.copied} file(s) ({done.bytes} bytes) {where}; {done.skipped} were there already")
    for key in done.damaged:
        click.echo(f"damaged, not copied: {key} (its content no longer matches its hash)")
    for key in done.unreadable:
        click.echo(f"gone while copying: {key}")
    if done.damaged:
        raise SystemExit(f"{len(done.damaged)} damaged file(s) not copied")
