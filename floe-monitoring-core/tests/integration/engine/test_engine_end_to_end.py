"""The engine on real tables, a real store (SQLite and PostgreSQL) and a real webhook."""

from __future__ import annotations

import asyncio
import gc
from datetime import timedelta

from floe_monitoring.checks import CheckStatus
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.store import OutboxStatus

from .conftest import CONTRACT, World


async def test_fresh_then_stale_then_recovered(world: World) -> None:
    async with ContractMonitor(world.config, clock=world.clock) as monitor:
        assert set(monitor.contracts) == {"urn:datacontract:sales:orders"}
        first = await monitor.run_once(check_types=["freshness"])
        assert [r.status for r in first] == [CheckStatus.PASS]
        assert world.received() == []

        await world.clock.advance(timedelta(hours=2).total_seconds())
        stale = await monitor.run_once(check_types=["freshness"])
        assert [r.status for r in stale] == [CheckStatus.FAIL]
        [firing] = world.received()
        assert firing["status"] == "firing"
        assert firing["violationType"] == "freshness"
        assert firing["contractName"] == "orders"
        assert firing["domain"] == "sales"

        again = await monitor.run_once(check_types=["freshness"])
        assert [r.status for r in again] == [CheckStatus.FAIL]
        assert len(world.received()) == 1  # transitions only

        world.write_orders(world.clock.now())
        recovered = await monitor.run_once(check_types=["freshness"])
        assert [r.status for r in recovered] == [CheckStatus.PASS]
        resolved = world.received()[-1]
        assert resolved["status"] == "resolved"
        assert resolved["dedupKey"] == firing["dedupKey"]
        assert resolved["eventId"] != firing["eventId"]

        stored = await monitor.store.results(
            contract_id="urn:datacontract:sales:orders", check_type="freshness"
        )
        assert [r["status"] for r in stored] == ["pass", "fail", "fail", "pass"]
        delivered = await monitor.store.outbox.rows(status=OutboxStatus.DELIVERED)
        assert len(delivered) == 2
        [incident] = await monitor.store.incidents()
        assert incident["status"] == "resolved"
        assert incident["occurrences"] == 2


async def test_state_survives_a_restart(world: World) -> None:
    await world.clock.advance(timedelta(hours=2).total_seconds())
    async with ContractMonitor(world.config, clock=world.clock) as monitor:
        await monitor.run_once(check_types=["freshness"])
    assert len(world.received()) == 1
    async with ContractMonitor(world.config, clock=world.clock) as monitor:
        await monitor.run_once(check_types=["freshness"])  # still failing: no new firing
        assert len(world.received()) == 1
        world.write_orders(world.clock.now())
        await monitor.run_once(check_types=["freshness"])
    assert [e["status"] for e in world.received()] == ["firing", "resolved"]


async def test_undelivered_notifications_are_sent_after_a_restart(world: World) -> None:
    await world.clock.advance(timedelta(hours=2).total_seconds())
    async with ContractMonitor(world.config, clock=world.clock) as monitor:
        await monitor.run_once(check_types=["freshness"], deliver=False)
    assert world.received() == []
    async with ContractMonitor(world.config, clock=world.clock) as monitor:
        assert monitor.dispatcher is not None
        await monitor.dispatcher.drain()
    [event] = world.received()
    assert event["status"] == "firing"


async def test_contracts_are_added_changed_and_removed_while_running(world: World) -> None:
    async with ContractMonitor(world.config, clock=world.clock) as monitor:
        keys = set(monitor.scheduler.due_keys(world.clock.now() + timedelta(days=1)))
        assert any(":freshness:" in k for k in keys)
        second = CONTRACT.replace(
            "urn:datacontract:sales:orders", "urn:datacontract:sales:orders2"
        ).replace("name: orders\nversion", "name: orders2\nversion")
        (world.root / "contracts" / "orders2.yaml").write_text(second)
        (world.root / "contracts" / "broken.yaml").write_text("apiVersion: v3.1.0\nkind: [\n")
        report = await monitor.reload_contracts()
        assert report.added == ["urn:datacontract:sales:orders2"]
        assert len(report.errors) == 1
        assert "broken.yaml" in report.errors[0]
        (world.root / "contracts" / "orders2.yaml").write_text(
            second.replace("value: 1\n", "value: 3\n")
        )
        report = await monitor.reload_contracts()
        assert report.changed == ["urn:datacontract:sales:orders2"]
        (world.root / "contracts" / "orders2.yaml").unlink()
        report = await monitor.reload_contracts()
        assert report.removed == ["urn:datacontract:sales:orders2"]
        assert set(monitor.contracts) == {"urn:datacontract:sales:orders"}
        assert not [
            k
            for k in monitor.scheduler.due_keys(world.clock.now() + timedelta(days=1))
            if "orders2" in k
        ]


async def test_the_schedule_runs_checks_by_the_clock(world: World) -> None:
    # The in-process scheduler (the shared one is tested with several replicas).
    monitoring = world.config.monitoring.model_copy(update={"scheduling": "local"})
    config = world.config.model_copy(update={"monitoring": monitoring})
    async with ContractMonitor(config, clock=world.clock) as monitor:
        runner = asyncio.create_task(monitor.run_forever())
        for _ in range(24):  # two simulated hours in 5-minute steps
            await world.clock.advance(timedelta(minutes=5).total_seconds())
            for _ in range(200):
                if not monitor.scheduler.stats().in_flight and monitor._queue.empty():
                    break
                await asyncio.sleep(0.01)
        monitor.request_stop()
        await runner
    async with ContractMonitor(world.config, clock=world.clock) as monitor:
        freshness = await monitor.store.results(check_type="freshness", limit=None)
        availability = await monitor.store.results(check_type="availability", limit=None)
    assert 7 <= len(freshness) <= 9
    assert len(availability) >= 20
    # The data went stale after one hour: one incident fired, then escalated to critical
    # when a fourth violation arrived within 24 h ("more than 3"), nothing else was sent.
    received = world.received()
    assert [(e["status"], e["metadata"]["notification"], e["severity"]) for e in received] == [
        ("firing", "firing", "error"),
        ("firing", "escalated", "critical"),
    ]
    assert len({e["dedupKey"] for e in received}) == 1


async def test_the_long_lived_heap_is_frozen_while_running(world: World) -> None:
    # The contracts and checks built at start-up are moved out of the cyclic collector's
    # reach while the monitor runs (its full collections were the engine's lag spikes)
    # and handed back when it stops, so a process that starts many monitors frees them.
    gc.unfreeze()
    before = gc.get_threshold()
    async with ContractMonitor(world.config, clock=world.clock) as monitor:
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] > before[0]  # young collections far less often
        await monitor.run_once(check_types=["freshness"])
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
