"""Scenario 4: Iceberg checks near the metadata limit.

N real tables in a local SQLite catalog (each with one data snapshot), one contract per
table, freshness (newest data snapshot) and schema drift for all of them: the monitor's
`run_once` (checks through the PyIceberg table source, results recorded in the SQLite
state store) against a bare PyIceberg loop on one thread that only loads each table and
reads its schema and current snapshot.

The monitor runs twice: with `monitoring.catalog_processes: 2` (tables loaded and read in
two worker processes, beside the engine: the target's figure) and with the default
worker threads. Each is timed twice: the checks alone (`run_once(record=False)`) and with
results recorded (state store, incidents, telemetry: scenario 1 measures that path at
scale). All in the same run, after one untimed pass per monitor that opens the catalogs
and starts the processes; the bare loop runs first or last, alternating per run.
"""

from __future__ import annotations

import asyncio
import functools
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import Figure, main, run_main
from _world import make_lake, state_url, write_contracts

SIZES = {"full": 500, "tiny": 10}
#: `monitoring.catalog_processes` of the target's figure: one worker process per core.
PROCESSES = 2


def bare_loop(lake: Path, count: int) -> float:
    """Seconds for load_table + schema() + current_snapshot() of every table."""
    from floe_monitoring.catalog.local import create_local_catalog

    catalog = create_local_catalog(lake)
    try:
        for i in range(min(count, 20)):  # warm: connections, imports
            catalog.load_table(f"bench.t{i:04d}").schema()
        began = time.perf_counter()
        for i in range(count):
            table = catalog.load_table(f"bench.t{i:04d}")
            table.schema()
            table.current_snapshot()
        return time.perf_counter() - began
    finally:
        catalog.close()


async def monitor_pass(
    workdir: Path, lake: Path, count: int, processes: int
) -> tuple[float, float, int]:
    """Seconds of `run_once` over every contract: checks only, and with results recorded.

    The first figure is the checks themselves (`record=False`: catalog loads and the
    checks' evaluation through the table source, nothing stored), the one the target is
    about; the second adds the state store, incident tracking and telemetry. Also returns
    how many results passed.
    """
    from pydantic import SecretStr

    from floe_monitoring.config import CatalogEntry, MonitorConfig, StateConfig
    from floe_monitoring.contracts.overrides import ContractOverrides
    from floe_monitoring.engine import ContractMonitor

    config = MonitorConfig(
        contracts=("contracts/*.yaml",),
        catalog=CatalogEntry(
            properties={
                "type": "sql",
                "uri": f"sqlite:///{lake / 'catalog.db'}",
                "warehouse": (lake / "warehouse").as_uri(),
            }
        ),
        state=StateConfig(url=SecretStr(state_url(workdir))),
        overrides={"*": ContractOverrides(disabled_checks=frozenset({"quality", "availability"}))},
        monitoring={"catalog_processes": processes},
        base_dir=workdir,
    )
    async with ContractMonitor(config) as monitor:
        # Untimed: opens the catalog, starts the worker processes, warms up.
        await monitor.run_once(deliver=False)
        began = time.perf_counter()
        await monitor.run_once(deliver=False, record=False)
        checks = time.perf_counter() - began
        began = time.perf_counter()
        results = await monitor.run_once(deliver=False)
        recorded = time.perf_counter() - began
    passed = sum(1 for r in results if r.status.value == "pass")
    return checks, recorded, passed


def run_once(size: str, workdir: Path, *, lake: Path) -> dict[str, Any]:
    count = SIZES[size]
    write_contracts(workdir / "contracts", count, table=lambda i: f"t{i:04d}", latency=(1, "d"))
    ours_first = int(time.time()) % 2 == 0
    if not ours_first:
        bare = bare_loop(lake, count)
    threads, threads_recorded, _ = asyncio.run(monitor_pass(workdir, lake, count, 0))
    (workdir / "state.db").unlink(missing_ok=True)
    ours, recorded, passed = asyncio.run(monitor_pass(workdir, lake, count, PROCESSES))
    if ours_first:
        bare = bare_loop(lake, count)
    return {
        "tables": count,
        "checks": 2 * count,
        "checks_passed": passed,
        "ours_s": ours,
        "recorded_s": recorded,
        "bare_s": bare,
        "bare_tables_per_s": count / bare,
        "ours_tables_per_s": count / ours,
        "recorded_tables_per_s": count / recorded,
        "ratio": ours / bare,
        "recorded_ratio": recorded / bare,
        "threads_s": threads,
        "threads_ratio": threads / bare,
        "threads_recorded_ratio": threads_recorded / bare,
    }


FIGURES = [
    Figure("tables", "tables (freshness + schema drift each)"),
    Figure("checks_passed", "checks passed (of 2 per table)"),
    Figure("bare_s", "bare PyIceberg loop (load, schema, snapshot)", "s", digits=2),
    Figure("ours_s", "monitor checks, 2 worker processes (record=False)", "s", digits=2),
    Figure("recorded_s", "monitor, 2 worker processes, results recorded", "s", digits=2),
    Figure("threads_s", "monitor checks, threads only (the default)", "s", digits=2),
    Figure("bare_tables_per_s", "bare loop", "tables/s"),
    Figure("ours_tables_per_s", "monitor checks, 2 worker processes", "tables/s"),
    Figure("recorded_tables_per_s", "monitor, 2 worker processes, recorded", "tables/s"),
    Figure("ratio", "monitor checks (2 worker processes) / bare loop", "x", 1.3, "lower", digits=2),
    Figure("recorded_ratio", "monitor, 2 worker processes, recorded / bare loop", "x", digits=2),
    Figure("threads_ratio", "monitor checks, threads only / bare loop", "x", digits=2),
    Figure("threads_recorded_ratio", "monitor, threads only, recorded / bare loop", "x", digits=2),
]


def _main() -> int:
    lake = Path(tempfile.mkdtemp(prefix="floe-bench-lake-"))
    try:
        from _common import parse_args

        size = parse_args("", 1).size
        print(f"# building {SIZES[size]} tables", flush=True)
        make_lake(lake, [f"t{i:04d}" for i in range(SIZES[size])], rows=10)
        return main(
            "iceberg_checks",
            "Scenario 4: Iceberg checks near the metadata limit",
            functools.partial(run_once, lake=lake),
            FIGURES,
        )
    finally:
        shutil.rmtree(lake, ignore_errors=True)


if __name__ == "__main__":
    run_main(_main)
