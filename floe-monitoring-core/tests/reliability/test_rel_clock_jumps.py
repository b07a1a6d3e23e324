"""The wall clock jumps forward and back under a running monitor.

A monitor on a real Iceberg table runs its schedule (three checks every 5 minutes, the
in-process scheduler on SQLite, the database-shared one on PostgreSQL) on a manual
clock: 30 minutes of normal time, a jump 3 hours forward, a jump 2 hours back, then
normal time again until well past where the clock had been.

Proved: no slot of any check ever runs twice (every stored ``due_at`` is unique per
check); the forward jump runs each check exactly once (coalesced, with its lag
reported: the in-process scheduler runs it for the latest missed slot, the shared one
for the oldest), not once per missed slot; after the backward jump nothing runs until the
clock is past the last slot that ran, then every check is back on its grid (no schedule
lost); the table going stale during the jump fires exactly one notification.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
from pydantic import SecretStr

from floe_monitoring.catalog.local import create_local_catalog, write_table
from floe_monitoring.config import CatalogEntry, ChannelEntry, MonitorConfig, StateConfig
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.routing import RoutingRule
from floe_monitoring.scheduling import ManualClock
from floe_testing_kit import FakeHTTPServer

from .conftest import Figures, webhook_settings

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
STEP = timedelta(minutes=5)
SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)
CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: urn:rel:clock
name: clock
version: 1.0.0
servers:
  - server: lake
    type: iceberg
    catalog: default
    namespace: sales
schema:
  - name: orders
    properties:
      - name: id
        logicalType: integer
        physicalType: long
        required: true
      - name: updated_at
        logicalType: timestamp
slaProperties:
  - property: latency
    value: 1
    unit: h
    element: orders.updated_at
"""


async def _quiet(monitor: ContractMonitor) -> None:
    """Wait until the runs the clock made due have started and finished."""
    await asyncio.sleep(0.1)  # the shared scheduler claims on a 50 ms poll
    for _ in range(400):
        if monitor.scheduler.stats().in_flight == 0:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)


async def test_clock_jumps_neither_double_fire_nor_lose_schedules(
    tmp_path: Path, state_url: str, figures: Figures
) -> None:
    catalog = create_local_catalog(tmp_path / "lake")
    write_table(
        catalog,
        "sales.orders",
        {"id": [1, 2], "updated_at": [START - timedelta(minutes=10)] * 2},
        schema=SCHEMA,
    )
    catalog.close()
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "clock.yaml").write_text(CONTRACT)
    clock = ManualClock(START)
    async with FakeHTTPServer() as receiver:
        config = MonitorConfig(
            contracts=(str(tmp_path / "contracts" / "*.yaml"),),
            catalog=CatalogEntry(
                properties={
                    "type": "sql",
                    "uri": f"sqlite:///{tmp_path / 'lake' / 'catalog.db'}",
                    "warehouse": (tmp_path / "lake" / "warehouse").as_uri(),
                }
            ),
            state=StateConfig(url=SecretStr(state_url)),
            channels={"hook": ChannelEntry.model_validate(webhook_settings(f"{receiver.url}/in"))},
            routing=(RoutingRule(channel="hook"),),
            monitoring={  # type: ignore[arg-type]
                "intervals": {"freshness": "5m", "availability": "5m", "schema_drift": "5m"},
                "schedule_poll_interval": 0.05,
                "rate_limit": None,
                # Stale for hours: keep the "more than 3 in 24 h" escalation out of the count.
                "incidents": {"critical_after": 1_000_000},
            },
            base_dir=tmp_path,
        )
        runs: dict[str, int] = {}
        async with ContractMonitor(config, clock=clock) as monitor:
            runner = asyncio.create_task(monitor.run_forever())

            async def walk(until: datetime, step: timedelta = STEP) -> None:
                while clock.now() + step <= until:
                    await clock.set(clock.now() + step)
                    await _quiet(monitor)

            def launched() -> int:
                return monitor.scheduler.stats().launched

            await _quiet(monitor)
            before = launched()
            await walk(START + timedelta(minutes=30))
            runs["normal 30 min"] = launched() - before

            before = launched()
            await clock.set(clock.now() + timedelta(hours=3))  # forward jump
            await _quiet(monitor)
            runs["forward jump 3 h"] = launched() - before
            lag_after_jump = max(monitor.lags[-3:])
            high_water = clock.now()

            before = launched()
            await clock.set(clock.now() - timedelta(hours=2))  # backward jump
            await _quiet(monitor)
            await walk(high_water - timedelta(minutes=1), step=timedelta(minutes=13))
            runs["back 2 h, until the old time"] = launched() - before

            before = launched()
            await walk(high_water + timedelta(minutes=30))
            runs["30 min past the old time"] = launched() - before
            monitor.request_stop()
            await runner
            stored = await monitor.store.results(limit=None)
        received = [json.loads(r.body) for r in receiver.requests]

    per_key_slots = Counter((r["check_key"], _iso(r["due_at"])) for r in stored)
    keys = {r["check_key"] for r in stored}
    notices = [(e["violationType"], e["metadata"]["notification"]) for e in received]
    figures.update(
        {
            "scheduler": "shared" if monitor.shared else "local",
            "checks": len(keys),
            "runs": runs,
            "forward_jump_lag_seconds": round(lag_after_jump),
            "slots_run_twice": sum(1 for n in per_key_slots.values() if n > 1),
            "notifications": notices,
        }
    )
    assert len(keys) == 3
    assert all(n == 1 for n in per_key_slots.values()), "a slot ran twice"
    assert 3 * 5 <= runs["normal 30 min"] <= 3 * 7
    assert runs["forward jump 3 h"] == 3  # once per check, coalesced
    assert runs["back 2 h, until the old time"] == 0
    assert 3 * 5 <= runs["30 min past the old time"] <= 3 * 7  # back on the grid
    assert notices == [("freshness", "firing")]


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
