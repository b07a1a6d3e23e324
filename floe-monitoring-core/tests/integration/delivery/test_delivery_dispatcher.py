"""The dispatcher against a real state store (SQLite and PostgreSQL) and scripted channels."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from pydantic import BaseModel, SecretStr

from floe_monitoring import (
    AlertChannelPlugin,
    ChannelCapability,
    ContractViolationEvent,
    DeliveryReceipt,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from floe_monitoring.delivery.dispatcher import DeliveryOutcome, Dispatcher
from floe_monitoring.delivery.policy import RetryPolicy
from floe_monitoring.store import CycleWrite, OutboxEntry, OutboxStatus, StateStore

EventFactory = Callable[..., ContractViolationEvent]
SECRET = "tok-dispatcher-secret-77"


class _Config(BaseModel):
    token: SecretStr = SecretStr(SECRET)


class ScriptedChannel(AlertChannelPlugin[_Config]):
    """Fails as scripted, then delivers; records every attempt."""

    name: ClassVar[str] = "scripted"
    version: ClassVar[str] = "1"
    floe_api_version: ClassVar[str] = "1.0"
    config_model = _Config
    capabilities = frozenset({ChannelCapability.BATCH})

    def __init__(self, script: Sequence[Exception | float] = (), **kwargs: object) -> None:
        super().__init__(_Config(), **kwargs)  # type: ignore[arg-type]
        self.script = list(script)
        self.attempts: list[list[ContractViolationEvent]] = []
        self.delivered: list[ContractViolationEvent] = []

    async def _one(self, events: list[ContractViolationEvent]) -> DeliveryReceipt:
        self.attempts.append(events)
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, Exception):
                raise step
            await asyncio.sleep(step)
        self.delivered += events
        return self.receipt(events)

    async def send_alert(self, event: ContractViolationEvent) -> DeliveryReceipt:
        return await self._one([event])

    async def send_batch(self, events: Sequence[ContractViolationEvent]) -> DeliveryReceipt:
        return await self._one(list(events))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def store(state_url: str) -> AsyncIterator[StateStore]:
    store = StateStore(state_url)
    await store.open()
    yield store
    await store.close()


async def _enqueue(
    store: StateStore, clock: Clock, channel: str, *events: ContractViolationEvent
) -> None:
    entry = OutboxEntry(
        channel=channel,
        events=tuple(events),
        created_at=clock.now,
        deadline_at=clock.now + timedelta(hours=1),
    )
    await store.write(CycleWrite(outbox=[entry]))


def _dispatcher(
    store: StateStore, clock: Clock, outcomes: list[DeliveryOutcome], **channels: ScriptedChannel
) -> Dispatcher:
    policy = RetryPolicy(
        initial_delay=10, max_delay=60, deadline=timedelta(hours=1), send_timeout=0.5
    )
    return Dispatcher(
        store.outbox, channels, policy=policy, clock=clock, on_outcome=outcomes.append
    )


async def test_a_notification_is_delivered_once(
    store: StateStore, event_factory: EventFactory
) -> None:
    clock, outcomes = Clock(), list[DeliveryOutcome]()
    channel = ScriptedChannel(instance_name="ops")
    event = event_factory()
    await _enqueue(store, clock, "ops", event)
    await _dispatcher(store, clock, outcomes, ops=channel).drain()
    assert channel.delivered == [event]
    [row] = await store.outbox.rows(status=OutboxStatus.DELIVERED)
    assert row.attempts == 1
    assert [o.outcome for o in outcomes] == ["delivered"]


async def test_retryable_failures_back_off_honouring_retry_after(
    store: StateStore, event_factory: EventFactory
) -> None:
    clock, outcomes = Clock(), list[DeliveryOutcome]()
    channel = ScriptedChannel(
        [RetryableDeliveryError("HTTP 429 rate limited", retry_after=300, status_code=429)]
    )
    event = event_factory()
    await _enqueue(store, clock, "ops", event)
    dispatcher = _dispatcher(store, clock, outcomes, ops=channel)
    await dispatcher.drain()
    [row] = await store.outbox.rows()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.next_attempt_at >= clock.now + timedelta(seconds=300)
    assert row.last_error == "HTTP 429 rate limited"
    clock.now += timedelta(seconds=299)
    await dispatcher.drain()
    assert len(channel.attempts) == 1  # not due yet
    clock.now += timedelta(seconds=2)
    await dispatcher.drain()
    assert channel.delivered == [event]
    assert [a[0].event_id for a in channel.attempts] == [
        event.event_id,
        event.event_id,
    ]  # same event_id on retry


async def test_permanent_failures_dead_letter_at_once(
    store: StateStore, event_factory: EventFactory
) -> None:
    clock, outcomes = Clock(), list[DeliveryOutcome]()
    channel = ScriptedChannel(
        [PermanentDeliveryError("HTTP 400 rejected: invalid_payload", status_code=400)]
    )
    await _enqueue(store, clock, "ops", event_factory())
    await _dispatcher(store, clock, outcomes, ops=channel).drain()
    [row] = await store.outbox.rows(status=OutboxStatus.DEAD)
    assert row.last_error == "HTTP 400 rejected: invalid_payload"
    assert row.last_reason == "client_error"
    assert len(channel.attempts) == 1


async def test_retries_stop_at_the_deadline(store: StateStore, event_factory: EventFactory) -> None:
    clock, outcomes = Clock(), list[DeliveryOutcome]()
    channel = ScriptedChannel(
        [RetryableDeliveryError("HTTP 503 server error", status_code=503)] * 100
    )
    await _enqueue(store, clock, "ops", event_factory())
    dispatcher = _dispatcher(store, clock, outcomes, ops=channel)
    for _ in range(200):
        await dispatcher.drain()
        clock.now += timedelta(seconds=61)
    [row] = await store.outbox.rows(status=OutboxStatus.DEAD)
    assert "deadline passed" in (row.last_error or "")
    # One hour at 5-60 s apart: bounded, no storm.
    assert 50 <= len(channel.attempts) <= 130


async def test_a_hanging_channel_does_not_delay_another(
    store: StateStore, event_factory: EventFactory
) -> None:
    clock, outcomes = Clock(), list[DeliveryOutcome]()
    hanging = ScriptedChannel([3600.0])
    quick = ScriptedChannel()
    await _enqueue(store, clock, "slow", event_factory())
    await _enqueue(store, clock, "fast", event_factory())
    dispatcher = _dispatcher(store, clock, outcomes, slow=hanging, fast=quick)
    await dispatcher.claim_and_send()
    await asyncio.sleep(0.1)
    assert len(quick.delivered) == 1  # while the other send still hangs
    assert hanging.delivered == []
    await dispatcher.drain()
    [row] = await store.outbox.rows(channel="slow")
    assert row.last_reason == "timeout"
    assert row.status == OutboxStatus.PENDING


async def test_an_unexpected_exception_is_kept_for_retry_without_the_secret(
    store: StateStore, event_factory: EventFactory
) -> None:
    clock, outcomes = Clock(), list[DeliveryOutcome]()
    channel = ScriptedChannel([KeyError(f"token {SECRET} missing")])
    await _enqueue(store, clock, "ops", event_factory())
    await _dispatcher(store, clock, outcomes, ops=channel).drain()
    [row] = await store.outbox.rows()
    assert row.status == OutboxStatus.PENDING
    assert row.last_reason == "internal"
    assert "KeyError" in (row.last_error or "")
    assert SECRET not in (row.last_error or "")


async def test_rows_for_an_unconfigured_channel_are_dead_lettered_with_the_reason(
    store: StateStore, event_factory: EventFactory
) -> None:
    clock, outcomes = Clock(), list[DeliveryOutcome]()
    await _enqueue(store, clock, "removed", event_factory())
    await _dispatcher(store, clock, outcomes, ops=ScriptedChannel()).drain()
    [row] = await store.outbox.rows(status=OutboxStatus.DEAD)
    assert row.last_error == "channel 'removed' is not configured"


async def test_an_unhealthy_channel_keeps_its_rows_waiting(
    store: StateStore, event_factory: EventFactory
) -> None:
    clock, outcomes = Clock(), list[DeliveryOutcome]()
    channel = ScriptedChannel()
    await _enqueue(store, clock, "ops", event_factory())
    dispatcher = _dispatcher(store, clock, outcomes, ops=channel)
    dispatcher.set_health("ops", False)
    await dispatcher.drain()
    assert channel.attempts == []
    dispatcher.set_health("ops", True)
    await dispatcher.drain()
    assert len(channel.delivered) == 1


async def test_batches_go_through_send_batch(
    store: StateStore, event_factory: EventFactory
) -> None:
    clock, outcomes = Clock(), list[DeliveryOutcome]()
    channel = ScriptedChannel()
    events = (event_factory(), event_factory(violation_type="quality"))
    await _enqueue(store, clock, "ops", *events)
    await _dispatcher(store, clock, outcomes, ops=channel).drain()
    assert channel.attempts == [list(events)]


async def test_the_background_loop_delivers_and_stops(
    store: StateStore, event_factory: EventFactory
) -> None:
    clock, outcomes = Clock(), list[DeliveryOutcome]()
    channel = ScriptedChannel()
    dispatcher = _dispatcher(store, clock, outcomes, ops=channel)
    await dispatcher.start()
    await _enqueue(store, clock, "ops", event_factory())
    dispatcher.wake()
    for _ in range(100):
        if channel.delivered:
            break
        await asyncio.sleep(0.02)
    await dispatcher.stop(grace=1)
    assert len(channel.delivered) == 1
