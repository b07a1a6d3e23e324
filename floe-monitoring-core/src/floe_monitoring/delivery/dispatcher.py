"""The dispatcher: claims due outbox rows and sends them, one channel never holding up another.

Each channel has its own worker pool and token bucket; rows are claimed per channel only
as far as that channel has free slots, so a slow or hanging destination keeps its own
rows leased and nobody else's. Outcomes: delivered, retried later (exponential backoff
with jitter, `Retry-After` honoured), or dead-lettered (permanent error, or the
per-notification deadline passed) with the last error kept for `deliveries replay`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pluggy

from floe_monitoring.channels.hooks import notify_delivery_outcome
from floe_monitoring.delivery.pacing import TokenBucket
from floe_monitoring.delivery.policy import RetryPolicy
from floe_monitoring.errors import (
    DeliveryError,
    FailureReason,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from floe_monitoring.sdk.event import now_utc
from floe_monitoring.sdk.plugin import AlertChannelPlugin, DeliveryReceipt
from floe_monitoring.store.outbox import DeliveredMark, OutboxRepository, OutboxRow

if TYPE_CHECKING:
    from floe_monitoring.telemetry import Telemetry

__all__ = ["DeliveryOutcome", "Dispatcher"]

_log = logging.getLogger("floe_monitoring.delivery")

Channel = AlertChannelPlugin[Any]


@dataclass(frozen=True)
class DeliveryOutcome:
    """What happened to one attempt (for metrics, logs and tests)."""

    channel: str
    delivery_id: str
    outcome: str  # delivered | retry | dead | waiting
    attempts: int
    reason: str | None = None
    error: str | None = None
    seconds: float = 0.0
    created_at: datetime | None = None


class _ChannelLane:
    """One channel's worker slots, pacing and health."""

    def __init__(self, channel: Channel, concurrency: int) -> None:
        self.channel = channel
        self.slots = asyncio.Semaphore(concurrency)
        self.concurrency = concurrency
        #: Claim when this many slots are free (or none is busy), not for every free slot.
        self.claim_batch = max(1, concurrency // 2)
        self.in_flight = 0
        self.bucket = TokenBucket(channel.rate_limit) if channel.rate_limit else None
        self.healthy = True


class Dispatcher:
    """Sends what the outbox holds.

    Args:
        outbox: The outbox repository.
        channels: Configured channel instances by name (started by the caller).
        policy: Retry policy.
        clock: Returns the current aware UTC time.
        owner: Lease owner name (unique per process).
        concurrency: In-flight sends per channel (default: the policy's ``max_in_flight``).
        hooks: pluggy manager whose `floe_delivery_outcome` observers are told.
        on_outcome: Callback for every attempt's outcome (metrics).
        poll_interval: Seconds between claims when nothing wakes the dispatcher.
        telemetry: Opens a span per delivery attempt (a child of the check's trace).
    """

    def __init__(
        self,
        outbox: OutboxRepository,
        channels: Mapping[str, Channel],
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] = now_utc,
        owner: str | None = None,
        concurrency: int | None = None,
        hooks: pluggy.PluginManager | None = None,
        on_outcome: Callable[[DeliveryOutcome], None] | None = None,
        poll_interval: float = 1.0,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._outbox = outbox
        self.policy = policy or RetryPolicy()
        concurrency = concurrency or self.policy.max_in_flight
        self._lanes = {name: _ChannelLane(ch, concurrency) for name, ch in channels.items()}
        self._clock = clock
        self.owner = owner or f"dispatcher-{uuid.uuid4().hex[:12]}"
        self._hooks = hooks
        self._on_outcome = on_outcome
        self._telemetry = telemetry
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._orphans_checked = -float("inf")
        self._marks: list[tuple[DeliveredMark, asyncio.Future[bool]]] = []
        self._recorder: asyncio.Task[None] | None = None

    @property
    def lease(self) -> timedelta:
        """How long a claimed row stays ours: one send plus a margin."""
        return timedelta(seconds=self.policy.send_timeout + self.policy.lease_margin)

    def set_health(self, channel: str, healthy: bool) -> None:
        """Record a channel's health; rows of an unhealthy channel wait."""
        if channel in self._lanes:
            self._lanes[channel].healthy = healthy

    def wake(self) -> None:
        """New rows were written: claim now instead of at the next poll."""
        self._wake.set()

    @property
    def in_flight(self) -> int:
        """Sends under way."""
        return sum(lane.in_flight for lane in self._lanes.values())

    # -- running ---------------------------------------------------------------------

    async def start(self) -> None:
        """Run the claim loop in the background."""
        if self._loop_task is None:
            self._stopping = False
            self._loop_task = asyncio.create_task(self._run(), name="floe-dispatcher")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop claiming, let in-flight sends finish for up to `grace` seconds, then cancel.

        Cancelled sends are not lost: their rows stay pending and their leases expire.
        """
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before claiming, so a wake-up that arrives while we claim (new rows,
            # or a send that freed a slot) is not lost and we claim again at once.
            self._wake.clear()
            try:
                # Orphaned rows appear only after a configuration change: look for them
                # once per poll interval, not on every wake-up (each look is a transaction).
                due = time.monotonic() - self._orphans_checked >= self._poll_interval
                await self.claim_and_send(orphans=due)
            except Exception as exc:  # the database may be down: keep trying
                _log.warning("dispatcher could not claim notifications: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)

    async def claim_and_send(self, *, orphans: bool = True) -> int:
        """Claim what each channel has room for and start sending it; returns how many.

        Args:
            orphans: Also dead-letter rows of channels that are no longer configured.
        """
        started = 0
        now = self._clock()
        for name, lane in self._lanes.items():
            room = lane.concurrency - lane.in_flight
            if room <= 0 or not lane.healthy:
                continue
            if lane.in_flight and room < lane.claim_batch:
                continue  # claim in batches: every claim is a transaction of its own
            rows = await self._outbox.claim(
                owner=self.owner, now=now, lease=self.lease, limit=room, channels=[name]
            )
            for row in rows:
                lane.in_flight += 1
                task = asyncio.create_task(
                    self._send(lane, row), name=f"floe-send-{row.delivery_id}"
                )
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                started += 1
        if not orphans:
            return started
        self._orphans_checked = time.monotonic()
        # Rows for channels no longer configured: dead letters, replayable once fixed.
        orphaned = await self._outbox.claim(
            owner=self.owner,
            now=now,
            lease=self.lease,
            limit=50,
            exclude_channels=list(self._lanes),
        )
        for row in orphaned:
            message = f"channel '{row.channel}' is not configured"
            await self._finish_dead(
                row, row.attempts, message, FailureReason.UNSUPPORTED, None, 0.0
            )
        return started

    async def drain(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Send everything due now and wait for it (for `run_once` and tests)."""
        async with asyncio.timeout(timeout):
            while True:
                started = await self.claim_and_send()
                if self._tasks:
                    await asyncio.gather(*list(self._tasks), return_exceptions=True)
                elif started == 0:
                    return

    # -- one send --------------------------------------------------------------------

    async def _send(self, lane: _ChannelLane, row: OutboxRow) -> None:
        try:
            await self._send_and_record(lane, row)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the outcome could not be recorded (database down)
            # The row keeps its lease until it expires and is then sent again: at least
            # once, never lost.
            _log.error(
                "could not record the outcome of delivery %s: %s",
                row.delivery_id,
                type(exc).__name__,
            )
        finally:
            lane.in_flight -= 1
            # A slot is free: claim the next due row now, not at the next poll.
            self._wake.set()

    async def _send_and_record(self, lane: _ChannelLane, row: OutboxRow) -> None:
        began = time.monotonic()
        try:
            async with lane.slots:
                if lane.bucket is not None:
                    await lane.bucket.acquire()
                if self._telemetry is None:
                    receipt = await self._attempt(lane.channel, row)
                else:
                    with self._telemetry.delivery_span(
                        row.channel,
                        row.events,
                        delivery_id=row.delivery_id,
                        attempt=row.attempts + 1,
                    ):
                        receipt = await self._attempt(lane.channel, row)
            await self._succeed(row, receipt, time.monotonic() - began)
        except DeliveryError as error:
            await self._fail(lane.channel, row, error, time.monotonic() - began)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a channel bug: keep the row, say what happened
            bug = RetryableDeliveryError(
                f"channel raised {type(exc).__name__}: {lane.channel.redact(str(exc))[:300]}",
                reason=FailureReason.INTERNAL,
            )
            await self._fail(lane.channel, row, bug, time.monotonic() - began)

    async def _attempt(self, channel: Channel, row: OutboxRow) -> DeliveryReceipt:
        try:
            async with asyncio.timeout(self.policy.send_timeout):
                if len(row.events) == 1:
                    return await channel.send_alert(row.events[0])
                return await channel.send_batch(list(row.events))
        except TimeoutError:
            raise RetryableDeliveryError(
                f"no answer within the {self.policy.send_timeout:g}s send deadline",
                reason=FailureReason.TIMEOUT,
            ) from None

    async def _succeed(self, row: OutboxRow, receipt: DeliveryReceipt, seconds: float) -> None:
        attempts = row.attempts + 1
        mark = DeliveredMark(
            row.delivery_id, self._clock(), attempts, receipt.model_dump(mode="json")
        )
        kept = await self._record_delivered(mark)
        if not kept:
            _log.warning("delivery %s succeeded after its lease was taken over", row.delivery_id)
        self._report(row, "delivered", attempts, None, None, seconds, receipt=receipt)

    async def _record_delivered(self, mark: DeliveredMark) -> bool:
        """Record a successful send; sends finishing together share one transaction.

        One transaction per delivered row made the database the limit of delivery
        throughput (every commit hands the SQLite writer over, every one is a round
        trip): the marks that arrive while a write is under way are written by the
        next one, together. Each row is still fenced on its own lease.
        """
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._marks.append((mark, future))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_marks(), name="floe-delivered")
        return await future

    async def _record_marks(self) -> None:
        while self._marks:
            await asyncio.sleep(0)  # let the sends finishing in this turn join the batch
            batch, self._marks = self._marks, []
            try:
                kept = await self._outbox.delivered_many(
                    [mark for mark, _ in batch], owner=self.owner
                )
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, future), flag in zip(batch, kept, strict=True):
                if not future.done():
                    future.set_result(flag)

    async def _fail(
        self, channel: Channel, row: OutboxRow, error: DeliveryError, seconds: float
    ) -> None:
        attempts = row.attempts + 1
        message = channel.redact(str(error))
        now = self._clock()
        if isinstance(error, PermanentDeliveryError) or not isinstance(
            error, RetryableDeliveryError
        ):
            await self._finish_dead(
                row, attempts, message, error.reason, error.status_code, seconds, error
            )
            return
        next_at = now + timedelta(seconds=self.policy.delay(attempts, error.retry_after))
        if next_at > row.deadline_at:
            reason = f"gave up after {attempts} attempts (deadline passed): {message}"
            await self._finish_dead(
                row, attempts, reason, error.reason, error.status_code, seconds, error
            )
            return
        await self._outbox.retry_later(
            row.delivery_id,
            owner=self.owner,
            attempts=attempts,
            next_attempt_at=next_at,
            error=message,
            reason=error.reason.value,
            status_code=error.status_code,
        )
        _log.info(
            "delivery %s to %s failed (%s), retry at %s",
            row.delivery_id,
            row.channel,
            message,
            next_at.isoformat(),
        )
        self._report(row, "retry", attempts, error.reason.value, message, seconds, error=error)

    async def _finish_dead(
        self,
        row: OutboxRow,
        attempts: int,
        message: str,
        reason: FailureReason,
        status_code: int | None,
        seconds: float,
        error: DeliveryError | None = None,
    ) -> None:
        await self._outbox.dead(
            row.delivery_id,
            owner=self.owner,
            now=self._clock(),
            attempts=attempts,
            error=message,
            reason=reason.value,
            status_code=status_code,
        )
        _log.error("delivery %s to %s dead-lettered: %s", row.delivery_id, row.channel, message)
        self._report(row, "dead", attempts, reason.value, message, seconds, error=error)

    def _report(
        self,
        row: OutboxRow,
        outcome: str,
        attempts: int,
        reason: str | None,
        message: str | None,
        seconds: float,
        *,
        receipt: DeliveryReceipt | None = None,
        error: DeliveryError | None = None,
    ) -> None:
        if self._on_outcome is not None:
            self._on_outcome(
                DeliveryOutcome(
                    row.channel,
                    row.delivery_id,
                    outcome,
                    attempts,
                    reason,
                    message,
                    seconds,
                    row.created_at,
                )
            )
        if self._hooks is not None:
            for event in row.events:
                notify_delivery_outcome(self._hooks, event, row.channel, receipt, error)
