"""A monitor process for the crash tests: `python monitor_process.py CONFIG.json MODE`.

MODE ``enqueue``: run every availability check once (all tables are missing, so each
contract fires), commit the notifications, print ENQUEUED, then deliver them.
MODE ``resume``: start (which picks up the outbox) and deliver until nothing is pending.
Prints DONE when the outbox is empty. The test kills it with SIGKILL at any point.
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


class MissingTables:
    """A table source whose every table is gone: each availability check fails."""

    async def with_table(
        self, ref: TableRef, fn: Callable[[Any], T], *, call_timeout: float | None = None
    ) -> T:
        raise TableNotFoundError(f"table {ref} does not exist", catalog="default", table=str(ref))

    async def probe(self, ref: TableRef, *, call_timeout: float | None = None) -> float:
        raise TableNotFoundError(f"table {ref} does not exist", catalog="default", table=str(ref))


async def main(config_path: str, mode: str) -> None:
    config = MonitorConfig.model_validate(json.loads(Path(config_path).read_text()))
    async with ContractMonitor(config, table_source=MissingTables()) as monitor:
        assert monitor.dispatcher is not None
        if mode == "enqueue":
            await monitor.run_once(check_types=["availability"], deliver=False)
            print("ENQUEUED", flush=True)
        while (await monitor.store.outbox.depth())[0]:
            await monitor.dispatcher.drain(timeout=120)
            await asyncio.sleep(0.05)
        print("DONE", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
