"""Copying every stored file from one store to another (directory ↔ S3, or a backup's folder).

Both listings come in key order, so they are merged as they stream: memory stays
flat however many files there are, and a copy that stopped half-way goes on where
it stopped (what the target holds is skipped). Every file is checked against its
key's hash before it is written, so a damaged file is reported, never spread.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from .store import FileStore, StoredObject, extension_of_key, sha_of_key


@dataclass
class Copied:
    copied: int = 0
    skipped: int = 0  # the target had them already
    bytes: int = 0
    damaged: list[str] = field(default_factory=list)  # content no longer matches its key: not copied
    unreadable: list[str] = field(default_factory=list)  # listed, then gone (deleted meanwhile)


def copy_all(source: FileStore, target: FileStore, *, workers: int = 8) -> Copied:
    """Copy what `target` lacks, `workers` files at a time (an object store answers each in tens of
    milliseconds: one at a time, millions of files take days). At most a few files per worker are
    held in memory at once."""
    done = Copied()
    with ThreadPoolExecutor(workers, thread_name_prefix="copy") as pool:
        pending: set[Future] = set()
        for key, in_target in missing_from(source.objects(), target.objects()):
            if in_target:
                done.skipped += 1
                continue
            pending.add(pool.submit(_copy_one, source, target, key))
            if len(pending) >= 2 * workers:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                _tally(done, finished)
        _tally(done, pending)
    done.damaged.sort()
    done.unreadable.sort()
    return done


def _copy_one(source: FileStore, target: FileStore, key: str) -> tuple[str, str, int]:
    try:
        with source.open(key) as file:
            data = file.read()
    except FileNotFoundError:
        return key, "unreadable", 0
    if hashlib.sha256(data).hexdigest() != sha_of_key(key):
        return key, "damaged", 0
    stored = target.put(data, extension_of_key(key))
    if stored != key:  # same bytes, same key: one naming rule in every store
        raise RuntimeError(f"{key} was stored as {stored}")
    return key, "copied", len(data)


def _tally(done: Copied, futures) -> None:
    for future in futures:
        key, outcome, size = future.result()  # an error of the store itself stops the copy: re-run to resume
        if outcome == "copied":
            done.copied += 1
            done.bytes += size
        else:
            getattr(done, outcome).append(key)


def missing_from(source: Iterator[StoredObject], target: Iterator[StoredObject]) -> Iterator[tuple[str, bool]]:
    """Each key of `source` in order, with whether `target` has it; both listings sorted by key."""
    other = next(target, None)
    for item in source:
        while other is not None and other.key < item.key:
            other = next(target, None)
        yield item.key, other is not None and other.key == item.key


def damaged_objects(store: FileStore) -> Iterator[str]:
    """Keys whose stored bytes no longer hash to the key (every file is read: slow on purpose)."""
    for item in store.objects():
        digest = hashlib.sha256()
        try:
            with store.open(item.key) as file:
                for chunk in iter(lambda: file.read(1 << 20), b""):
                    digest.update(chunk)
        except FileNotFoundError:
            continue  # deleted since the listing: nothing to be damaged
        if digest.hexdigest() != sha_of_key(item.key):
            yield item.key
