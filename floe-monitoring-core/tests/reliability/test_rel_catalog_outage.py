"""A catalog that cannot answer, or answers too slowly: errors, never violations.

Two contracts on real catalogs: ``orders`` on a SQLite catalog with a fresh, valid
Iceberg table, and ``remote`` on a REST catalog (a loopback fake that answers its
config, then 503 for every table, then hangs past the catalog timeout, then is gone).
Halfway through, the SQLite catalog's warehouse storage disappears (as when an object
store is unreachable) and comes back.

Proved for freshness, schema drift and quality: every check that cannot read its table
reports ``error`` with the reason (``catalog_unavailable`` or ``timeout``), never ``fail``;
no violation is ever notified; after ``error_after`` (K = 3) errors in a row exactly one
"cannot evaluate" notice is sent per check, and one "can evaluate again" notice when the
catalog is back; the other contract's checks keep passing meanwhile.

A second test runs every check type with the default configuration, availability
included, and asks the issue's question as written: does a catalog outage notify any
violation?
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from pydantic import SecretStr

from floe_monitoring.catalog.local import create_local_catalog, write_table
from floe_monitoring.checks import CheckStatus
from floe_monitoring.config import CatalogEntry, ChannelEntry, MonitorConfig, StateConfig
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.routing import RoutingRule
from floe_testing_kit import FakeHTTPServer, RecordedRequest, ScriptedResponse

from .conftest import Figures, webhook_settings

ORDERS = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)

CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: urn:rel:{name}
name: {name}
version: 1.0.0
servers:
  - server: lake
    type: iceberg
    catalog: {catalog}
    namespace: sales
schema:
  - name: orders
    properties:
      - name: id
        logicalType: integer
        physicalType: long
        required: true
        quality:
          - metric: nullValues
            unit: percent
            mustBeLessOrEqualTo: 0
      - name: updated_at
        logicalType: timestamp
slaProperties:
  - property: latency
    value: 1
    unit: h
    element: orders.updated_at
"""

EVALUATING = ["freshness", "schema_drift", "quality"]
ERROR_AFTER = 3


class FakeRestCatalog:
    """Answers ``GET /v1/config``; then every table request as `mode` says."""

    def __init__(self) -> None:
        self.mode = "503"
        self.table_requests = 0

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        if request.path.endswith("/v1/config"):
            return ScriptedResponse.json(200, json.dumps({"defaults": {}, "overrides": {}}))
        self.table_requests += 1
        if self.mode == "hang":
            return ScriptedResponse(hang=True)
        error = {"error": {"message": "overloaded", "type": "ServiceUnavailable", "code": 503}}
        return ScriptedResponse.json(503, json.dumps(error))


@dataclass
class Lake:
    root: Path
    receiver: FakeHTTPServer
    rest: FakeHTTPServer
    catalog: FakeRestCatalog

    def config(self, state_url: str) -> MonitorConfig:
        return MonitorConfig(
            contracts=(str(self.root / "contracts" / "*.yaml"),),
            catalog=CatalogEntry(
                properties={
                    "type": "sql",
                    "uri": f"sqlite:///{self.root / 'lake' / 'catalog.db'}",
                    "warehouse": (self.root / "lake" / "warehouse").as_uri(),
                },
                timeout_seconds=2,
            ),
            catalogs={
                "remote": CatalogEntry(
                    properties={"type": "rest", "uri": self.rest.url}, timeout_seconds=0.5
                )
            },
            state=StateConfig(url=SecretStr(state_url)),
            channels={
                "hook": ChannelEntry.model_validate(webhook_settings(f"{self.receiver.url}/in"))
            },
            routing=(RoutingRule(channel="hook"),),
            monitoring={  # type: ignore[arg-type]
                "rate_limit": None,
                "scheduling": "local",
                "check_timeout": "3s",
                "incidents": {"error_after": ERROR_AFTER},
            },
            base_dir=self.root,
        )

    def notices(self) -> Counter[tuple[str, str]]:
        """(contract, notification kind) of everything the receiver got."""
        found: Counter[tuple[str, str]] = Counter()
        for request in self.receiver.requests:
            event: dict[str, Any] = json.loads(request.body)
            found[(event["contractName"], event["metadata"]["notification"])] += 1
        return found


