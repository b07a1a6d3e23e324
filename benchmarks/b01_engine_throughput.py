"""Scenario 1: engine throughput.

10,000 contracts x 4 checks against an instant in-process source, SQLite state, the
intervals shortened so the schedule asks for about 2,100 check executions per second
(5 % above the target), the whole process pinned to one core.

"Sustain" means a steady state: start-up registers the contracts (slots that pass
meanwhile are coalesced into one run each, a burst at start), so the window is measured
only once the burst is absorbed (the lag of the last seconds is back under one second and
results are persisted as fast as checks run), at most `warmup` seconds after start. Over
the window: executions/s, results persisted/s, schedule lag p50/p99, CPU per check (all
threads, process_time), the share of time in the garbage collector, and peak RSS.
"""

from __future__ import annotations

import asyncio
import gc
import time
from pathlib import Path
from typing import Any

from _common import (
    Figure,
    current_rss_mb,
    main,
    peak_rss_mb,
    percentile,
    pin_to_one_core,
    profiled,
    run_main,
)
from _world import (
    CHECK_TYPES,
    InstantTableSource,
    load_table,
    make_lake,
    state_url,
    write_contracts,
)

SIZES: dict[str, dict[str, float]] = {
    # contracts, interval (s): 4 * contracts / interval executions asked per second.
    "full": {"contracts": 10_000, "interval": 19.0, "warmup": 150.0, "window": 20.0},
    "tiny": {"contracts": 50, "interval": 2.0, "warmup": 4.0, "window": 2.0},
}

INTERVAL_PCT_TARGET = 1.0  # p99 lag <= 1 % of the interval


async def _measure(workdir: Path, size: dict[str, float]) -> dict[str, Any]:
    from pydantic import SecretStr

    from floe_monitoring.config import MonitorConfig, MonitoringConfig, StateConfig
    from floe_monitoring.engine import ContractMonitor
    from floe_monitoring.telemetry import Telemetry

    class Counting(Telemetry):
        """Telemetry (the no-op API, as a service without exporters) that also counts."""

        def __init__(self) -> None:
            super().__init__()
            self.executions = 0
            self.lags: list[float] = []

        def record_result(self, result: Any) -> None:
            self.executions += 1
            super().record_result(result)

        def record_lag(self, seconds: float) -> None:
            self.lags.append(seconds)
            super().record_lag(seconds)

    contracts = int(size["contracts"])
    interval = size["interval"]
    make_lake(workdir / "lake", ["events"])
    source = InstantTableSource(load_table(workdir / "lake"))
    write_contracts(workdir / "contracts", contracts)
    config = MonitorConfig(
        contracts=("contracts/*.yaml",),
        state=StateConfig(url=SecretStr(state_url(workdir))),
        monitoring=MonitoringConfig(
            intervals=dict.fromkeys(CHECK_TYPES, interval),  # type: ignore[misc]
            scheduling="local",
        ),
        base_dir=workdir,
    )
    telemetry = Counting()
    monitor = ContractMonitor(config, table_source=source, telemetry=telemetry)
    began = time.perf_counter()
    await monitor.start()
    startup = time.perf_counter() - began
    rss_started = current_rss_mb()
    checks = len(monitor.scheduler)
    stop = asyncio.Event()
    runner = asyncio.create_task(monitor.run_forever(stop))

    async def persisted() -> int:
        from sqlalchemy import func, select

        from floe_monitoring.store.schema import check_results

        async with monitor.store.database.connect() as connection:
            return int(
                (await connection.execute(select(func.max(check_results.c.id)))).scalar() or 0
            )

    # Warm-up: until the start-up burst is absorbed, or `warmup` seconds at most.
    deadline = time.monotonic() + size["warmup"]
    warm_began = time.monotonic()
    await asyncio.sleep(min(interval, size["warmup"]))
    while time.monotonic() < deadline:
        seen, rows_seen = telemetry.executions, await persisted()
        lags_seen = len(telemetry.lags)
        await asyncio.sleep(2.0)
        recent = telemetry.lags[lags_seen:]
        ran = telemetry.executions - seen
        stored = await persisted() - rows_seen
        if recent and max(recent) < 1.0 and stored >= 0.95 * ran:
            break
    warmup = time.monotonic() - warm_began
    gc_time = [0.0, 0.0, 0.0]
    gc_began = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_began[0] = time.perf_counter()
        else:
            gc_time[info["generation"]] += time.perf_counter() - gc_began[0]

    gc.callbacks.append(on_gc)
    executions0, lags0 = telemetry.executions, len(telemetry.lags)
    rows0 = await persisted()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with profiled("engine_throughput"):
        await asyncio.sleep(size["window"])
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    gc.callbacks.remove(on_gc)
    executions = telemetry.executions - executions0
    lags = telemetry.lags[lags0:]
    rows = await persisted() - rows0
    stop.set()
    await runner
    await monitor.stop(grace=5.0)
    return {
        "contracts": contracts,
        "checks": checks,
        "interval_s": interval,
        "asked_per_s": checks / interval,
        "startup_s": startup,
        "warmup_s": warmup,
        "executions_per_s": executions / wall,
        "persisted_per_s": rows / wall,
        "lag_p50_ms": (percentile(lags, 50) or 0.0) * 1000,
        "lag_p99_ms": (percentile(lags, 99) or 0.0) * 1000,
        "lag_max_ms": (max(lags) if lags else 0.0) * 1000,
        "lag_p99_pct_interval": (percentile(lags, 99) or 0.0) / interval * 100,
        "cpu_per_check_us": cpu / executions * 1e6 if executions else None,
        "cpu_share": cpu / wall,
        "gc_share_pct": sum(gc_time) / wall * 100,
        "gc_gen2_s": gc_time[2],
        "rss_after_start_mb": rss_started,
        "rss_end_mb": current_rss_mb(),
        "peak_rss_mb": peak_rss_mb(),
    }


def run_once(size: str, workdir: Path) -> dict[str, Any]:
    cpu = pin_to_one_core()
    result = asyncio.run(_measure(workdir, SIZES[size]))
    result["pinned_cpu"] = cpu
    return result


FIGURES = [
    Figure("checks", "checks scheduled (contracts x 4)"),
    Figure("asked_per_s", "executions asked by the schedule", "/s"),
    Figure("executions_per_s", "check executions sustained (1 core)", "/s", 2000),
    Figure("persisted_per_s", "results persisted (SQLite)", "/s", 2000),
    Figure("lag_p50_ms", "schedule lag p50", "ms", digits=1),
    Figure("lag_p99_ms", "schedule lag p99", "ms", digits=1),
    Figure(
        "lag_p99_pct_interval",
        "schedule lag p99 / interval",
        "%",
        INTERVAL_PCT_TARGET,
        "lower",
        digits=2,
    ),
    Figure("cpu_per_check_us", "CPU per check (all threads)", "µs"),
    Figure("gc_share_pct", "time in the garbage collector", "%", digits=1),
    Figure("rss_after_start_mb", "RSS after start-up", "MiB"),
    Figure("peak_rss_mb", "peak RSS", "MiB", 500, "lower"),
    Figure("startup_s", "start-up (load, register, hydrate)", "s", digits=1),
    Figure("warmup_s", "warm-up until steady", "s", digits=1),
]


if __name__ == "__main__":
    run_main(
        lambda: main(
            "engine_throughput",
            "Scenario 1: engine throughput",
            run_once,
            FIGURES,
            default_runs=2,  # a run is ~4 min at full size (start-up alone is ~100 s)
        )
    )
