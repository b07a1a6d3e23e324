"""One violation routed to several channels: each channel gets it, nothing is lost.

Found while building the kill run: routing the same event to two channels (Slack and
PagerDuty, say: the setup most teams start with) must produce one outbox row per channel.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from floe_monitoring.config import ChannelEntry, MonitorConfig, StateConfig
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.routing import RoutingRule
from floe_monitoring.store import OutboxStatus
from floe_testing_kit import FakeHTTPServer

from .conftest import Figures, MissingTables, webhook_settings, write_contracts


def _hook(url: str) -> ChannelEntry:
    return ChannelEntry.model_validate(webhook_settings(url))


async def test_a_violation_routed_to_two_channels_reaches_both(
    tmp_path: Path, state_url: str, figures: Figures
) -> None:
    write_contracts(tmp_path / "contracts", 3)
    async with FakeHTTPServer() as receiver:
        config = MonitorConfig(
            contracts=(str(tmp_path / "contracts" / "*.yaml"),),
            state=StateConfig(url=SecretStr(state_url)),
            channels={"ops": _hook(f"{receiver.url}/ops"), "audit": _hook(f"{receiver.url}/audit")},
            routing=(RoutingRule(channel="ops"), RoutingRule(channel="audit")),
            base_dir=tmp_path,
        )
        async with ContractMonitor(config, table_source=MissingTables()) as monitor:
            await monitor.run_once(check_types=["availability"])
            await monitor.run_once(check_types=["availability"])  # the next cycle is recorded too
            rows = await monitor.store.outbox.rows(limit=None)
            results = await monitor.store.results(check_type="availability", limit=None)
            incidents = await monitor.store.incidents()
            status = await monitor.status()
        paths = sorted(r.path for r in receiver.requests)
    figures.update({"rows": len(rows), "requests": len(paths), "results": len(results)})
    assert paths == ["/audit"] * 3 + ["/ops"] * 3
    assert sorted(r.channel for r in rows) == ["audit"] * 3 + ["ops"] * 3
    assert {r.status for r in rows} == {OutboxStatus.DELIVERED}
    assert len(results) == 6
    assert len(incidents) == 3
    assert status.store_reachable
    assert status.overflow == 0
