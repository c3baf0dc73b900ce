"""The one loop every background sweep runs: due ids first, then one short transaction per id.

The timer sweep, the reminder sweep and the outbox delivery all work the same
way, and all must survive several copies of themselves running at once on
several machines, and a crash at any moment:

1. read the ids that are due (one indexed query, no lock held afterwards);
2. for each id, in its own session: `act` locks the row (FOR UPDATE SKIP LOCKED
   on PostgreSQL, so a second sweeper skips it), checks it is still due and
   does the work; the helper commits. `act` answers an outcome label
   ("fired", "sent", ...) or None when the row was taken or no longer due;
3. when `act` raises, the work is rolled back, `on_failure` writes the back-off
   (a later due time, the error for an operator) and that is committed: one
   broken row never blocks the others, nor is it retried every round;
4. batch after batch, until a batch comes back short (nothing more is due) or
   made no progress (its rows belong to other sweepers or keep failing).

A crash loses at most the row in hand, which the next sweep finds due again.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    selected: int = 0
    outcomes: dict[str, list[int]] = field(default_factory=dict)
    failed: list[int] = field(default_factory=list)  # `act` raised: backed off by `on_failure`

    def ids(self, outcome: str) -> list[int]:
        return self.outcomes.get(outcome, [])


def sweep(
    session_factory: sessionmaker[Session],
    *,
    due: Callable[[Session, int], Sequence[int]],
    act: Callable[[Session, int], str | None],
    on_failure: Callable[[Session, int, Exception], None],
    batch: int,
    progress: Collection[str] | None = None,
    once: bool = False,
    what: str = "row",
) -> SweepResult:
    """Run `act` on every due id, each in its own transaction; see the module's docstring.

    `progress` names the outcomes that count as progress for the stop rule (all of
    them when None); `once` stops after the first batch.
    """
    result = SweepResult()
    while True:
        with session_factory() as session:
            ids = list(due(session, batch))
        result.selected += len(ids)
        progressed = False
        for item_id in ids:
            outcome = _run_one(session_factory, act, on_failure, item_id, what, result)
            if outcome is not None and (progress is None or outcome in progress):
                progressed = True
        if once or len(ids) < batch or not progressed:
            return result


def run_each(
    session_factory: sessionmaker[Session],
    ids: Sequence[int],
    *,
    act: Callable[[Session, int], str | None],
    on_failure: Callable[[Session, int, Exception], None],
    what: str = "row",
) -> SweepResult:
    """Steps 2 and 3 for ids already chosen: `act` on each, in its own transaction.

    What a batched sweep falls back to when its batch's commit fails: the rows
    again, one at a time, so the one that broke the batch is isolated.
    """
    result = SweepResult(selected=len(ids))
    for item_id in ids:
        _run_one(session_factory, act, on_failure, item_id, what, result)
    return result


def _run_one(session_factory, act, on_failure, item_id, what, result) -> str | None:
    with session_factory() as session:
        try:
            outcome = act(session, item_id)
            if outcome is None:
                session.rollback()  # taken by another sweeper, or no longer due: nothing to keep
                return None
            session.commit()
        except Exception as error:
            session.rollback()
            log.exception("%s %s failed; backing off", what, item_id)
            on_failure(session, item_id, error)
            session.commit()
            result.failed.append(item_id)
            return None
    result.outcomes.setdefault(outcome, []).append(item_id)
    return outcome
