"""`Scheduler`: runs every schedule key on its slots, on an injectable clock.

Rules (each has a test):

* Slots: a key runs on its timetable (the interval grid ``epoch + phase + k*interval``
  or a cron schedule); the next slot follows the last *slot*, not the last run's end,
  so slow runs do not drift the schedule. A new key first runs at its first slot at or
  after the time it is added, or the scheduler starts if that is later (or right after
  ``last_scheduled`` when that is given).
* Coalescing: when several slots of a key have passed (downtime, a stalled loop, a
  forward clock jump) the key runs once, for the latest passed slot, then continues on
  its timetable.
* Monotonic: a slot is never run twice. After a backward clock jump every key waits
  for its next unrun slot, so nothing fires again until the clock catches up.
* No overlap: while a key's run is in flight (running or waiting for a concurrency
  permit) its next slot is skipped and reported to ``on_overrun(key, slot)``.
* Concurrency: at most ``max_concurrency`` runs execute at once; the others wait.
* Lag: when a run starts, ``on_lag(key, seconds)`` receives start time minus slot time.
* Isolation: an exception from the run callable (or a callback) is logged by type on
  the ``floe_monitoring.scheduling`` logger and the scheduler carries on.

Due keys live in a heap ordered by due time, so launching costs O(log n) per run and
a tick looks only at the keys that are due. The scheduler is not thread-safe: call it
from its event loop.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TypeVar

from floe_monitoring.scheduling.clock import MonitorClock
from floe_monitoring.scheduling.spec import ScheduleSpec, Timetable

__all__ = ["LagCallback", "OverrunCallback", "RunCallable", "Scheduler", "SchedulerStats"]

logger = logging.getLogger("floe_monitoring.scheduling")

_T = TypeVar("_T")

#: Runs one check: receives the schedule key and the slot (due time) it runs for.
RunCallable = Callable[[str, datetime], Awaitable[None]]
#: Receives a key and its schedule lag in seconds (start time minus slot time, >= 0).
LagCallback = Callable[[str, float], None]
#: Receives a key and the slot skipped because the key's previous run was in flight.
OverrunCallback = Callable[[str, datetime], None]


@dataclass(frozen=True)
class SchedulerStats:
    """Counters since the scheduler was created (for metrics and readiness).

    Attributes:
        schedules: Keys currently scheduled.
        in_flight: Runs launched and not finished (running or waiting for a permit).
        launched: Runs launched.
        overruns: Slots skipped because the key was still in flight.
        failures: Runs whose callable raised.
        coalesced: Times several passed slots of a key were collapsed into one run.
        examined: Heap entries the launcher looked at (due ones plus stale leftovers).

    """

    schedules: int
    in_flight: int
    launched: int
    overruns: int
    failures: int
    coalesced: int
    examined: int


@dataclass
class _Entry:
    spec: ScheduleSpec
    timetable: Timetable
    next_due: datetime
    last_slot: datetime | None
    ticket: int = -1  # the heap item that is live for this entry; older ones are stale


class Scheduler:
    """Launches the run callable for every schedule key when its slot comes.

    Args:
        clock: Where time comes from (`SystemClock` in service, `ManualClock` in tests).
        run: ``await run(key, slot)`` executes one check; it should not raise.
        max_concurrency: Most runs executing at the same time.
        on_lag: Called with ``(key, seconds)`` as each run starts.
        on_overrun: Called with ``(key, slot)`` when a slot is skipped because the key's
            previous run is still in flight.

    Example::

        async with Scheduler(SystemClock(), run_check) as scheduler:
            scheduler.add(ScheduleSpec.for_check(key, "freshness"))
            await stop_requested.wait()

    """

    def __init__(
        self,
        clock: MonitorClock,
        run: RunCallable,
        *,
        max_concurrency: int = 32,
        on_lag: LagCallback | None = None,
        on_overrun: OverrunCallback | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._clock = clock
        self._run = run
        self._on_lag = on_lag
        self._on_overrun = on_overrun
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._entries: dict[str, _Entry] = {}
        self._heap: list[tuple[datetime, int, str]] = []
        self._tickets = itertools.count()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._launched = 0
        self._overruns = 0
        self._failures = 0
        self._coalesced = 0
        self._examined = 0

    # -- the set of schedules ---------------------------------------------------------

    def add(self, spec: ScheduleSpec, *, last_scheduled: datetime | None = None) -> datetime:
        """Schedule a new key; returns its first due time.

        Args:
            spec: The schedule.
            last_scheduled: The last slot this key ran for (as persisted before a
                restart): the key then resumes right after it, running at once, once,
                if slots were missed meanwhile.

        Raises:
            ValueError: If the key is already scheduled (use `update`).

        """
        if spec.key in self._entries:
            raise ValueError(f"{spec.key!r} is already scheduled; use update()")
        entry = self._new_entry(spec, last_scheduled)
        self._entries[spec.key] = entry
        self._push(entry)
        return entry.next_due

    def update(self, spec: ScheduleSpec) -> datetime:
        """Replace a key's schedule (for example its interval); returns its next due time.

        The new timetable continues from the key's last slot: if that leaves slots in
        the past, the key runs at once (once). A run in flight is not disturbed.

        Raises:
            KeyError: If the key is not scheduled.

        """
        current = self._entries[spec.key]
        if current.spec == spec:
            return current.next_due
        entry = self._new_entry(spec, current.last_slot)
        self._entries[spec.key] = entry
        self._push(entry)
        return entry.next_due

    def remove(self, key: str) -> bool:
        """Stop scheduling a key; a run in flight finishes. Returns whether it was known."""
        if self._entries.pop(key, None) is None:
            return False
        self._compact()
        return True

    def sync(self, specs: Iterable[ScheduleSpec]) -> None:
        """Make the scheduled set exactly `specs`: add new keys, update, remove the rest."""
        wanted = {spec.key: spec for spec in specs}
        for key in [key for key in self._entries if key not in wanted]:
            self.remove(key)
        for key, spec in wanted.items():
            if key in self._entries:
                self.update(spec)
            else:
                self.add(spec)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    # -- introspection ----------------------------------------------------------------

    def next_due(self, key: str) -> datetime | None:
        """When the key is next due, or None if it is not scheduled."""
        entry = self._entries.get(key)
        return entry.next_due if entry is not None else None

    def due_keys(self, now: datetime | None = None) -> list[str]:
        """The keys due at `now` (default: the clock's now), earliest first.

        This scans every schedule; it is for inspection, not for the launch path.
        """
        at = self._clock.now() if now is None else now
        due = [
            (entry.next_due, key) for key, entry in self._entries.items() if entry.next_due <= at
        ]
        return [key for _, key in sorted(due)]

    def is_running(self, key: str) -> bool:
        """True while a run of the key is in flight (even if the key was removed)."""
        return key in self._running

    @property
    def started(self) -> bool:
        """True between `start` and `stop`."""
        return self._task is not None and not self._task.done()

    def stats(self) -> SchedulerStats:
        """A snapshot of the scheduler's counters."""
        return SchedulerStats(
            schedules=len(self._entries),
            in_flight=len(self._running),
            launched=self._launched,
            overruns=self._overruns,
            failures=self._failures,
            coalesced=self._coalesced,
            examined=self._examined,
        )

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        """Start launching due runs in a background task (needs a running event loop).

        Raises:
            RuntimeError: If already started.

        """
        if self._task is not None:
            raise RuntimeError("scheduler already started")
        self._stopping = False
        # Keys that never ran and whose first slot passed before the start (a monitor
        # loading 10,000 contracts takes most of a minute) begin at their first slot from
        # now, spread over one interval by their phases: not 40,000 runs at once, whose
        # results queue behind the writer (benchmarks/, scenario 1: the peak RSS).
        now = self._clock.now()
        for entry in list(self._entries.values()):
            if entry.last_slot is None and entry.next_due < now:
                entry.next_due = entry.timetable.first_at_or_after(now)
                self._push(entry)
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="floe-scheduler")

    async def stop(self, grace: float = 30.0) -> None:
        """Stop launching, let runs in flight finish for `grace` seconds, cancel the rest.

        The grace period is measured on the scheduler's clock. Safe to call twice.
        """
        self._stopping = True
        self._wakeup.set()
        task, self._task = self._task, None
        if task is not None:
            await task
        in_flight = set(self._running.values())
        if in_flight and grace > 0:
            await self._wait_at_most(in_flight, grace)
        late = [run for run in in_flight if not run.done()]
        if late:
            logger.warning("cancelling %d run(s) still in flight after %s s", len(late), grace)
            for run in late:
                run.cancel()
            await asyncio.wait(late)

    async def __aenter__(self) -> Scheduler:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def run_pending_once(self, now: datetime | None = None) -> list[str]:
        """Launch every key due at `now` (default: the clock's now) and wait for those runs.

        The same rules apply as in the background loop (coalescing, no overlap, the
        concurrency limit), and the slots are consumed: a second call at the same time
        launches nothing. Launches nothing while the scheduler is stopping.

        Returns:
            The keys launched, in due order.

        """
        if self._stopping:
            return []
        launched = self._launch_due(self._clock.now() if now is None else now)
        if launched:
            await asyncio.wait([task for _, task in launched])
        return [key for key, _ in launched]

    # -- internals --------------------------------------------------------------------

    def _new_entry(self, spec: ScheduleSpec, last_slot: datetime | None) -> _Entry:
        timetable = spec.timetable()
        if last_slot is None:
            next_due = timetable.first_at_or_after(self._clock.now())
        else:
            next_due = timetable.after(last_slot)
        return _Entry(spec, timetable, next_due, last_slot)

    def _push(self, entry: _Entry) -> None:
        entry.ticket = next(self._tickets)
        heapq.heappush(self._heap, (entry.next_due, entry.ticket, entry.spec.key))
        self._compact()
        self._wakeup.set()  # the loop may be sleeping until a later time

    def _compact(self) -> None:
        # update() and remove() leave stale items behind; rebuild before they dominate.
        if len(self._heap) > 2 * len(self._entries) + 64:
            self._heap = [
                (entry.next_due, entry.ticket, key) for key, entry in self._entries.items()
            ]
            heapq.heapify(self._heap)

    def _peek(self) -> datetime | None:
        while self._heap:
            due, ticket, key = self._heap[0]
            entry = self._entries.get(key)
            if entry is not None and entry.ticket == ticket:
                return due
            heapq.heappop(self._heap)
            self._examined += 1
        return None

    def _launch_due(self, now: datetime) -> list[tuple[str, asyncio.Task[None]]]:
        launched: list[tuple[str, asyncio.Task[None]]] = []
        coalesced = 0
        while self._heap and self._heap[0][0] <= now:
            due, ticket, key = heapq.heappop(self._heap)
            self._examined += 1
            entry = self._entries.get(key)
            if entry is None or entry.ticket != ticket:
                continue
            # The latest passed slot stands for all the missed ones: one run, not a storm.
            slot = max(entry.timetable.latest_at_or_before(now), due)
            if slot > due:
                coalesced += 1
            entry.last_slot = slot
            entry.next_due = entry.timetable.after(slot)
            entry.ticket = next(self._tickets)
            heapq.heappush(self._heap, (entry.next_due, entry.ticket, key))
            if key in self._running:
                self._overruns += 1
                logger.warning("%s is still running; skipped its run due %s", key, slot)
                self._notify(self._on_overrun, key, slot)
                continue
            launched.append((key, self._launch(key, slot)))
        if coalesced:
            self._coalesced += coalesced
            logger.info("coalesced missed runs of %d schedule(s) into one run each", coalesced)
        return launched

    def _launch(self, key: str, slot: datetime) -> asyncio.Task[None]:
        task = asyncio.create_task(self._execute(key, slot), name=f"floe-check {key}")
        self._running[key] = task
        self._launched += 1
        task.add_done_callback(functools.partial(self._finished, key))
        return task

    def _finished(self, key: str, task: asyncio.Task[None]) -> None:
        if self._running.get(key) is task:
            del self._running[key]

    async def _execute(self, key: str, slot: datetime) -> None:
        async with self._semaphore:
            lag = max((self._clock.now() - slot).total_seconds(), 0.0)
            self._notify(self._on_lag, key, lag)
            try:
                await self._run(key, slot)
            except Exception as exc:  # a broken run must not stop the others
                self._failures += 1
                logger.error("run of %s due %s failed: %s", key, slot, type(exc).__name__)

    def _notify(self, callback: Callable[[str, _T], None] | None, key: str, value: _T) -> None:
        if callback is None:
            return
        try:
            callback(key, value)
        except Exception as exc:  # a metrics hook must not stop the scheduler
            logger.error("scheduler callback for %s failed: %s", key, type(exc).__name__)

    async def _loop(self) -> None:
        while not self._stopping:
            self._wakeup.clear()  # before launching, so changes made meanwhile wake us
            self._launch_due(self._clock.now())
            if self._stopping or self._wakeup.is_set():
                continue
            await self._sleep_until(self._peek())

    async def _sleep_until(self, due: datetime | None) -> None:
        waits: set[asyncio.Task[object]] = {asyncio.create_task(self._wakeup.wait())}
        if due is not None:
            waits.add(asyncio.create_task(self._clock.sleep_until(due)))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def _wait_at_most(self, tasks: set[asyncio.Task[None]], seconds: float) -> None:
        # Both timed on the scheduler's clock, so tests drive the grace period too.
        waiter = asyncio.create_task(asyncio.wait(tasks))
        timer = asyncio.create_task(self._clock.sleep(seconds))
        try:
            await asyncio.wait({waiter, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            timer.cancel()
