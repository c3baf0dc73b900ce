"""The timer sweep: fire every due BPMN timer, a batch of instances per transaction.

Only instances whose `next_timer_due_at` has passed are read. A batch of them is
locked and loaded in one query (FOR UPDATE SKIP LOCKED ... LIMIT on PostgreSQL),
so several sweepers on several machines take disjoint batches and none fires a
timer twice (on SQLite, which has one writer at a time, the version counter
turns a second writer away). The engine moves each instance of the batch first,
writing nothing; one that fails there is left out, backed off and recorded.
Then the others are saved together and committed once. If saving fails, the
batch rolls back and its instances are fired one per transaction, so the one at
fault is isolated. A crash loses at most the batch in hand, which the next sweep
finds due again.

An instance whose timers fail (a diagram script error, a corrupt state) is not
retried every minute forever: it is put back by a growing delay, and the
failure count and error stay on the row for an operator to see; the failure is
also an incident on the analysts' incidents page (casework/incidents.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker, undefer

from ...models import (
    Complaint, ComplaintEvent, HumanTask, InstanceStatus, Notification, ProcessInstance, direct_writes,
    statistics_upkeep, utcnow,
)
from .. import sweep as sweeping
from ..notifications import outbox
from . import incidents, processes, projection

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(days=1)
WHAT = "timers of process instance"  # how the log names an instance whose timers failed


@dataclass
class SweepResult:
    fired: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    selected: int = 0


def sweep(session_factory: sessionmaker[Session], *, batch: int = 200) -> SweepResult:
    """Fire everything due now, batch after batch, until a batch comes back short.

    A full batch that moved nothing (no instance fired or failed) is not due by
    the engine's clock yet: the sweep stops instead of spinning on the same rows.
    """
    return _sweep(session_factory, utcnow(), batch, once=False)


def fire_due_timers(session_factory: sessionmaker[Session], *, now: datetime | None = None, batch: int = 200) -> SweepResult:
    """Fire the timers of up to `batch` due instances, in one transaction with a savepoint per instance."""
    return _sweep(session_factory, now or utcnow(), batch, once=True)


def _sweep(session_factory, now: datetime, batch: int, *, once: bool) -> SweepResult:
    result = SweepResult()
    while True:
        moved_before = len(result.fired) + len(result.failed)
        selected = _fire_batch(session_factory, now, batch, result)
        if once or selected < batch or len(result.fired) + len(result.failed) == moved_before:
            return result


def _fire_batch(session_factory, now: datetime, batch: int, result: SweepResult) -> int:
    """Lock, fire and commit one batch; returns how many instances it locked.

    First the engine's part of every move (restore, fire, read the result): nothing is written
    yet, so an instance that fails there is simply left out, backed off and recorded. Then the
    moves are saved and flushed together (one INSERT per table for the whole batch) and
    committed once. Should anything else fail (saving, the commit, or a database error that
    spoils the transaction), the batch is rolled back and its instances are fired again one
    by one, each in its own transaction, which isolates the one at fault.
    """
    with session_factory() as session:
        instances = _lock_due(session, now, batch)
        try:
            fired, failed = _fire_locked_batch(session, instances, now=now)
            session.commit()
        except Exception:  # noqa: BLE001 - find the instance at fault one by one
            session.rollback()
            log.exception("timer sweep: a batch of %d instance(s) failed as a whole; firing them one by one",
                          len(instances))
            return _fire_one_by_one(session_factory, [instance.id for instance in instances], now, result)
    result.selected += len(instances)
    result.fired += fired
    result.failed += failed
    return len(instances)


def _fire_locked_batch(session: Session, instances: list[ProcessInstance], *, now: datetime):
    """(fired ids, failed ids) of a locked batch, saved and flushed, not committed."""
    failed, settled = [], []
    for instance in instances:
        try:
            move = _settled_move(session, instance)
        except Exception as error:  # noqa: BLE001 - any failure of one instance is backed off, not raised
            _failed(session, instance.id, error, now=now)
            failed.append(instance.id)
            continue
        if move is not None:
            settled.append(move)
    _save_all(session, settled, now=now)
    return [move.instance.id for move in settled], failed


def _settled_move(session: Session, instance: ProcessInstance) -> processes.Move | None:
    """The engine's part of firing a locked instance; None when no timer was due by the engine's clock."""
    move = processes.begin(session, instance)
    if not move.fire_timers().deadline:
        return None  # the due timer is still waiting: nothing fired, nothing to save
    move.settle()
    return move


def _save_all(session: Session, moves: list[processes.Move], *, now: datetime) -> None:
    """Save the settled moves of a batch, flushed together at the end."""
    if not moves:
        return  # an idle sweep: no reads for moves that are not there
    # What every move reads, read once for the batch: the open inbox rows, each district's DCs.
    projection.prefetch_open_tasks(session, [move.instance.id for move in moves])
    outbox.remember_district_staff(session, {move.instance.complaint.district_id for move in moves})
    session.info[projection.FLUSH_LATER] = True
    outbox.hold_task_announcements(session)
    # Nothing is flushed on the way: not by the reads (the people a message goes to; nothing the batch adds is
    # read back), not for the new tasks' ids (their messages wait for the batch's flush). The instances are
    # written by `_write_instances`, the rest by the flush at the end, a statement per table and shape.
    try:
        with session.no_autoflush:
            for move in moves:
                instance = move.instance
                instance.timer_failures, instance.timer_error = 0, None
                move.save(instance.complaint, now=now)
            _write_instances(session, [move.instance for move in moves], now=now)
            _write_complaints(session, [move.instance.complaint for move in moves], now=now)
            if direct_writes.reserves_ids(session):
                # PostgreSQL: the new inbox rows' ids from the sequence, for their announcements (no flush).
                direct_writes.reserve_ids(session, direct_writes.new_rows(session, (HumanTask,)))
            else:
                # SQLite: the rows so far, then the flush that gives the new tasks their ids, announced after it.
                direct_writes.insert_rows(session, direct_writes.new_rows(session, (ComplaintEvent, Notification)),
                                          keep=False)
            outbox.send_held_task_announcements(session)
            direct_writes.insert_rows(
                session, direct_writes.new_rows(session, (ComplaintEvent, Notification, HumanTask)), keep=False)
    finally:
        session.info.pop(projection.FLUSH_LATER, None)
        outbox.drop_held_task_announcements(session)
        outbox.forget_district_staff(session)
    session.flush()


def _write_instances(session: Session, instances: list[ProcessInstance], *, now: datetime) -> None:
    """Write the batch's moved instance rows: one executemany UPDATE per set of changed columns.

    What the ORM does for a versioned row, one statement and one round trip per instance (it cannot batch
    them: each must be checked against the version it was read at), done for the whole batch at once with
    the same check: `WHERE id = … AND lock_version = <as read>`, setting the next version. If any row was
    changed meanwhile (SQLite, which has no row locks; PostgreSQL's rows are locked by the batch's query)
    the updated count falls short and StaleDataError rolls the batch back, as the ORM's flush would.
    """
    direct_writes.update_rows(session, instances, versioned=True, now=now)


def _write_complaints(session: Session, complaints: list[Complaint], *, now: datetime) -> None:
    """Write the batch's changed complaint rows, an executemany UPDATE per set of changed columns.

    The ORM batches only neighbouring rows (by id) that change the same columns; an escalation, a closing
    and a moved deadline change different ones, so a batch went out as a hundred statements or more. The
    changes are counted in the public figures first (`statistics_upkeep.count_changes`), as the flush's hook
    would have counted them.
    """
    statistics_upkeep.count_changes(session, complaints)
    direct_writes.update_rows(session, complaints, versioned=False, now=now)


def _fire_one_by_one(session_factory, ids: list[int], now: datetime, result: SweepResult) -> int:
    """The batch's instances again, each in its own transaction (the shape every sweep shares)."""
    one_by_one = sweeping.run_each(
        session_factory,
        ids,
        act=lambda session, instance_id: "fired" if fire_instance_timers(session, instance_id, now=now) else None,
        on_failure=partial(_postpone, now=now),
        what=WHAT,
    )
    result.selected += len(ids)
    result.fired += one_by_one.ids("fired")
    result.failed += one_by_one.failed
    return len(ids)


