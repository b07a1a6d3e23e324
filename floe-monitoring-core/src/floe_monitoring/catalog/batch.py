"""`TableBatch`: one table's load and every read waiting for it, as one worker call.

The checks of one table fall due together (freshness, schema drift, quality, ...), and
loading the table is most of each check. Reads that ask for a table whose load is queued
or running join that load's batch; the worker that loads the table then runs them one
after another on it. One thread hop per table instead of one per load and one per read:
under the GIL, every hop costs the event loop a wake-up and the workers a handover.

Only a load in progress is shared: the batch closes when its table is loaded (in worker
processes: when it is sent to one), so a read that asks later gets a fresh load and sees
the table as the catalog has it then.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pyiceberg.table import Table

__all__ = ["Outcome", "Read", "TableBatch", "outcomes"]

T = TypeVar("T")

#: A read's result: ``(True, value)`` or ``(False, exception)``.
Outcome = tuple[bool, Any]

#: A read waiting in a batch: its function and the future of its result.
Read = tuple[Callable[["Table"], Any], "Future[Any]"]


def outcomes(load: Callable[[], Table], reads: Sequence[Callable[[Table], Any]]) -> list[Outcome]:
    """Load the table once and run every read on it; a failed load fails them all."""
    try:
        table = load()
    except BaseException as exc:
        return [(False, exc)] * len(reads)
    return [_attempt(read, table) for read in reads]


def _attempt(read: Callable[[Table], Any], table: Table) -> Outcome:
    try:
        return True, read(table)
    except BaseException as exc:  # the read's own error, delivered to its caller
        return False, exc


def _settle(future: Future[Any], outcome: Outcome) -> None:
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class TableBatch:
    """Reads waiting for one load of one table; thread-safe.

    The event loop adds reads with `join` until the worker has loaded the table; the worker
    calls `run`; whoever gives up on the batch (a timeout, a pool that refused the job)
    calls `fail`, which settles every read that has not started yet. For a worker process
    the loop hands the reads over with `take` and settles them with `deliver` or
    `abandon`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: deque[Read] = deque()
        self._closed = False

    def join(self, read: Callable[[Table], T]) -> Future[T] | None:
        """Add ``read``; its future settles with its result. None once the batch is closed."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                return None
            self._waiting.append((read, future))
        return future

    def run(self, load: Callable[[], Table]) -> None:
        """In the worker: load the table, close the batch, then run every read in order.

        A failed load fails every read with the same error. A read whose caller has
        stopped waiting (its future was cancelled) is skipped.
        """
        try:
            table = load()
        except BaseException as exc:
            self.fail(exc)
            raise
        with self._lock:
            self._closed = True
        while (item := self._next()) is not None:
            read, future = item
            if future.set_running_or_notify_cancel():
                _settle(future, _attempt(read, table))

    def take(self) -> list[Read]:
        """Close the batch and hand over every waiting read (to run elsewhere)."""
        return self._close()

    @staticmethod
    def deliver(reads: Sequence[Read], found: Sequence[Outcome]) -> None:
        """Settle taken ``reads`` with their outcomes (skipping callers that stopped waiting)."""
        for (_, future), outcome in zip(reads, found, strict=True):
            if future.set_running_or_notify_cancel():
                _settle(future, outcome)

    @staticmethod
    def abandon(reads: Sequence[Read], error: BaseException | None) -> None:
        """Fail taken ``reads`` with ``error``, or cancel them when it is None."""
        for _, future in reads:
            if error is None:
                future.cancel()
            elif future.set_running_or_notify_cancel():
                future.set_exception(error)

    def fail(self, error: BaseException) -> None:
        """Close the batch and fail every read that has not started with ``error``."""
        self.abandon(self._close(), error)

    def cancel(self) -> None:
        """Close the batch and cancel every read that has not started."""
        self.abandon(self._close(), None)

    def _close(self) -> list[Read]:
        with self._lock:
            self._closed = True
            pending = list(self._waiting)
            self._waiting.clear()
        return pending

    def _next(self) -> Read | None:
        with self._lock:
            return self._waiting.popleft() if self._waiting else None
