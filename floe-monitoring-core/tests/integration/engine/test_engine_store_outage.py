"""PostgreSQL stopped and restarted under a running monitor: no crash, nothing lost."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pydantic import SecretStr

from floe_monitoring.catalog.ref import TableRef
from floe_monitoring.config import MonitorConfig, StateConfig
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.errors import TableNotFoundError
from floe_monitoring.testing import TemporaryPostgres

T = TypeVar("T")

CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: urn:outage:c{i}
name: c{i}
version: 1.0.0
servers:
  - server: lake
    type: iceberg
    catalog: default
    namespace: outage
schema:
  - name: t{i}
    properties:
      - name: id
        logicalType: integer
"""


class MissingTables:
    async def with_table(
        self, ref: TableRef, fn: Callable[[Any], T], *, call_timeout: float | None = None
    ) -> T:
        raise TableNotFoundError("gone", catalog="default", table=str(ref))

    async def probe(self, ref: TableRef, *, call_timeout: float | None = None) -> float:
        raise TableNotFoundError("gone", catalog="default", table=str(ref))


@pytest.fixture
def postgres() -> Iterator[TemporaryPostgres]:
    with TemporaryPostgres() as server:  # its own server: this test stops it
        yield server


async def test_results_are_buffered_while_postgres_is_down_and_flushed_after(
    postgres: TemporaryPostgres, tmp_path: Path
) -> None:
    (tmp_path / "c").mkdir()
    for i in range(3):
        (tmp_path / "c" / f"c{i}.yaml").write_text(CONTRACT.format(i=i))
    config = MonitorConfig(
        contracts=(str(tmp_path / "c" / "*.yaml"),),
        state=StateConfig(url=SecretStr(postgres.url()), buffer_limit=4, pool_size=2),
        base_dir=tmp_path,
    )
    async with ContractMonitor(config, table_source=MissingTables()) as monitor:
        assert len(await monitor.run_once(check_types=["availability"])) == 3
        assert (await monitor.status()).store_reachable

        postgres.pause()
        during = await monitor.run_once(check_types=["availability"])  # checks keep running
        assert len(during) == 3
        status = await monitor.status()
        assert not status.store_reachable
        assert status.buffered_results == 3
        assert any("state database unreachable" in p for p in status.degraded)
        await monitor.run_once(check_types=["availability"])
        assert monitor.buffered == 4  # bounded
        assert monitor.overflow == 2  # and the overflow counted

        postgres.resume()
        await monitor.run_once(check_types=["availability"])
        status = await monitor.status()
        assert status.store_reachable
        assert status.buffered_results == 0
        stored = await monitor.store.results(check_type="availability", limit=None)
        # 3 before, 4 buffered of the 6 during the outage, 3 after.
        assert len(stored) == 10
        assert {r["status"] for r in stored} == {"fail"}
        assert len(await monitor.store.incident_states()) == 3
