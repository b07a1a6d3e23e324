"""Contract files changed, broken and deleted under the running `floe sla monitor`.

The service re-reads its contract folder every half second (``--reload-interval``) and
on SIGHUP. Four contracts are checked every second. While it runs, one file is changed
(a new version), one is broken twice (invalid YAML, then valid YAML that is not a
contract), one is deleted, one is added; then the broken one is repaired.

Proved: the changed contract is checked in its new version; each broken file is
reported (in ``/readyz`` and the reload report, one line naming the file, its line and
field) while its contract keeps being checked in its last good version; the deleted
contract is retired (marked so in the store, no further results); the others keep
running throughout and the process never crashes.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from floe_monitoring.catalog.local import create_local_catalog
from floe_monitoring.config import MonitorConfig, StateConfig
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.store import StateStore
from floe_testing_kit import LoopLagMonitor

from .conftest import (
    MISSING_TABLE_CONTRACT,
    SOAK,
    Figures,
    MissingTables,
    running_service,
    scaled,
    wait_until,
    write_config,
    write_contracts,
)


def _config(root: Path) -> dict[str, Any]:
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
        "state": {"url": "sqlite+aiosqlite:///state/monitor.db"},
        "monitoring": {
            "scheduling": "local",
            "intervals": {"availability": "1s", "schema_drift": "1s"},
            "incidents": {"critical_after": 1_000_000},
        },
    }


class Store:
    def __init__(self, root: Path) -> None:
        self.url = f"sqlite+aiosqlite:///{root / 'state' / 'monitor.db'}"

    async def results(
        self, contract_id: str, since: datetime, until: datetime | None = None
    ) -> list[dict[str, Any]]:
        store = StateStore(self.url, pool_size=1)
        try:
            return await store.results(
                contract_id=contract_id, since=since, until=until, limit=None
            )
        finally:
            await store.close()

    async def contracts(self) -> dict[str, dict[str, Any]]:
        store = StateStore(self.url, pool_size=1)
        try:
            return {r["contract_id"]: r for r in await store.contracts(active_only=False)}
        finally:
            await store.close()


async def test_changed_broken_deleted_and_added_contract_files(
    tmp_path: Path, subprocess_env: dict[str, str], figures: Figures
) -> None:
    folder = tmp_path / "contracts"
    write_contracts(folder, 4)  # urn:rel:c0 .. c3
    write_config(tmp_path, _config(tmp_path))
    store = Store(tmp_path)
    async with running_service(tmp_path, subprocess_env, reload_interval=0.5) as service:
        start = datetime.now(UTC)
        await wait_until(lambda: _all_checked(store, 4, start), timeout=60, interval=0.2)

        # Changed: a new version of c0.
        changed = MISSING_TABLE_CONTRACT.format(prefix="c", i=0).replace("1.0.0", "2.0.0")
        (folder / "c0.yaml").write_text(changed)
        # Broken: invalid YAML in c1.
        (folder / "c1.yaml").write_text("apiVersion: v3.1.0\nkind: [\nid: urn:rel:c1\n")
        # Deleted: c2. Added: n0.
        (folder / "c2.yaml").unlink()
        write_contracts(folder, 1, prefix="n")
        service.process.send_signal(signal.SIGHUP)  # and the periodic re-read, whichever first

        async def reported() -> bool:
            _, body = await service.call("/readyz")
            return any("1 contract file(s) could not be loaded" in p for p in body["degraded"])

        await wait_until(reported, timeout=30, interval=0.2)
        yaml_code, yaml_report = await service.call("/contracts/reload", "POST")
        retired_at = datetime.now(UTC)

        async def kept_running() -> bool:
            # Liveness, not a stopwatch: wait until every contract still loaded has been
            # checked four more times (two checks each every second when not loaded).
            for key in ("urn:rel:c0", "urn:rel:c1", "urn:rel:c3", "urn:rel:n0"):
                if len(await store.results(key, retired_at)) < 4:
                    return False
            return True

        await wait_until(kept_running, timeout=120, interval=0.2)
        after = datetime.now(UTC)

        # Broken differently: valid YAML, not a contract (a field of the wrong type).
        (folder / "c1.yaml").write_text(
            MISSING_TABLE_CONTRACT.format(prefix="c", i=1).replace(
                "version: 1.0.0", "version: [1, 0]"
            )
        )
        field_code, field_report = await service.call("/contracts/reload", "POST")
        # Repaired.
        (folder / "c1.yaml").write_text(MISSING_TABLE_CONTRACT.format(prefix="c", i=1))
        _, repaired = await service.call("/contracts/reload", "POST")
        ready_code, ready = await service.call("/readyz")
        assert await service.terminate() == 0
        errors = service.stderr()

    # The three seconds after the reload, while c1 was broken.
    c0 = await store.results("urn:rel:c0", retired_at, after)
    c1 = await store.results("urn:rel:c1", retired_at, after)
    c2 = await store.results("urn:rel:c2", retired_at)
    c3 = await store.results("urn:rel:c3", retired_at, after)
    n0 = await store.results("urn:rel:n0", retired_at, after)
    contracts = await store.contracts()
    figures.update(
        {
            "contracts": 4,
            "yaml_error": yaml_report["errors"],
            "field_error": field_report["errors"],
            "results_in_3s_after": {
                "changed c0": len(c0),
                "broken c1": len(c1),
                "deleted c2": len(c2),
                "untouched c3": len(c3),
                "added n0": len(n0),
            },
        }
    )
    assert yaml_code == field_code == 200
    # The broken file is reported: file, line, what is wrong.
    [yaml_error] = yaml_report["errors"]
    assert "c1.yaml:" in yaml_error
    assert "\n" not in yaml_error
    [field_error] = field_report["errors"]
    assert "c1.yaml:" in field_error
    assert "version" in field_error
    assert repaired["errors"] == []
    assert ready_code == 200
    assert ready["degraded"] == []
    # The rest keep running; the broken one keeps its last good version.
    assert len(c3) >= 4  # the untouched contract kept running
    assert len(c1) >= 4  # the broken one too, in its last good version
    assert contracts["urn:rel:c0"]["version"] == "2.0.0"
    assert len(c0) >= 4
    assert len(n0) >= 4
    # The deleted one is retired: no more results, marked in the store.
    assert c2 == []
    assert contracts["urn:rel:c2"]["active"] is False
    assert contracts["urn:rel:c2"]["retired_at"] is not None
    assert contracts["urn:rel:c1"]["active"] is True
    assert "Traceback" not in errors
    assert "contract skipped:" in errors


def _all_checked(store: Store, count: int, since: datetime) -> Any:
    async def done() -> bool:
        for i in range(count):
            if not await store.results(f"urn:rel:c{i}", since):
                return False
        return True

    return done()


@pytest.mark.timeout(1800 if SOAK else 300)
async def test_re_reading_1000_contract_files_keeps_the_event_loop_responsive(
    tmp_path: Path, figures: Figures, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service re-reads its contract folder every 30 s by default; its probes, checks
    and deliveries share the event loop with that re-read (ARCHITECTURE: no blocking call
    on the event loop; Kubernetes probes time out after 1 s by default)."""
    count = scaled(1000)
    write_contracts(tmp_path / "contracts", count)
    config = MonitorConfig(
        contracts=(str(tmp_path / "contracts" / "*.yaml"),),
        state=StateConfig(url=SecretStr(f"sqlite+aiosqlite:///{tmp_path / 'state.db'}")),
        monitoring={"scheduling": "local"},  # type: ignore[arg-type]
        base_dir=tmp_path,
    )
    from floe_monitoring.contracts.loader import load_contracts as real_load

    parsed_on: set[int] = set()
    loop_thread = threading.get_ident()

    def recording_load(*args: Any, **kwargs: Any) -> Any:
        parsed_on.add(threading.get_ident())
        return real_load(*args, **kwargs)

    monkeypatch.setattr("floe_monitoring.engine.monitor.load_contracts", recording_load)
    async with (
        ContractMonitor(config, table_source=MissingTables(), channels={}) as monitor,
        LoopLagMonitor() as lag,
    ):
        parsed_on.clear()  # start-up's own read is not what is measured
        await asyncio.sleep(0.05)  # let the ticker start
        began = time.monotonic()
        report = await monitor.reload_contracts()
        seconds = time.monotonic() - began
        await asyncio.sleep(0.05)
    figures.update(
        {
            "contract_files": count,
            "reload_seconds": round(seconds, 2),
            "max_loop_lag": round(lag.max_lag, 3),
        }
    )
    assert report.errors == ()
    # Structural, not a stopwatch (the stall is the figure above): the files were read
    # and parsed on another thread, so the loop kept serving while they were.
    assert parsed_on, "the re-read did not parse the files"
    assert loop_thread not in parsed_on, "load_contracts ran on the event loop"
