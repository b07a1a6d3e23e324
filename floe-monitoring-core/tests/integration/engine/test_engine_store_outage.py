"""PostgreSQL stopped and restarted under a running monitor: no crash, nothing lost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from pydantic import SecretStr

from floe_monitoring.catalog.ref import TableRef
from floe_monitoring.config import MonitorConfig, StateConfig
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.errors import TableNotFoundError
from floe_monitoring.service import MonitorService
from floe_monitoring.telemetry import Telemetry
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
    reader = InMemoryMetricReader()
    telemetry = Telemetry(meter_provider=MeterProvider(metric_readers=[reader]))
    monitor = ContractMonitor(config, table_source=MissingTables(), telemetry=telemetry)
    service = MonitorService(config, monitor=monitor, host="127.0.0.1", port=0)
    async with monitor, _serving(service) as readyz:
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
        # ... where an operator can read it: /readyz and the dropped-results counter.
        code, body = await readyz()
        assert code == 503
        assert any("state database unreachable" in p for p in body["degraded"])
        assert body["overflow"] == 2
        assert body["buffered_results"] == 4
        assert _dropped(reader) == {"buffer_full": 2}

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
        code, body = await readyz()
    # The database is back (503 only because run_once starts no scheduler), and the
    # count, since start, stays readable.
    assert not any("state database" in p for p in body["degraded"])
    assert body["overflow"] == 2
    assert body["refused_writes"] == 0


Probe = Callable[[], Awaitable[tuple[int, dict[str, Any]]]]


@contextlib.asynccontextmanager
async def _serving(service: MonitorService) -> AsyncIterator[Probe]:
    """The service's probe server on loopback; yields a GET of its /readyz."""
    await service.server.start()
    url = f"http://127.0.0.1:{service.server.port}/readyz"
    try:
        yield lambda: asyncio.to_thread(_get, url)
    finally:
        await service.server.stop()


def _get(url: str) -> tuple[int, dict[str, Any]]:
    # The loopback probe server this test started (http only).
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _dropped(reader: InMemoryMetricReader) -> dict[str, float]:
    """The floe.state.dropped_results counter by drop reason."""
    found: dict[str, float] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data is not None else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != "floe.state.dropped_results":
                    continue
                for point in metric.data.data_points:
                    assert isinstance(point, NumberDataPoint)
                    reason = str((point.attributes or {})["floe.state.drop_reason"])
                    found[reason] = point.value
    return found


class _PgError(Exception):
    """What SQLAlchemy's asyncpg adapter raises: an error carrying the SQLSTATE."""

    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "outage"),
    [
        ("57P03", True),  # the database system is starting up (seen after a restart)
        ("57P01", True),  # terminating connection due to administrator command
        ("08006", True),  # connection failure
        ("23505", False),  # unique violation: the database refused the rows
        ("22021", False),  # invalid byte sequence: refused, retrying cannot help
    ],
)
def test_a_restarting_database_is_an_outage_and_a_refusal_is_not(
    sqlstate: str, outage: bool
) -> None:
    from sqlalchemy.exc import DBAPIError

    from floe_monitoring.engine.monitor import _unreachable

    error = DBAPIError("INSERT ...", {}, _PgError("server says no", sqlstate))
    assert _unreachable(error) is outage
