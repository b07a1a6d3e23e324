"""An embedded SQLite Iceberg catalog and table writers, for demos, tests and benchmarks.

Needs the ``iceberg`` extra (PyIceberg with PyArrow and SQLite support). Not imported by
`floe_monitoring.catalog`: import this module explicitly.

Example:
    >>> from floe_monitoring.catalog.local import create_local_catalog, write_table
    >>> catalog = create_local_catalog("/tmp/lake")  # doctest: +SKIP
    >>> write_table(catalog, "sales.orders", {"id": [1, 2]})  # doctest: +SKIP

"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import NamespaceAlreadyExistsError
from pyiceberg.table import Table

from floe_monitoring.catalog.config import CatalogConfig

__all__ = ["create_local_catalog", "ensure_namespace", "write_table"]


def create_local_catalog(directory: str | Path, *, name: str = "default") -> SqlCatalog:
    """Create (or open) a SQLite catalog with a file warehouse under ``directory``.

    Call ``catalog.close()`` when done, to close its SQLite connections.
    """
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    (root / "warehouse").mkdir(exist_ok=True)
    config = CatalogConfig.sqlite(root, name=name)
    properties = {k: v for k, v in config.properties.items() if k != "type"}
    return SqlCatalog(name, **properties)


def ensure_namespace(catalog: SqlCatalog, namespace: str) -> None:
    """Create ``namespace`` (and its parents) if missing."""
    levels = namespace.split(".")
    for depth in range(1, len(levels) + 1):
        with contextlib.suppress(NamespaceAlreadyExistsError):
            catalog.create_namespace(tuple(levels[:depth]))


def write_table(
    catalog: SqlCatalog,
    identifier: str,
    data: pa.Table | Mapping[str, Sequence[Any]],
    *,
    schema: pa.Schema | None = None,
    mode: str = "append",
) -> Table:
    """Write ``data`` to table ``identifier``, creating the namespace and table if needed.

    Args:
        catalog: The catalog to write to.
        identifier: ``namespace.table``.
        data: A PyArrow table, or a mapping of column -> values.
        schema: The Arrow schema for a mapping (required columns use ``nullable=False``).
        mode: ``append`` (a new data snapshot), ``overwrite`` (replace the data) or
            ``create`` (create the table and write nothing: a never-written table).

    """
    if mode not in ("append", "overwrite", "create"):
        raise ValueError(f"mode must be append, overwrite or create, not {mode!r}")
    arrow = data if isinstance(data, pa.Table) else pa.table(dict(data), schema=schema)
    ensure_namespace(catalog, identifier.rsplit(".", 1)[0])
    table = catalog.create_table_if_not_exists(identifier, schema=arrow.schema)
    if mode == "append":
        table.append(arrow)
    elif mode == "overwrite":
        table.overwrite(arrow)
    return table
