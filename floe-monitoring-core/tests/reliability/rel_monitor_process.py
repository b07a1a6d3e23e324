"""A monitor process for the kill run: ``python rel_monitor_process.py CONFIG.json MODE [N]``.

MODE ``enqueue``: run every availability check N times (default 4) with the tables
alternately missing and back, so each contract fires, resolves, fires and resolves:
N notifications per contract, committed with their results. Prints ENQUEUED, then
delivers. MODE ``resume``: start (which picks up the outbox) and deliver. Prints DONE when
nothing is pending. The test kills it with SIGKILL at any point.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from floe_monitoring.catalog.ref import TableRef
from floe_monitoring.config import MonitorConfig
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.errors import TableNotFoundError

T = TypeVar("T")


class TogglingTables:
    """Every table is missing while `missing` is set, and loads in 1 ms otherwise."""

    def __init__(self) -> None:
        self.missing = True

    async def with_table(
        self, ref: TableRef, fn: Callable[[Any], T], *, call_timeout: float | None = None
    ) -> T:
        raise TableNotFoundError(f"table {ref} does not exist", catalog="default", table=str(ref))

    async def probe(self, ref: TableRef, *, call_timeout: float | None = None) -> float:
        if self.missing:
            raise TableNotFoundError(
                f"table {ref} does not exist", catalog="default", table=str(ref)
            )
        return 0.001


async def main(config_path: str, mode: str, cycles: int) -> None:
    config = MonitorConfig.model_validate(json.loads(Path(config_path).read_text()))
    tables = TogglingTables()
    async with ContractMonitor(config, table_source=tables) as monitor:
        assert monitor.dispatcher is not None
        if mode == "enqueue":
            for cycle in range(cycles):
                tables.missing = cycle % 2 == 0
                await monitor.run_once(check_types=["availability"], deliver=False)
            print("ENQUEUED", flush=True)
        while (await monitor.store.outbox.depth())[0]:
            await monitor.dispatcher.drain(timeout=600)
            await asyncio.sleep(0.05)
        print("DONE", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 4))
