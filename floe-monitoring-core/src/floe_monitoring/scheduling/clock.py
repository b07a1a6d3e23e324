"""Clocks the scheduler runs on: `SystemClock` for real time, `ManualClock` for tests.

A clock tells the time (aware, UTC) and sleeps. Both clocks are also callables returning
the time, so one object can be handed to checks that expect a ``Callable[[], datetime]``
(`floe_monitoring.checks.Clock`).

`ManualClock` semantics (what tests rely on):

* Time stands still until the test moves it with `ManualClock.advance`, `ManualClock.set`
  or `ManualClock.run_until` / `ManualClock.run_for`.
* `advance` and `set` *jump*: the clock shows the new time at once, every sleeper whose
  deadline has passed is woken (earliest deadline first) and the loop is given time to
  run them (`ManualClock.settle`). A jump of five hours is one jump, as after downtime.
* `run_until` / `run_for` *step*: they move the clock to each sleeper's deadline in turn,
  waking and settling at every one, as continuous time would; use them to drive hours
  of schedule.
* `set` may move backwards; sleepers keep their absolute deadlines and stay asleep.
* Every move first lets ready tasks run (`settle`), so work started before the move
  reads the time it started at.
* A sleep whose deadline is not in the future returns after one pass of the loop.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["ManualClock", "MonitorClock", "SystemClock"]

# asyncio has no public "run until idle"; without the default loop's ready queue to look
# at, settle() falls back to this many passes of the loop.
_FALLBACK_PASSES = 200


class MonitorClock(Protocol):
    """What the scheduler needs from time: read it and sleep on it."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...

    def __call__(self) -> datetime:
        """Same as `now`, so the clock can be passed where checks expect a `Clock`."""
        ...

    async def sleep_until(self, when: datetime) -> None:
        """Return once `now()` has reached `when` (at once if it already has)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep for a duration."""
        ...


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return when.astimezone(UTC)


def _wall_now() -> datetime:
    return datetime.now(UTC)


class SystemClock:
    """Real time: the wall clock for reading, asyncio for sleeping.

    `sleep_until` sleeps in steps of at most ``max_step`` seconds and re-reads the wall
    clock after each, so a wall-clock jump (NTP step, suspended VM) is noticed within one
    step instead of oversleeping or waking early. `sleep` measures a duration on the
    loop's monotonic clock, which jumps do not affect.

    Args:
        max_step: Longest single sleep inside `sleep_until`, in seconds.
        wall: The wall-clock source (aware datetimes); replaceable for tests.

    """

    def __init__(self, *, max_step: float = 1.0, wall: Callable[[], datetime] = _wall_now) -> None:
        if not max_step > 0:
            raise ValueError("max_step must be positive")
        self._max_step = max_step
        self._wall = wall

    def now(self) -> datetime:
        """The wall-clock time, in UTC."""
        return _utc(self._wall())

    def __call__(self) -> datetime:
        """Same as `now`: the clock is also a `floe_monitoring.checks.Clock`."""
        return self.now()

    async def sleep_until(self, when: datetime) -> None:
        """Return once the wall clock has reached `when`, re-checking every ``max_step``."""
        remaining = (when - self.now()).total_seconds()
        if remaining <= 0:
            await asyncio.sleep(0)
            return
        while remaining > 0:
            await asyncio.sleep(min(remaining, self._max_step))
            remaining = (when - self.now()).total_seconds()

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of monotonic time (negative counts as zero)."""
        await asyncio.sleep(max(seconds, 0.0))


class ManualClock:
    """A clock that moves only when a test moves it (see the module docstring).

    Args:
        start: The initial time; must be timezone-aware (kept in UTC).

    """

    def __init__(self, start: datetime) -> None:
        self._now = _utc(start)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        """The current (simulated) time, in UTC."""
        return self._now

    def __call__(self) -> datetime:
        """Same as `now`: the clock is also a `floe_monitoring.checks.Clock`."""
        return self._now

    @property
    def sleepers(self) -> int:
        """How many tasks are asleep on this clock."""
        return sum(1 for _, _, future in self._sleepers if not future.done())

    async def sleep_until(self, when: datetime) -> None:
        """Sleep until the clock is moved to or past `when`."""
        deadline = _utc(when)
        if deadline <= self._now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (deadline, next(self._order), future))
        await future

    async def sleep(self, seconds: float) -> None:
        """Sleep until the clock has moved `seconds` past now."""
        await self.sleep_until(self._now + timedelta(seconds=seconds))

    async def advance(self, seconds: float | timedelta) -> None:
        """Jump forward by `seconds`, wake the sleepers now due and let them run.

        Raises:
            ValueError: If `seconds` is negative (use `set` to go back).

        """
        delta = seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds)
        if delta < timedelta(0):
            raise ValueError("advance() goes forward only; use set() to go back")
        await self.set(self._now + delta)

    async def set(self, when: datetime) -> None:
        """Jump to `when` (forward or backward), wake the sleepers now due, let them run."""
        target = _utc(when)
        await self.settle()
        self._now = target
        self._wake_due()
        await self.settle()

    async def run_until(self, when: datetime) -> None:
        """Move forward to `when` through every sleeper's deadline on the way.

        Each deadline becomes the current time in turn, its sleepers are woken and the
        loop settles before the next one, so tasks see time pass as it would for real.

        Raises:
            ValueError: If `when` is before now.

        """
        target = _utc(when)
        if target < self._now:
            raise ValueError("run_until() goes forward only; use set() to go back")
        await self.settle()
        while (deadline := self._next_deadline()) is not None and deadline <= target:
            self._now = max(self._now, deadline)
            self._wake_due()
            await self.settle()
        self._now = target
        await self.settle()

    async def run_for(self, seconds: float | timedelta) -> None:
        """`run_until` now plus `seconds`."""
        delta = seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds)
        await self.run_until(self._now + delta)

    async def settle(self) -> None:
        """Let every task that is ready run, until the loop has nothing left to do now.

        Tasks waiting on this clock, on threads or on real timers stay waiting.
        """
        ready = getattr(asyncio.get_running_loop(), "_ready", None)
        if ready is None:
            for _ in range(_FALLBACK_PASSES):
                await asyncio.sleep(0)
            return
        # Each pass runs one batch of ready callbacks; an empty queue once we are back
        # means nothing is runnable any more. The bound stops a task that spins forever.
        for _ in range(100_000):
            await asyncio.sleep(0)
            if not ready:
                return

    def _next_deadline(self) -> datetime | None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)  # cancelled sleepers leave their entry behind
        return self._sleepers[0][0] if self._sleepers else None

    def _wake_due(self) -> None:
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)
