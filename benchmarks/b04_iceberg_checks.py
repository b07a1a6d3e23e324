"""Scenario 4: Iceberg checks near the metadata limit.

N real tables in a local SQLite catalog (each with one data snapshot), one contract per
table, freshness (newest data snapshot) and schema drift for all of them: the monitor's
`run_once` (checks through the PyIceberg table source, results recorded in the SQLite
state store) against a bare PyIceberg loop on one thread that only loads each table and
reads its schema and current snapshot.

The monitor runs twice: with `monitoring.catalog_processes: 1` (tables loaded and read in
a worker process on the core the engine leaves free) and `max_concurrent_checks: 128`, the
target's figure; and with the defaults (worker threads, 32 checks at once). Each is
timed twice: the checks alone (`run_once(record=False)`) and with results recorded (state
store, incidents, telemetry: scenario 1 measures that path at scale). All in the same
run, after one untimed pass per monitor that opens the catalogs and starts the process:
five passes of each monitor, each before or after (alternately) a bare loop, and the
medians of each. A pass takes well under a second and the machine's own jitter moves
single passes by a third: medians of passes taken side by side are the figure.
"""

from __future__ import annotations

import asyncio
import functools
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import Figure, main, run_main
from _world import make_lake, state_url, write_contracts

SIZES = {"full": 500, "tiny": 10}
#: The target's figure: `monitoring.catalog_processes` (the core the engine leaves free)
#: and `monitoring.max_concurrent_checks` (enough tables queued to fill each call to the
#: process; the default 32 leaves it waiting for the engine between calls).
PROCESSES = 1
CONCURRENT_CHECKS = 128
#: Timed passes per monitor (each followed or preceded by a bare loop); medians are kept.
PASSES = 5
RECORDED_PASSES = 2


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


async def monitor_passes(
    workdir: Path, lake: Path, count: int, monitoring: dict[str, int]
) -> tuple[float, float, float, int]:
    """Median seconds of `run_once` over every contract, and of the bare loop between them.

    Returns the checks themselves (`record=False`: catalog loads and the checks'
    evaluation through the table source, nothing stored), the one the target is about;
    then with results recorded (the state store, incident tracking and telemetry); then
    the bare loop, timed between the monitor's passes so both see the same machine; and
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
        monitoring=monitoring,
        base_dir=workdir,
    )
    checks: list[float] = []
    recorded: list[float] = []
    bare: list[float] = []
    async with ContractMonitor(config) as monitor:
        # Untimed: opens the catalog, starts the worker processes, warms up.
        await monitor.run_once(deliver=False)
        for index in range(PASSES):
            if index % 2:  # alternate which goes first
                bare.append(bare_loop(lake, count))
            began = time.perf_counter()
            await monitor.run_once(deliver=False, record=False)
            checks.append(time.perf_counter() - began)
            if not index % 2:
                bare.append(bare_loop(lake, count))
        for _ in range(RECORDED_PASSES):
            began = time.perf_counter()
            results = await monitor.run_once(deliver=False)
            recorded.append(time.perf_counter() - began)
    passed = sum(1 for r in results if r.status.value == "pass")
    return statistics.median(checks), statistics.median(recorded), statistics.median(bare), passed


def run_once(size: str, workdir: Path, *, lake: Path) -> dict[str, Any]:
    count = SIZES[size]
    write_contracts(workdir / "contracts", count, table=lambda i: f"t{i:04d}", latency=(1, "d"))
    threads, threads_recorded, threads_bare, _ = asyncio.run(
        monitor_passes(workdir, lake, count, {})
    )
    (workdir / "state.db").unlink(missing_ok=True)
    tuned = {"catalog_processes": PROCESSES, "max_concurrent_checks": CONCURRENT_CHECKS}
    ours, recorded, bare, passed = asyncio.run(monitor_passes(workdir, lake, count, tuned))
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
        "threads_ratio": threads / threads_bare,
        "threads_recorded_ratio": threads_recorded / threads_bare,
    }


FIGURES = [
    Figure("tables", "tables (freshness + schema drift each)"),
    Figure("checks_passed", "checks passed (of 2 per table)"),
    Figure("bare_s", "bare PyIceberg loop (load, schema, snapshot)", "s", digits=2),
    Figure("ours_s", "monitor checks, 1 worker process (record=False)", "s", digits=2),
    Figure("recorded_s", "monitor, 1 worker process, results recorded", "s", digits=2),
    Figure("threads_s", "monitor checks, defaults (threads, 32 at once)", "s", digits=2),
    Figure("bare_tables_per_s", "bare loop", "tables/s"),
    Figure("ours_tables_per_s", "monitor checks, 1 worker process", "tables/s"),
    Figure("recorded_tables_per_s", "monitor, 1 worker process, recorded", "tables/s"),
    Figure("ratio", "monitor checks (1 worker process) / bare loop", "x", 1.3, "lower", digits=2),
    Figure("recorded_ratio", "monitor, 1 worker process, recorded / bare loop", "x", digits=2),
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
