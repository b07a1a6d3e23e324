"""Scheduling shared by several replicas on one PostgreSQL database.

Every replica loads the same contracts, but each due check runs once: replicas claim due
rows of the `schedules` table with ``FOR UPDATE SKIP LOCKED`` and a lease (owner,
expiry, fencing counter). The claimant runs the check, then moves the row to its next
grid slot, fenced on owner and counter so a replica that lost its lease changes
nothing. A crashed replica's leases expire and its checks are claimed by the others.
No coordination service of our own: PostgreSQL row locks are the protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from floe_monitoring.scheduling import MonitorClock, SchedulerStats, ScheduleSpec
from floe_monitoring.store.database import Database
from floe_monitoring.store.schema import schedules

__all__ = ["SharedScheduler"]

_log = logging.getLogger("floe_monitoring.scheduling")


class SharedScheduler:
    """A `Scheduler` look-alike whose due times live in the database.

    Args:
        database: The shared PostgreSQL database.
        clock: Time source.
        run: ``await run(key, slot)`` executes one check.
        owner: This replica's lease owner name.
        max_concurrency: Checks running at once in this replica.
        lease: How long a claim is ours (longer than a check can take).
        poll_interval: Seconds between claims.
        on_lag: Called with ``(key, seconds)`` as each run starts.
    """

    def __init__(
        self,
        database: Database,
        clock: MonitorClock,
        run: Callable[[str, datetime], Awaitable[None]],
        *,
        owner: str,
        max_concurrency: int = 32,
        lease: timedelta = timedelta(seconds=60),
        poll_interval: float = 1.0,
        on_lag: Callable[[str, float], None] | None = None,
    ) -> None:
        self._db = database
        self._clock = clock
        self._run = run
        self.owner = owner
        self._max = max_concurrency
        self._lease = lease
        self._poll = poll_interval
        self._on_lag = on_lag
        self._specs: dict[str, ScheduleSpec] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._launched = 0
        self._lost = 0
        self._wake = asyncio.Event()

    # -- the set of schedules (rows are written by the monitor with the contract) ----

    def add(self, spec: ScheduleSpec, *, last_scheduled: datetime | None = None) -> datetime:
        """Know a schedule; returns its first slot from now."""
        self._specs[spec.key] = spec
        return spec.timetable().first_at_or_after(self._clock.now())

    def update(self, spec: ScheduleSpec) -> datetime:
        """Change a schedule's interval (the stored next slot is kept)."""
        return self.add(spec)

    def remove(self, key: str) -> bool:
        """Forget a schedule (its row is deleted by `forget_rows`)."""
        return self._specs.pop(key, None) is not None

    def __contains__(self, key: object) -> bool:
        return key in self._specs

    def __len__(self) -> int:
        return len(self._specs)

    def next_due(self, key: str) -> datetime | None:
        """The key's next slot by its timetable (the stored row may be later)."""
        spec = self._specs.get(key)
        return spec.timetable().first_at_or_after(self._clock.now()) if spec else None

    def due_keys(self, now: datetime | None = None) -> list[str]:
        """Keys whose next slot (from the current time) is at or before `now`."""
        moment = now or self._clock.now()
        current = self._clock.now()
        return [
            k for k, s in self._specs.items() if s.timetable().first_at_or_after(current) <= moment
        ]

    @property
    def started(self) -> bool:
        """True while claiming."""
        return self._task is not None and not self._task.done()

    def stats(self) -> SchedulerStats:
        """Counters for metrics and readiness."""
        return SchedulerStats(
            schedules=len(self._specs),
            in_flight=len(self._running),
            launched=self._launched,
            overruns=0,
            failures=self._lost,
            coalesced=0,
            examined=0,
        )

    async def forget_rows(self, keys: list[str]) -> None:
        """Delete schedule rows of checks no contract implies any more."""
        if keys:
            async with self._db.begin() as connection:
                await connection.execute(delete(schedules).where(schedules.c.check_key.in_(keys)))

    # -- running ---------------------------------------------------------------------

    def start(self) -> None:
        """Start claiming due checks."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name="floe-shared-scheduler")

    async def stop(self, grace: float = 30.0) -> None:
        """Stop claiming; let running checks finish for `grace` seconds (then cancel)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._running:
            _done, pending = await asyncio.wait(set(self._running.values()), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self.claim_and_run()
            except Exception as exc:  # the database may be away for a moment
                _log.warning("could not claim due checks: %s", type(exc).__name__)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)

    async def claim_and_run(self) -> int:
        """Claim what is due (as far as there is room) and start running it."""
        room = self._max - len(self._running)
        if room <= 0 or not self._specs:
            return 0
        now = self._clock.now()
        due = (
            select(schedules.c.check_key)
            .where(
                schedules.c.next_due_at <= now,
                or_(schedules.c.lease_expires_at.is_(None), schedules.c.lease_expires_at < now),
            )
            .order_by(schedules.c.next_due_at)
            .limit(room)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(schedules)
            .where(schedules.c.check_key.in_(due.scalar_subquery()))
            .values(
                lease_owner=self.owner,
                lease_expires_at=now + self._lease,
                fence=schedules.c.fence + 1,
            )
            .returning(schedules.c.check_key, schedules.c.next_due_at, schedules.c.fence)
        )
        async with self._db.begin() as connection:
            rows = (await connection.execute(claim)).all()
        for key, slot, fence in rows:
            if key not in self._specs or key in self._running:
                await self._release(key, fence, slot)
                continue
            task = asyncio.create_task(self._execute(key, slot, fence), name=f"floe-check-{key}")
            self._running[key] = task
            task.add_done_callback(functools.partial(self._finished, key))
            self._launched += 1
        return len(rows)

    def _finished(self, key: str, _task: asyncio.Task[None]) -> None:
        self._running.pop(key, None)
        self._wake.set()

    async def _execute(self, key: str, slot: datetime, fence: int) -> None:
        if self._on_lag is not None:
            self._on_lag(key, max(0.0, (self._clock.now() - slot).total_seconds()))
        try:
            await self._run(key, slot)
        except Exception as exc:  # a check never raises; this is a bug elsewhere
            _log.error("check %s failed to run: %s", key, type(exc).__name__)
        spec = self._specs.get(key)
        if spec is None:
            return
        # Coalesce: after a long outage or a slow run, the next slot is the first one
        # after now, not a backlog of missed ones.
        following = spec.timetable().after(max(slot, self._clock.now()))
        await self._advance(key, fence, slot, following)

    async def _advance(self, key: str, fence: int, slot: datetime, following: datetime) -> None:
        statement = (
            update(schedules)
            .where(
                schedules.c.check_key == key,
                schedules.c.lease_owner == self.owner,
                schedules.c.fence == fence,
            )
            .values(
                next_due_at=following, last_due_at=slot, lease_owner=None, lease_expires_at=None
            )
        )
        try:
            async with self._db.begin() as connection:
                result = await connection.execute(statement)
        except Exception as exc:
            _log.warning("could not advance schedule %s: %s", key, type(exc).__name__)
            return
        if not result.rowcount:
            self._lost += 1
            _log.warning("lease on %s was taken over before the check finished", key)

    async def _release(self, key: str, fence: int, slot: datetime) -> None:
        statement = (
            update(schedules)
            .where(
                schedules.c.check_key == key,
                schedules.c.lease_owner == self.owner,
                schedules.c.fence == fence,
            )
            .values(lease_owner=None, lease_expires_at=None)
        )
        async with self._db.begin() as connection:
            await connection.execute(statement)
