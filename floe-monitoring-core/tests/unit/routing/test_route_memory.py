"""RouterMemory: the index of recent sends, and its rebuild from persisted history."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from floe_monitoring import ChannelCapability, ContractViolationEvent, EventStatus, Severity
from floe_monitoring.routing import (
    AlertRouter,
    NotificationRecord,
    RouterMemory,
    RoutingDecision,
    RoutingRule,
    contract_key,
)

Make = Callable[..., ContractViolationEvent]
Caps = Mapping[str, frozenset[ChannelCapability]]
T0 = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
KEY = "urn:contract:orders:freshness:orders.updated_at"


def test_record_and_queries(make: Make) -> None:
    memory = RouterMemory()
    event = make()
    memory.record("email", event, T0)
    memory.record("slack", event, T0)
    assert memory.last_sent("email", KEY, EventStatus.FIRING, Severity.ERROR) == T0
    assert memory.last_sent("email", KEY, EventStatus.FIRING, Severity.CRITICAL) is None
    assert memory.last_sent("pagerduty", KEY, EventStatus.FIRING, Severity.ERROR) is None
    latest = memory.latest("slack", KEY)
    assert latest is not None
    assert latest.event_id == event.event_id
    assert memory.is_open("email", KEY)
    # Two channels, one notification.
    assert memory.count_for_contract("urn:contract:orders", T0 - timedelta(minutes=1)) == 1
    # "since" is exclusive: a send exactly at `since` is outside the window.
    assert memory.count_for_contract("urn:contract:orders", T0) == 0
    assert len(memory) == 2


def test_resolved_closes_the_incident(make: Make) -> None:
    memory = RouterMemory()
    memory.record("email", make(), T0)
    memory.record("email", make(status="resolved"), T0 + timedelta(minutes=1))
    assert not memory.is_open("email", KEY)
    latest = memory.latest("email", KEY)
    assert latest is not None
    assert latest.status is EventStatus.RESOLVED


def test_prune_forgets_old_sends_but_keeps_open_incidents(make: Make) -> None:
    memory = RouterMemory()
    memory.record("email", make(), T0)
    memory.record("email", make(element="x", status="resolved"), T0)
    memory.prune(T0 + timedelta(hours=2))
    assert memory.latest("email", KEY) is None
    assert memory.last_sent("email", KEY, EventStatus.FIRING, Severity.ERROR) is None
    assert memory.count_for_contract("urn:contract:orders", T0 - timedelta(days=1)) == 0
    assert memory.is_open("email", KEY)
    assert len(memory) == 1


def test_naive_times_are_refused(make: Make) -> None:
    memory = RouterMemory()
    naive = datetime(2026, 1, 31, 10, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        memory.record("email", make(), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        memory.prune(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        memory.count_for_contract("orders", naive)


def test_contract_key_prefers_the_id(make: Make) -> None:
    assert contract_key(make()) == "urn:contract:orders"
    assert contract_key(make(contract_id=None)) == "orders"


def store_row(**fields: Any) -> dict[str, Any]:
    # The shape of the store's `notifications` rows (`OutboxRepository.recent`), plus a
    # delivery column routing must ignore.
    row: dict[str, Any] = {
        "channel": "email",
        "dedup_key": KEY,
        "event_status": "firing",
        "severity": "error",
        "contract_id": "urn:contract:orders",
        "created_at": T0,
        "status": "delivered",
        "attempts": 1,
    }
    row.update(fields)
    return row


def test_from_history_reads_store_rows_in_any_order() -> None:
    rows = [
        store_row(event_status="resolved", created_at=T0 + timedelta(minutes=10)),
        store_row(),
        store_row(channel="slack"),
    ]
    memory = RouterMemory.from_history(rows)
    latest = memory.latest("email", KEY)
    assert latest is not None
    assert latest.status is EventStatus.RESOLVED
    assert not memory.is_open("email", KEY)
    assert memory.is_open("slack", KEY)
    # Rows without event ids are told apart by key, status, severity and time:
    # the firing to two channels is one notification, the resolve another.
    assert memory.count_for_contract("urn:contract:orders", T0 - timedelta(minutes=1)) == 2


def test_from_history_reads_records_and_row_objects(make: Make) -> None:
    record = NotificationRecord.of("email", make(), T0)
    row = SimpleNamespace(**store_row(channel="slack"))
    memory = RouterMemory.from_history([record, row])
    assert memory.is_open("email", KEY)
    assert memory.is_open("slack", KEY)


def test_from_history_expands_batch_rows_into_their_events(make: Make) -> None:
    a, b = make(element="orders.a"), make(element="orders.b", severity="critical")
    batch = store_row(
        channel="slack",
        dedup_key=a.dedup_key,
        severity="critical",
        events=[a.model_dump(mode="json"), b],
    )
    memory = RouterMemory.from_history([batch])
    assert memory.last_sent("slack", a.dedup_key, EventStatus.FIRING, Severity.ERROR) == T0
    assert memory.last_sent("slack", b.dedup_key, EventStatus.FIRING, Severity.CRITICAL) == T0
    assert memory.count_for_contract("urn:contract:orders", T0 - timedelta(minutes=1)) == 2


def test_from_history_refuses_incomplete_rows() -> None:
    with pytest.raises(ValidationError, match="created_at"):
        RouterMemory.from_history([{"channel": "email", "dedup_key": "k"}])


def summary(decision: RoutingDecision) -> list[tuple[str, str | None, str]]:
    # Event identity is the dedup key plus status and severity here (events are rebuilt).
    out: list[tuple[str, str | None, str]] = [
        (f"{e.dedup_key}/{e.status}/{e.severity}", d.channel, "sent")
        for d in decision.deliveries
        for e in d.events
    ]
    out += [
        (f"{s.event.dedup_key}/{s.event.status}/{s.event.severity}", s.channel, s.reason.value)
        for s in decision.suppressions
    ]
    return sorted(out, key=str)


def test_memory_rebuilt_from_history_decides_like_the_live_memory(
    make: Make, capabilities: Caps
) -> None:
    router = AlertRouter(
        [RoutingRule(channel="email"), RoutingRule(channel="slack", min_severity=Severity.WARNING)],
        channel_capabilities=capabilities,
    )
    live = RouterMemory()
    stored: list[NotificationRecord] = []
    severities = ["warning", "error", "error", "critical", "error"]

    def cycle(minute: int) -> list[ContractViolationEvent]:
        status = "resolved" if minute % 35 == 30 else "firing"
        return [
            make(
                element=f"orders.c{minute % 3}", severity=severities[minute // 5 % 5], status=status
            ),
            make(element=f"orders.x{minute}", severity="info"),
        ]

    for minute in range(0, 100, 5):
        stored += router.route(
            cycle(minute), now=T0 + timedelta(minutes=minute), memory=live
        ).records

    # Restart: what the store persisted, as rows without event ids, in a shuffled order.
    rows = [r.model_dump(exclude={"event_id"}) for r in reversed(stored)]
    for row in rows:
        row["event_status"] = row.pop("status")
        row["contract_id"] = row.pop("contract_key")
    rebuilt = RouterMemory.from_history(rows)

    reasons: set[str] = set()
    for minute in range(100, 220, 5):
        now = T0 + timedelta(minutes=minute)
        events = cycle(minute)
        expected = router.route(events, now=now, memory=live)
        actual = router.route(events, now=now, memory=rebuilt)
        assert summary(actual) == summary(expected), f"minute {minute}"
        reasons |= {s.reason.value for s in expected.suppressions}
        reasons |= {"sent"} if expected.deliveries else set()
    # The comparison covered dedup and the rate limit, not only plain sends.
    assert {"sent", "dedup", "rate_limited"} <= reasons