@pytest.fixture
async def lake(tmp_path: Path) -> AsyncIterator[Lake]:
    catalog = create_local_catalog(tmp_path / "lake")
    now = datetime.now(UTC)
    write_table(
        catalog,
        "sales.orders",
        {"id": [1, 2, 3], "updated_at": [now - timedelta(minutes=5)] * 3},
        schema=ORDERS,
    )
    catalog.close()
    (tmp_path / "contracts").mkdir()
    for name, where in (("orders", "default"), ("remote", "remote")):
        (tmp_path / "contracts" / f"{name}.yaml").write_text(
            CONTRACT.format(name=name, catalog=where)
        )
    rest = FakeRestCatalog()
    async with FakeHTTPServer() as receiver, FakeHTTPServer(rest) as server:
        yield Lake(tmp_path, receiver, server, rest)


async def test_an_unreachable_or_slow_catalog_is_an_error_never_a_violation(
    lake: Lake, state_url: str, figures: Figures
) -> None:
    statuses: Counter[tuple[str, str, str]] = Counter()
    warehouse = lake.root / "lake" / "warehouse"
    async with ContractMonitor(lake.config(state_url)) as monitor:

        async def cycle(phase: str) -> None:
            for result in await monitor.run_once(check_types=EVALUATING):
                statuses[(phase, result.contract_name, result.status.value)] += 1
                if result.status is CheckStatus.ERROR:
                    reasons[(result.contract_name, result.reason or "")] += 1
                if result.status is CheckStatus.FAIL:
                    failures.append(
                        f"{phase}: {result.contract_name} {result.check_type.value} "
                        f"fail ({result.reason}): {result.message}"
                    )

        reasons: Counter[tuple[str, str]] = Counter()
        failures: list[str] = []
        for _ in range(ERROR_AFTER + 1):
            await cycle("rest 503")
        after_503 = lake.notices()
        lake.catalog.mode = "hang"
        for _ in range(2):
            await cycle("rest slow")
        await lake.rest.close()
        await cycle("rest gone")
        warehouse.rename(warehouse.with_name("moved"))  # the storage is unreachable
        for _ in range(ERROR_AFTER + 1):
            await cycle("storage gone")
        warehouse.with_name("moved").rename(warehouse)
        await cycle("storage back")
        status = await monitor.status()

    notices = lake.notices()
    figures.update(
        {
            "cycles": 11,
            "results": {" / ".join(k): v for k, v in sorted(statuses.items())},
            "error_reasons": {" / ".join(k): v for k, v in sorted(reasons.items())},
            "notices": {" / ".join(k): v for k, v in sorted(notices.items())},
            "rest_table_requests": lake.catalog.table_requests,
            "failures": failures,
        }
    )
    checks = len(EVALUATING)
    # Never a violation: only "pass" and "error".
    assert not failures, f"a catalog that cannot answer in time became a violation: {failures}"
    assert {s for _, _, s in statuses} <= {"pass", "error"}
    assert statuses[("rest 503", "remote", "error")] == checks * (ERROR_AFTER + 1)
    assert statuses[("rest slow", "remote", "error")] == checks * 2
    assert statuses[("rest gone", "remote", "error")] == checks
    assert statuses[("storage gone", "orders", "error")] == checks * (ERROR_AFTER + 1)
    # The healthy contract keeps passing while the other catalog is down.
    for phase in ("rest 503", "rest slow", "rest gone", "storage back"):
        assert statuses[(phase, "orders", "pass")] > 0, phase
        assert statuses[(phase, "orders", "error")] == 0, phase
    assert reasons[("remote", "timeout")] >= 1
    assert reasons[("remote", "catalog_unavailable")] >= checks * ERROR_AFTER
    # One "cannot evaluate" per check after K errors, one "can evaluate" when back.
    assert after_503 == Counter({("remote", "cannot_evaluate"): checks})
    assert notices == Counter(
        {
            ("remote", "cannot_evaluate"): checks,
            ("orders", "cannot_evaluate"): checks,
            ("orders", "can_evaluate"): checks,
        }
    )
    assert status.open_incidents == 0


async def test_a_catalog_outage_notifies_no_violation_with_every_check_type(
    lake: Lake, state_url: str, figures: Figures
) -> None:
    async with ContractMonitor(lake.config(state_url)) as monitor:
        results = []
        for _ in range(ERROR_AFTER + 1):
            results += await monitor.run_once(contracts=["remote"])
        incidents = await monitor.store.incidents()
    notices = lake.notices()
    outcomes = Counter((r.check_type.value, r.status.value, r.reason) for r in results)
    figures.update(
        {
            "results": {" / ".join(map(str, k)): v for k, v in sorted(outcomes.items())},
            "notices": {" / ".join(k): v for k, v in sorted(notices.items())},
        }
    )
    violations = [k for k in notices if k[1] not in ("cannot_evaluate", "can_evaluate")]
    assert not violations, (
        f"a catalog that cannot answer was notified as a violation: {violations}; "
        f"results {dict(outcomes)}"
    )
    assert incidents == []
