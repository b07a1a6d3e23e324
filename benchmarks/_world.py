"""Worlds the engine scenarios run in: contracts on disk, an instant table source, configs.

The instant source answers every `with_table` by calling the check's function on one
real PyIceberg table that was loaded into memory once: no catalog, no file I/O, no
thread hop. What is left to measure is the engine (scheduler, checks' own logic,
incident tracking, routing, the state store's writes) and nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

CHECK_TYPES = ("freshness", "schema_drift", "quality", "availability")

#: One schema object, four checks (freshness, schema drift, quality, availability), all
#: answered from table metadata: latency from the newest data snapshot, rowCount from the
#: snapshot summary.
CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: urn:datacontract:bench:{name}
name: {name}
version: 1.0.0
status: active
domain: bench
servers:
  - server: lake
    type: iceberg
    catalog: default
    namespace: bench
schema:
  - name: {table}
    properties:
      - name: id
        logicalType: integer
        physicalType: long
        required: true
      - name: updated_at
        logicalType: timestamp
      - name: amount
        logicalType: number
    quality:
      - id: not_empty
        metric: rowCount
        mustBeGreaterThan: 0
slaProperties:
  - property: latency
    value: {latency_value}
    unit: {latency_unit}
"""


def write_contracts(
    folder: Path,
    count: int,
    *,
    table: Callable[[int], str] = lambda i: "events",
    latency: tuple[int, str] = (3650, "d"),
    prefix: str = "c",
) -> list[str]:
    """Write `count` contract files; returns their names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for index in range(count):
        name = f"{prefix}{index:05d}"
        text = CONTRACT.format(
            name=name, table=table(index), latency_value=latency[0], latency_unit=latency[1]
        )
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
        names.append(name)
    return names


def make_lake(root: Path, tables: Iterable[str], *, rows: int = 100) -> None:
    """A local SQLite Iceberg catalog with `bench.<name>` tables, one data snapshot each."""
    import pyarrow as pa

    from floe_monitoring.catalog.local import create_local_catalog, write_table

    schema = pa.schema(
        [
            pa.field("id", pa.int64(), nullable=False),
            pa.field("updated_at", pa.timestamp("us", tz="UTC")),
            pa.field("amount", pa.float64()),
        ]
    )
    now = datetime.now(UTC)
    data = {
        "id": list(range(rows)),
        "updated_at": [now - timedelta(minutes=i) for i in range(rows)],
        "amount": [float(i) for i in range(rows)],
    }
    catalog = create_local_catalog(root)
    try:
        for name in tables:
            write_table(catalog, f"bench.{name}", data, schema=schema)
    finally:
        catalog.close()


def load_table(root: Path, identifier: str = "bench.events") -> Any:
    from floe_monitoring.catalog.local import create_local_catalog

    catalog = create_local_catalog(root)
    try:
        return catalog.load_table(identifier)
    finally:
        catalog.close()


def aged(table: Any, hours: float) -> Any:
    """The same table with every snapshot committed `hours` earlier (in memory only)."""
    from pyiceberg.table import Table

    shift = int(hours * 3_600_000)
    snapshots = [
        s.model_copy(update={"timestamp_ms": s.timestamp_ms - shift})
        for s in table.metadata.snapshots
    ]
    metadata = table.metadata.model_copy(update={"snapshots": snapshots})
    return Table(table._identifier, metadata, table.metadata_location, table.io, table.catalog)


class InstantTableSource:
    """A `TableSource` that hands every check the same in-memory table, at once."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self.calls = 0

    async def with_table(
        self, ref: Any, fn: Callable[[Any], T], *, call_timeout: float | None = None
    ) -> T:
        self.calls += 1
        return fn(self.table)

    async def probe(self, ref: Any, *, call_timeout: float | None = None) -> float:
        self.calls += 1
        began = time.perf_counter()
        return time.perf_counter() - began


def state_url(workdir: Path) -> str:
    return f"sqlite+aiosqlite:///{workdir / 'state.db'}"
