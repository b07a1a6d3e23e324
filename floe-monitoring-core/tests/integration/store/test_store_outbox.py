from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from floe_monitoring import ContractViolationEvent
from floe_monitoring.store.cycle import CycleWrite
from floe_monitoring.store.outbox import OutboxEntry, OutboxStatus
from floe_monitoring.store.state_store import StateStore

EventFactory = Callable[..., ContractViolationEvent]
NOW = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)


@pytest.fixture
async def store(state_url: str) -> AsyncIterator[StateStore]:
    store = StateStore(state_url)
    await store.open()
    yield store
    await store.close()


def _entry(event: ContractViolationEvent, channel: str = "ops", at: datetime = NOW) -> OutboxEntry:
    return OutboxEntry(
        channel=channel, events=(event,), created_at=at, deadline_at=at + timedelta(hours=24)
    )


async def test_claim_leases_rows_to_one_owner(
    store: StateStore, event_factory: EventFactory
) -> None:
    events = [event_factory() for _ in range(3)]
    await store.write(CycleWrite(outbox=[_entry(e) for e in events]))
    first = await store.outbox.claim(owner="a", now=NOW, lease=timedelta(seconds=30), limit=2)
    second = await store.outbox.claim(owner="b", now=NOW, lease=timedelta(seconds=30), limit=10)
    assert len(first) == 2
    assert len(second) == 1
    assert {r.delivery_id for r in first}.isdisjoint({r.delivery_id for r in second})
    assert await store.outbox.claim(owner="c", now=NOW, lease=timedelta(seconds=30), limit=10) == []
    assert first[0].events[0].event_id in {e.event_id for e in events}


async def test_an_expired_lease_is_taken_over_and_the_old_owner_is_fenced(
    store: StateStore, event_factory: EventFactory
) -> None:
    await store.write(CycleWrite(outbox=[_entry(event_factory())]))
    [row] = await store.outbox.claim(owner="a", now=NOW, lease=timedelta(seconds=30), limit=1)
    later = NOW + timedelta(seconds=31)
    [taken] = await store.outbox.claim(owner="b", now=later, lease=timedelta(seconds=30), limit=1)
    assert taken.delivery_id == row.delivery_id
    assert not await store.outbox.delivered(
        row.delivery_id, owner="a", now=later, attempts=1, receipt={}
    )
    assert await store.outbox.delivered(
        row.delivery_id, owner="b", now=later, attempts=1, receipt={"ok": True}
    )
    [delivered] = await store.outbox.rows(status=OutboxStatus.DELIVERED)
    assert delivered.delivered_at == later


async def test_retry_later_keeps_the_row_pending_until_due(
    store: StateStore, event_factory: EventFactory
) -> None:
    await store.write(CycleWrite(outbox=[_entry(event_factory())]))
    [row] = await store.outbox.claim(owner="a", now=NOW, lease=timedelta(seconds=30), limit=1)
    await store.outbox.retry_later(
        row.delivery_id,
        owner="a",
        attempts=1,
        next_attempt_at=NOW + timedelta(seconds=60),
        error="HTTP 503 server error",
        reason="server_error",
        status_code=503,
    )
    assert (
        await store.outbox.claim(
            owner="a", now=NOW + timedelta(seconds=59), lease=timedelta(seconds=30), limit=1
        )
        == []
    )
    [again] = await store.outbox.claim(
        owner="a", now=NOW + timedelta(seconds=60), lease=timedelta(seconds=30), limit=1
    )
    assert again.attempts == 1
    assert again.last_error == "HTTP 503 server error"
    assert await store.outbox.depth() == (1, NOW)


async def test_dead_letters_can_be_replayed(store: StateStore, event_factory: EventFactory) -> None:
    await store.write(CycleWrite(outbox=[_entry(event_factory()), _entry(event_factory())]))
    rows = await store.outbox.claim(owner="a", now=NOW, lease=timedelta(seconds=30), limit=2)
    for row in rows:
        await store.outbox.dead(
            row.delivery_id,
            owner="a",
            now=NOW,
            attempts=3,
            error="HTTP 400 rejected",
            reason="client_error",
            status_code=400,
        )
    assert await store.outbox.count(OutboxStatus.DEAD) == 2
    assert (
        await store.outbox.replay(
            now=NOW, deadline=timedelta(hours=1), delivery_id=rows[0].delivery_id
        )
        == 1
    )
    assert await store.outbox.replay(now=NOW, deadline=timedelta(hours=1)) == 1
    claimed = await store.outbox.claim(owner="a", now=NOW, lease=timedelta(seconds=30), limit=5)
    assert len(claimed) == 2
    assert all(r.attempts == 0 for r in claimed)


async def test_a_batch_is_one_row_with_every_event(
    store: StateStore, event_factory: EventFactory
) -> None:
    events = (event_factory(), event_factory(violation_type="quality", severity="critical"))
    entry = OutboxEntry(
        channel="mail", events=events, created_at=NOW, deadline_at=NOW + timedelta(hours=1)
    )
    await store.write(CycleWrite(outbox=[entry]))
    [row] = await store.outbox.claim(owner="a", now=NOW, lease=timedelta(seconds=5), limit=5)
    assert row.events == events
    assert row.severity == "critical"
    assert entry.delivery_id == row.delivery_id  # stable for the same batch


async def test_recent_routing_history(store: StateStore, event_factory: EventFactory) -> None:
    await store.write(
        CycleWrite(
            outbox=[_entry(event_factory(), at=NOW - timedelta(hours=2)), _entry(event_factory())]
        )
    )
    recent = await store.outbox.recent(NOW - timedelta(minutes=30))
    assert len(recent) == 1
    assert recent[0]["channel"] == "ops"
    assert recent[0]["dedup_key"] == "urn:contract:orders:freshness:orders.updated_at"
