"""One value kept for at most `max_age` seconds, recomputed in the background while readers get the last one.

The public statistics use it so that a burst of visitors costs one read of the
aggregates a minute: no reader waits for a recomputation except the very
first after a start, and the value is at most `max_age` plus one computation old.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


class Snapshot(Generic[T]):
    def __init__(self, compute: Callable[[Session], T], sessions: sessionmaker[Session], *, max_age: float):
        self.compute, self.sessions, self.max_age = compute, sessions, max_age
        self.value: T | None = None
        self.expires = 0.0  # time.monotonic() after which the value is stale
        self.thread: threading.Thread | None = None  # the last background recomputation
        self._refreshing = False
        self._lock = threading.Lock()

    def get(self, session: Session) -> T:
        """The value; computed with `session` only when there is none yet."""
        with self._lock:
            value, fresh = self.value, self.expires > time.monotonic()
            refresh = not fresh and not self._refreshing
            if refresh and value is not None:
                self._refreshing = True
        if value is None:
            return self._refresh(session)
        if refresh:
            self.thread = threading.Thread(target=self._refresh_in_background, name="snapshot", daemon=True)
            self.thread.start()
        return value

    def _refresh(self, session: Session) -> T:
        try:
            value = self.compute(session)
            with self._lock:
                self.value, self.expires = value, time.monotonic() + self.max_age
            return value
        finally:
            self._refreshing = False

    def _refresh_in_background(self) -> None:
        with self.sessions() as session:
            self._refresh(session)
