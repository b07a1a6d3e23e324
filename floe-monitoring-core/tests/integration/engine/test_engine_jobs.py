"""Singleton jobs (retention, budget burn) and a cold start without contract files."""

from __future__ import annotations

from datetime import timedelta

from floe_monitoring.engine import ContractMonitor
from floe_monitoring.store import CycleWrite, StoredResult

from .conftest import World


async def test_a_cold_start_without_contract_files_restores_contracts_from_the_store(
    world: World,
) -> None:
    async with ContractMonitor(world.config, clock=world.clock) as monitor:
        assert set(monitor.contracts) == {"urn:datacontract:sales:orders"}
    for path in (world.root / "contracts").iterdir():
        path.unlink()
    async with ContractMonitor(world.config, clock=world.clock) as monitor:
        assert set(monitor.contracts) == {"urn:datacontract:sales:orders"}
        results = await monitor.run_once(check_types=["freshness"])
    assert len(results) == 1


async def test_a_burning_error_budget_pages_once(world: World) -> None:
    async with ContractMonitor(world.config, clock=world.clock) as monitor:
        await world.clock.advance(timedelta(hours=2).total_seconds())
        for _ in range(13):  # an hour of failing freshness checks, every 5 minutes
            await monitor.run_once(check_types=["freshness"])
            await world.clock.advance(300)
        burn = next(j for j in monitor.jobs._jobs if j.name == "floe-budget-burn")
        assert await monitor.jobs.run_job(burn, world.clock.now())
        assert await monitor.jobs.run_job(burn, world.clock.now())  # again: deduplicated
        assert monitor.dispatcher is not None
        await monitor.dispatcher.drain()
    burns = [e for e in world.received() if e["metadata"].get("notification") == "budget_burn"]
    assert [(e["severity"], e["metadata"]["level"]) for e in burns] == [("critical", "page")]
    assert "error budget burning" in burns[0]["message"]


async def test_retention_prunes_old_raw_results(world: World) -> None:
    async with ContractMonitor(world.config, clock=world.clock) as monitor:
        [fresh] = await monitor.run_once(check_types=["freshness"], record=False)
        old = fresh.model_copy(update={"started_at": world.clock.now() - timedelta(days=120)})
        await monitor.store.write(CycleWrite(results=[StoredResult(old), StoredResult(fresh)]))
        retention = next(j for j in monitor.jobs._jobs if j.name == "floe-retention")
        assert await monitor.jobs.run_job(retention, world.clock.now())
        kept = await monitor.store.results(limit=None)
    assert [r["started_at"] for r in kept] == [fresh.started_at]


async def test_tables_are_discovered_in_the_catalog_when_configured(world: World) -> None:
    moved = (
        (world.root / "contracts" / "orders.yaml")
        .read_text()
        .replace("namespace: sales", "namespace: legacy")
    )
    (world.root / "contracts" / "orders.yaml").write_text(moved)
    async with ContractMonitor(world.config, clock=world.clock) as monitor:
        [lost] = await monitor.run_once(check_types=["availability"], record=False)
    assert lost.status.value == "fail"  # legacy.orders does not exist
    monitoring = world.config.monitoring.model_copy(update={"discover_tables": True})
    config = world.config.model_copy(update={"monitoring": monitoring})
    async with ContractMonitor(config, clock=world.clock) as monitor:
        [found] = await monitor.run_once(check_types=["availability"], record=False)
    assert found.status.value == "pass"
    assert found.table == "default:sales.orders"


async def test_silences_stored_by_the_cli_reach_the_running_monitor(world: World) -> None:
    from floe_monitoring.cli.commands.manage import silence_row
    from floe_monitoring.routing import Silence

    await world.clock.advance(timedelta(hours=2).total_seconds())
    async with ContractMonitor(world.config, clock=world.clock) as monitor:
        silence = Silence(
            id="s-1",
            contracts=("orders",),
            starts_at=world.clock.now() - timedelta(minutes=1),
            ends_at=world.clock.now() + timedelta(hours=1),
            created_by="test",
            comment="backfill",
        )
        await monitor.store.add_silence(silence_row(silence))
        await monitor.sync_silences()
        await monitor.run_once(check_types=["freshness"])
        assert world.received() == []
        reasons = {s["reason"] for s in await monitor.store.suppressions()}
        assert reasons == {"silenced"}
        await monitor.store.remove_silence("s-1")
        await monitor.sync_silences()
        assert monitor.processor is not None
        assert monitor.processor.router.silences == ()
