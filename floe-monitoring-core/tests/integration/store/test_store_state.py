from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from floe_monitoring import ContractViolationEvent, Severity
from floe_monitoring.checks import CheckResult, CheckStatus, CheckType
from floe_monitoring.store.cycle import CycleWrite, StoredResult
from floe_monitoring.store.outbox import OutboxEntry
from floe_monitoring.store.state_store import StateStore

EventFactory = Callable[..., ContractViolationEvent]
NOW = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)


@pytest.fixture
async def store(state_url: str) -> AsyncIterator[StateStore]:
    store = StateStore(state_url)
    await store.open()
    yield store
    await store.close()


def _result(status: str = "fail", at: datetime = NOW, check_type: str = "freshness") -> CheckResult:
    return CheckResult(
        contract_id="urn:orders",
        contract_name="orders",
        contract_version="1.0.0",
        check_type=CheckType(check_type),
        element="orders.updated_at",
        status=CheckStatus(status),
        severity=Severity.ERROR if status == "fail" else None,
        measured_value=25200.0,
        threshold=21600.0,
        unit="s",
        message="orders is 7h old",
        started_at=at,
        duration_seconds=0.1,
    )


async def test_a_cycle_is_written_atomically(
    store: StateStore, event_factory: EventFactory
) -> None:
    event = event_factory()
    entry = OutboxEntry(
        channel="ops", events=(event,), created_at=NOW, deadline_at=NOW + timedelta(hours=1)
    )
    await store.write(CycleWrite(results=[StoredResult(_result())], outbox=[entry]))
    duplicate = CycleWrite(
        results=[StoredResult(_result(at=NOW + timedelta(minutes=1)))], outbox=[entry]
    )
    with pytest.raises(IntegrityError):
        await store.write(duplicate)  # the outbox row exists: the whole cycle rolls back
    assert len(await store.results()) == 1
    assert (await store.outbox.depth())[0] == 1


async def test_results_queries(store: StateStore) -> None:
    cycle = CycleWrite(
        results=[
            StoredResult(_result("pass", NOW - timedelta(hours=2))),
            StoredResult(_result("fail", NOW - timedelta(hours=1))),
            StoredResult(_result("pass", NOW, check_type="availability")),
        ]
    )
    await store.write(cycle)
    newest = await store.results(contract_id="urn:orders", limit=2)
    assert [r["status"] for r in newest] == ["pass", "fail"]
    assert newest[0]["started_at"] == NOW
    assert {r["check_type"] for r in await store.latest_results()} == {"freshness", "availability"}
    times = await store.violation_times(NOW - timedelta(days=1))
    assert times == [("urn:orders", "freshness", NOW - timedelta(hours=1))]
    samples = await store.availability_samples(
        _result().contract_id, _result().key, NOW - timedelta(days=1)
    )
    assert samples == [(NOW - timedelta(hours=2), True), (NOW - timedelta(hours=1), False)]


async def test_incident_states_round_trip(store: StateStore) -> None:
    state = {"state": "firing", "consecutive_failures": 2, "history": "ppff"}
    await store.write(
        CycleWrite(
            incident_states=[
                {"check_key": "k1", "contract_id": "c", "state": state, "updated_at": NOW}
            ]
        )
    )
    await store.write(
        CycleWrite(
            incident_states=[
                {
                    "check_key": "k1",
                    "contract_id": "c",
                    "state": {**state, "state": "ok"},
                    "updated_at": NOW,
                }
            ]
        )
    )
    assert (await store.incident_states())["k1"]["state"] == "ok"


async def test_incidents_can_be_acknowledged_and_resolved(store: StateStore) -> None:
    row = {
        "incident_id": "inc-1",
        "dedup_key": "urn:orders:freshness:*#1",
        "contract_id": "urn:orders",
        "check_key": "urn:orders:freshness:*",
        "check_type": "freshness",
        "element": None,
        "severity": "error",
        "status": "firing",
        "opened_at": NOW,
        "last_seen_at": NOW,
        "resolved_at": None,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "occurrences": 1,
        "last_message": "stale",
    }
    await store.write(CycleWrite(incidents=[row]))
    assert await store.set_incident_status("inc-1", status="acknowledged", now=NOW, by="alice")
    assert not await store.set_incident_status("nope", status="resolved", now=NOW)
    [incident] = await store.incidents(status="acknowledged")
    assert incident["acknowledged_by"] == "alice"


async def test_channel_state_survives_a_new_store(state_url: str) -> None:
    first = StateStore(state_url)
    await first.open()
    kv = first.channel_state("slack-ops")
    await kv.set("incident-1", "1700000000.000100")
    await kv.set("incident-1", "1700000000.000200")
    await kv.set("short", "x", ttl_seconds=-1)
    await first.close()
    second = StateStore(state_url)
    kv2 = second.channel_state("slack-ops")
    assert await kv2.get("incident-1") == "1700000000.000200"
    assert await kv2.get("short") is None
    assert await second.channel_state("other").get("incident-1") is None
    await kv2.delete("incident-1")
    assert await kv2.get("incident-1") is None
    await second.close()


async def test_contracts_register_update_and_retire(store: StateStore) -> None:
    doc = {"apiVersion": "v3.0.2", "kind": "DataContract", "id": "urn:orders"}
    await store.save_contract(
        contract_id="urn:orders",
        name="orders",
        version="1",
        domain="sales",
        owner="t",
        source="a.yaml",
        document=doc,
        now=NOW,
    )
    later = NOW + timedelta(hours=1)
    await store.save_contract(
        contract_id="urn:orders",
        name="orders",
        version="2",
        domain="sales",
        owner="t",
        source="a.yaml",
        document=doc,
        now=later,
    )
    [row] = await store.contracts()
    assert (row["version"], row["registered_at"], row["updated_at"]) == ("2", NOW, later)
    await store.retire_contract("urn:orders", now=later)
    assert await store.contracts() == []
    assert len(await store.contracts(active_only=False)) == 1