def _failed(session: Session, instance_id: int, error: Exception, *, now: datetime) -> None:
    """One instance of a batch failed: its savepoint is rolled back; back it off in the batch's transaction."""
    log.error("%s %s failed; backing off", WHAT, instance_id, exc_info=error)
    _postpone(session, instance_id, error, now=now)


def due_query(now: datetime, batch: int):
    """The due instances no other sweeper holds, oldest due first, locked: one descent of the due index."""
    return (
        select(ProcessInstance)
        .where(ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.next_timer_due_at <= now)
        .order_by(ProcessInstance.next_timer_due_at, ProcessInstance.id)
        .limit(batch)
        .with_for_update(skip_locked=True, of=ProcessInstance)
    )


def _lock_due(session: Session, now: datetime, batch: int) -> list[ProcessInstance]:
    """Lock up to `batch` due instances, loaded with all their moves read.

    The complaint and the people and places its messages name come in a few IN queries for the
    whole batch, not one lazy load per instance.
    """
    return list(session.scalars(due_query(now, batch).options(
        undefer(ProcessInstance.state),
        selectinload(ProcessInstance.definition),
        selectinload(ProcessInstance.complaint).selectinload(Complaint.citizen),
        selectinload(ProcessInstance.complaint).selectinload(Complaint.officer),
        selectinload(ProcessInstance.complaint).selectinload(Complaint.district),
        selectinload(ProcessInstance.complaint).selectinload(Complaint.department),
    )))


