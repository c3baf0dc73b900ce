"""Attachment rows against stored files: what is missing, what no row names, and the sweep of orphans.

Files are stored before the row naming them commits (`files/store.py` says why they
are never deleted on a rollback), so a file no row names is either in flight (its
transaction has not committed yet) or an orphan (it never will). A grace period
tells them apart: a file nobody stored again for FILE_ORPHAN_GRACE_HOURS is an orphan.

Both sides are read as sorted streams and merged, so checking millions of files
holds only the current key of each side in memory. The rows are read first:
every row committed by then had its file stored before it committed, so a file
committed later shows up as "in flight", never as a false "missing".
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from ...models import Attachment, utcnow
from .. import files


@dataclass(frozen=True)
class Finding:
    kind: str  # "missing" (a row names it, the store has not got it), "orphan" or "in_flight" (no row names it)
    key: str
    attachment_id: int | None = None  # missing: the row naming it
    stored: files.StoredObject | None = None  # orphan, in flight: the file


@dataclass
class Inventory:
    rows: int = 0  # keys the attachment rows name (a photo names two: itself and its thumbnail)
    stored: int = 0  # files in the store
    counts: dict[str, int] = field(default_factory=lambda: {"missing": 0, "orphan": 0, "in_flight": 0})
    examples: list[Finding] = field(default_factory=list)  # the first `limit` findings

    @property
    def consistent(self) -> bool:
        return not self.counts["missing"] and not self.counts["orphan"]


def take_inventory(session: Session, store: files.FileStore, *, grace: timedelta, now: datetime | None = None,
                   limit: int = 100) -> Inventory:
    """Compare every attachment row's keys with the stored files; the first `limit` findings kept as examples."""
    found = Inventory()
    for finding in compare(session, store, cutoff=(now or utcnow()) - grace, tally=found):
        found.counts[finding.kind] += 1
        if len(found.examples) < limit:
            found.examples.append(finding)
    return found


def delete_orphans(session: Session, store: files.FileStore, *, grace: timedelta, now: datetime | None = None) -> int:
    """Delete the stored files that no row names and nobody stored for `grace`; how many were deleted.

    Each orphan is looked at again just before it goes (a row may have named it, or a
    transaction stored it again, since the listing began): only the moment between that
    look and the delete is left, and it needs the same bytes stored again in it.
    """
    cutoff = (now or utcnow()) - grace
    deleted = 0
    for finding in compare(session, store, cutoff=cutoff):
        if finding.kind != "orphan":
            continue
        current = store.stat(finding.key)
        if current is None or current.stored_at >= cutoff or _is_named(session, finding.key):
            continue
        store.delete(finding.key)
        deleted += 1
    return deleted


def compare(session: Session, store: files.FileStore, *, cutoff: datetime, tally: Inventory | None = None
            ) -> Iterator[Finding]:
    """The differences between the rows' keys and the store's files, as both streams are merged."""
    tally = tally or Inventory()
    rows = _named_keys(session)  # first: see the module's docstring
    row = next(rows, None)
    for item in store.objects():
        tally.stored += 1
        named = False
        while row is not None and row[0] <= item.key:
            if row[0] == item.key:
                named = True
            else:
                yield Finding("missing", row[0], attachment_id=row[1])
            tally.rows += 1
            row = next(rows, None)
        if not named:
            yield Finding("orphan" if item.stored_at < cutoff else "in_flight", item.key, stored=item)
    while row is not None:
        tally.rows += 1
        yield Finding("missing", row[0], attachment_id=row[1])
        row = next(rows, None)


def _named_keys(session: Session) -> Iterator[tuple[str, int]]:
    """(key, attachment id) of every file a row names, sorted by the key's bytes (as the stores list them)."""
    named = union_all(
        select(Attachment.storage_key.label("key"), Attachment.id.label("id")),
        select(Attachment.thumbnail_key.label("key"), Attachment.id.label("id")).where(Attachment.thumbnail_key.is_not(None)),
    ).subquery()
    # Byte order whatever the database's collation: a PostgreSQL locale would sort "/" and "." differently.
    order = named.c.key.collate("C") if session.get_bind().dialect.name == "postgresql" else named.c.key
    result = session.execute(select(named.c.key, named.c.id).order_by(order, named.c.id).execution_options(yield_per=2000))
    for found_key, attachment_id in result:
        yield found_key, attachment_id


def _is_named(session: Session, key: str) -> bool:
    return session.scalar(select(Attachment.id).where(
        (Attachment.storage_key == key) | (Attachment.thumbnail_key == key)).limit(1)) is not None
