"""A small real world for the engine: an Iceberg lake, contract files, a webhook receiver."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from pydantic import SecretStr

from floe_monitoring.catalog.local import create_local_catalog, write_table
from floe_monitoring.config import CatalogEntry, ChannelEntry, MonitorConfig, StateConfig
from floe_monitoring.routing import RoutingRule
from floe_monitoring.scheduling import ManualClock
from floe_testing_kit import FakeHTTPServer, RecordedRequest

ORDERS = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("updated_at", pa.timestamp("us", tz="UTC")),
        pa.field("amount", pa.float64()),
    ]
)

CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: urn:datacontract:sales:orders
name: orders
version: 1.0.0
status: active
domain: sales
servers:
  - server: lake
    type: iceberg
    catalog: default
    namespace: sales
schema:
  - name: orders
    properties:
      - name: id
        logicalType: integer
        physicalType: long
        required: true
      - name: updated_at
        logicalType: timestamp
      - name: amount
        logicalType: number
slaProperties:
  - property: latency
    value: 1
    unit: h
    element: orders.updated_at
"""


@dataclass
class World:
    """The lake, the contract folder, the receiver and a config tying them together."""

    root: Path
    receiver: FakeHTTPServer
    clock: ManualClock
    config: MonitorConfig

    def write_orders(self, updated_at: datetime, *, rows: int = 3) -> None:
        catalog = create_local_catalog(self.root / "lake")
        data = {
            "id": list(range(rows)),
            "updated_at": [updated_at] * rows,
            "amount": [10.0] * rows,
        }
        write_table(catalog, "sales.orders", data, schema=ORDERS)
        catalog.close()

    def received(self) -> list[dict[str, Any]]:
        """Every event the receiver accepted, as JSON."""
        return [_event(r) for r in self.receiver.requests]


def _event(request: RecordedRequest) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.body)
    return body


@pytest.fixture
async def world(tmp_path: Path, state_url: str) -> AsyncIterator[World]:
    clock = ManualClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "orders.yaml").write_text(CONTRACT)
    async with FakeHTTPServer() as receiver:
        config = MonitorConfig(
            contracts=("contracts/*.yaml",),
            catalog=CatalogEntry(
                properties={
                    "type": "sql",
                    "uri": f"sqlite:///{tmp_path / 'lake' / 'catalog.db'}",
                    "warehouse": (tmp_path / "lake" / "warehouse").as_uri(),
                }
            ),
            state=StateConfig(url=SecretStr(state_url)),
            channels={
                "hook": ChannelEntry.model_validate(
                    {
                        "type": "webhook",
                        "url": f"{receiver.url}/events",
                        "mode": "json",
                        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                        "allow_insecure_http": True,
                    }
                )
            },
            routing=(RoutingRule(channel="hook"),),
            base_dir=tmp_path,
        )
        world = World(tmp_path, receiver, clock, config)
        world.write_orders(clock.now() - timedelta(minutes=10))
        yield world


Advance = Callable[[World, timedelta], Any]
