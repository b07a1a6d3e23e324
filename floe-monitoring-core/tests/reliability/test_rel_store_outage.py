"""PostgreSQL stopped and restarted under the real `floe sla monitor`.

Ten contracts are checked every second (so 10 results a second) with an in-memory
buffer of 30 results. PostgreSQL is stopped (``pg_ctl stop -m fast``) mid-run for longer
than the buffer lasts, then started again.

Proved: the process never crashes (``/healthz`` answers throughout, SIGTERM exits 0, no
traceback); ``/readyz`` answers 503 naming the unreachable database and the buffered
count while it is down, and 200 again once it is back; the buffer never exceeds its
limit and is flushed after the restart (the newest results of the outage are stored,
the oldest dropped); the dropped results are counted where an operator can read them.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from floe_monitoring.catalog.local import create_local_catalog
from floe_monitoring.store import StateStore
from floe_monitoring.testing import TemporaryPostgres

from .conftest import (
    SOAK,
    Figures,
    running_service,
    scaled,
    wait_until,
    write_config,
    write_contracts,
)

CONTRACTS = 10
BUFFER = 30
OUTAGE = float(scaled(6))  # seconds; the buffer is full after about 3


def _config(root: Path, state_url: str) -> dict[str, Any]:
    lake = create_local_catalog(root / "lake")
    lake.close()
    return {
        "contracts": ["contracts/*.yaml"],
        "catalog": {
            "properties": {
                "type": "sql",
                "uri": "sqlite:///lake/catalog.db",
                "warehouse": (root / "lake" / "warehouse").as_uri(),
            }
        },
        "state": {"url": state_url, "buffer_limit": BUFFER, "pool_size": 2},
        "overrides": {"*": {"disabled_checks": ["schema_drift", "freshness", "quality"]}},
        "monitoring": {
            "scheduling": "local",
            "intervals": {"availability": "1s", "freshness": "1h", "schema_drift": "1h"},
            "incidents": {"critical_after": 1_000_000},
        },
        "service": {"prometheus": True},
    }


async def _stored(url: str) -> list[dict[str, Any]]:
    store = StateStore(url, pool_size=1)
    try:
        return await store.results(check_type="availability", limit=None)
    finally:
        await store.close()


@pytest.mark.timeout(900 if SOAK else 240)
async def test_the_service_rides_out_a_postgres_restart(
    tmp_path: Path,
    own_postgres: TemporaryPostgres,
    subprocess_env: dict[str, str],
    figures: Figures,
) -> None:
    url = own_postgres.url()
    write_contracts(tmp_path / "contracts", CONTRACTS)
    write_config(tmp_path, _config(tmp_path, url))
    peak = 0
    async with running_service(tmp_path, subprocess_env) as service:
        await wait_until(lambda: _count(url, 2 * CONTRACTS), timeout=60, interval=0.2)
        before_status, before = await service.call("/readyz")

        await asyncio.to_thread(own_postgres.pause)
        down_at = datetime.now(UTC)
        paused = time.monotonic()
        degraded_status: int | None = None
        degraded: dict[str, Any] = {}
        alive = True
        while time.monotonic() - paused < OUTAGE:
            code, body = await service.call("/readyz")
            if code == 503:
                degraded_status, degraded = code, body
                peak = max(peak, int(body["buffered_results"]))
            alive = alive and (await service.call("/healthz"))[0] == 200
            await asyncio.sleep(0.25)
        degraded_after = degraded

        up_at = datetime.now(UTC)  # nothing started after this was produced while down
        await asyncio.to_thread(own_postgres.resume)
        resumed = time.monotonic()

        async def ready() -> bool:
            code, body = await service.call("/readyz")
            return code == 200 and body["buffered_results"] == 0

        ready_in = await wait_until(ready, timeout=60, interval=0.2)
        _, after = await service.call("/readyz")
        assert await service.terminate() == 0
        errors = service.stderr()

    stored = await _stored(url)
    in_outage = [r for r in stored if down_at <= _aware(r["started_at"]) <= up_at]
    figures.update(
        {
            "contracts": CONTRACTS,
            "results_per_second": CONTRACTS,
            "buffer_limit": BUFFER,
            "outage_seconds": round(resumed - paused, 1),
            "buffered_peak": peak,
            "stored_from_the_outage": len(in_outage),
            "ready_again_within_seconds": round(ready_in, 2),
            "results_stored": len(stored),
            "overflow_reported": after.get("overflow"),
        }
    )
    assert before_status == 200
    assert before["status"] == "ready"
    assert degraded_status == 503
    assert degraded_after["status"] == "degraded"
    assert any("state database unreachable" in p for p in degraded_after["degraded"])
    assert alive  # the process answered /healthz all along
    assert peak == BUFFER  # bounded
    # Flushed after the restart, the oldest dropped (the service's log says why not).
    assert 0 < len(in_outage) <= BUFFER, errors[-3000:]
    assert after["status"] == "ready"
    assert "Traceback" not in errors
    assert "state database back" in errors
    # The dropped results are counted, and an operator can read the count.
    assert isinstance(after.get("overflow"), int), (
        "/readyz does not report how many results were dropped while the database was down"
    )
    assert after["overflow"] > 0


def _count(url: str, at_least: int) -> Any:
    async def enough() -> bool:
        return len(await _stored(url)) >= at_least

    return enough()


def _aware(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
