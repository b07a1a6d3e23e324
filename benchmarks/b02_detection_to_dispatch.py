"""Scenario 2: detection to dispatch.

rate x interval contracts with one check each (freshness, 1 h SLA), so that `rate`
checks run per second. The monitor runs as the service does (scheduler, durable outbox
on SQLite, dispatcher, the webhook channel); the receiver is a FakeHTTPServer in its own
process. For one interval every check passes (the start-up pass, whose burst of slots
missed during registration is coalesced, is not measured). Then the table's data turns
two hours old: during the next interval each check fails once and fires its incident,
`rate` violations per second. For every notification: from the moment its check
completed (the engine's `record_result` hook, right after the check returns) to the
moment the receiver had read the whole request (its `time.monotonic()`, one clock for
the whole machine on Linux).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from _common import WEBHOOK_SECRET, Figure, Receiver, main, percentile, run_main
from _world import (
    InstantTableSource,
    aged,
    load_table,
    make_lake,
    state_url,
    write_contracts,
)

SIZES: dict[str, dict[str, float]] = {
    # rate x interval contracts; each fires once, on its first run after the data aged.
    "full": {"rate": 100.0, "interval": 25.0},
    "tiny": {"rate": 10.0, "interval": 3.0},
}


async def _measure(workdir: Path, size: dict[str, float]) -> dict[str, Any]:
    from pydantic import SecretStr

    from floe_monitoring.config import (
        ChannelEntry,
        MonitorConfig,
        MonitoringConfig,
        StateConfig,
    )
    from floe_monitoring.contracts.overrides import ContractOverrides
    from floe_monitoring.engine import ContractMonitor
    from floe_monitoring.routing import RoutingRule
    from floe_monitoring.telemetry import Telemetry

    completed: dict[str, float] = {}

    class Stamping(Telemetry):
        """Notes when each failing check completed (monotonic), as the engine reports it."""

        def record_result(self, result: Any) -> None:
            if result.is_violation:
                completed.setdefault(result.key, time.monotonic())
            super().record_result(result)

    rate, interval = size["rate"], size["interval"]
    contracts = int(rate * interval)
    make_lake(workdir / "lake", ["events"])
    fresh = load_table(workdir / "lake")
    source = InstantTableSource(fresh)
    write_contracts(workdir / "contracts", contracts, latency=(1, "h"))
    with Receiver() as receiver:
        config = MonitorConfig(
            contracts=("contracts/*.yaml",),
            state=StateConfig(url=SecretStr(state_url(workdir))),
            channels={
                "hook": ChannelEntry.model_validate(
                    {
                        "type": "webhook",
                        "url": f"{receiver.url}/events",
                        "mode": "json",
                        "secret": WEBHOOK_SECRET,
                        "allow_insecure_http": True,
                    }
                )
            },
            routing=(RoutingRule(channel="hook"),),
            monitoring=MonitoringConfig(
                intervals={"freshness": interval},  # type: ignore[dict-item]
                scheduling="local",
                rate_limit=None,
            ),
            overrides={
                "*": ContractOverrides(
                    disabled_checks=frozenset({"schema_drift", "quality", "availability"})
                )
            },
            base_dir=workdir,
        )
        monitor = ContractMonitor(config, table_source=source, telemetry=Stamping())
        await monitor.start()
        stop = asyncio.Event()
        runner = asyncio.create_task(monitor.run_forever(stop))
        await asyncio.sleep(interval * 1.2)  # the start-up pass, every check passes
        passed = len(completed)
        source.table = aged(fresh, hours=2)
        began = time.monotonic()
        await asyncio.sleep(interval + 3.0)  # every check fails once; the last deliveries
        stop.set()
        await runner
        await monitor.stop(grace=5.0)
        arrivals = receiver.collect()
    # Leave out the edges of the interval (a slot in flight while the data aged).
    first, last = began + 0.5, began + interval - 0.5
    latencies = []
    for received_at, _path, body in arrivals:
        key = json.loads(body)["metadata"]["check_key"]
        done = completed.get(key)
        if done is not None and first <= done < last:
            latencies.append(received_at - done)
    in_window = sum(1 for done in completed.values() if first <= done < last)
    return {
        "contracts": contracts,
        "failures_before_aging": passed,
        "violations_per_s": in_window / (last - first),
        "notifications_measured": len(latencies),
        "delivered_share_pct": len(latencies) / in_window * 100 if in_window else None,
        "p50_ms": (percentile(latencies, 50) or 0.0) * 1000,
        "p99_ms": (percentile(latencies, 99) or 0.0) * 1000,
        "max_ms": (max(latencies) if latencies else 0.0) * 1000,
    }


def run_once(size: str, workdir: Path) -> dict[str, Any]:
    return asyncio.run(_measure(workdir, SIZES[size]))


FIGURES = [
    Figure("violations_per_s", "violations detected in the window", "/s"),
    Figure("notifications_measured", "notifications measured"),
    Figure("delivered_share_pct", "of them delivered within the run", "%", digits=1),
    Figure("p50_ms", "check completed -> receiver read, p50", "ms", digits=1),
    Figure("p99_ms", "check completed -> receiver read, p99", "ms", 250, "lower", digits=1),
    Figure("max_ms", "check completed -> receiver read, max", "ms", digits=1),
]


if __name__ == "__main__":
    run_main(
        lambda: main(
            "detection_to_dispatch",
            "Scenario 2: detection to dispatch at 100 violations/s",
            run_once,
            FIGURES,
        )
    )