def fire_instance_timers(session: Session, instance_id: int, *, now: datetime) -> bool:
    """Fire one instance's due timers, on its own (the seed, and a batch whose commit failed).

    False (and nothing saved) if another sweeper holds it, it is no longer due,
    or the engine found no timer due by its own clock.
    """
    instance = session.scalar(
        select(ProcessInstance)
        .options(undefer(ProcessInstance.state), joinedload(ProcessInstance.definition))
        .where(
            ProcessInstance.id == instance_id,
            ProcessInstance.status == InstanceStatus.RUNNING,
            ProcessInstance.next_timer_due_at <= now,
        )
        .with_for_update(skip_locked=True, of=ProcessInstance)
    )
    if instance is None:
        return False
    return _fire_locked(session, instance, now=now)


def _fire_locked(session: Session, instance: ProcessInstance, *, now: datetime) -> bool:
    """Fire the due timers of an instance the caller has locked; False (nothing changed) if none fired."""
    move = processes.begin(session, instance)
    if not move.fire_timers().deadline:
        return False  # the due timer is still waiting: nothing fired, nothing to save
    instance.timer_failures, instance.timer_error = 0, None
    move.save(instance.complaint, now=now)
    return True


def _postpone(session: Session, instance_id: int, error: Exception, *, now: datetime) -> None:
    failures = session.scalar(select(ProcessInstance.timer_failures).where(ProcessInstance.id == instance_id)) or 0
    delay = min(FIRST_RETRY * 2**failures, LONGEST_RETRY)
    session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.id == instance_id)
        .values(
            timer_failures=failures + 1,
            timer_error=f"{type(error).__name__}: {error}"[:2000],
            next_timer_due_at=now + delay,
        )
        .execution_options(synchronize_session=False)
    )
    incidents.record_timer_failure(session, instance_id, processes.failure_of(error), now=now)
