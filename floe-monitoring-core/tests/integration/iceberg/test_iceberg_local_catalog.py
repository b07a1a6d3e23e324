"""The embedded catalog helpers the demo and benchmarks reuse."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from floe_monitoring.catalog import CatalogConfig
from floe_monitoring.catalog.local import create_local_catalog, ensure_namespace, write_table


def test_write_modes_and_nested_namespaces(tmp_path: Path) -> None:
    catalog = create_local_catalog(tmp_path / "lake")
    try:
        schema = pa.schema([pa.field("id", pa.int64(), nullable=False)])
        created = write_table(catalog, "a.b.t", {"id": []}, schema=schema, mode="create")
        assert created.current_snapshot() is None
        assert created.schema().find_field("id").required
        write_table(catalog, "a.b.t", {"id": [1, 2]}, schema=schema)
        table = write_table(catalog, "a.b.t", {"id": [3]}, schema=schema, mode="overwrite")
        assert table.scan().to_arrow().column("id").to_pylist() == [3]
        ensure_namespace(catalog, "a.b")  # already there: no error
        assert ("a", "b") in catalog.list_namespaces(("a",))
        with pytest.raises(ValueError, match="mode must be"):
            write_table(catalog, "a.b.t", {"id": [4]}, schema=schema, mode="upsert")
    finally:
        catalog.close()
    config = CatalogConfig.sqlite(tmp_path / "lake")
    assert config.properties["uri"].endswith("catalog.db")
    assert config.properties["warehouse"].startswith("file://")
