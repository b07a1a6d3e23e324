"""Catalog access: Iceberg tables through PyIceberg, never on the event loop.

Importing this package does not import PyIceberg: it is imported when a catalog is first
loaded. The embedded SQLite helpers live in `floe_monitoring.catalog.local` (import it
explicitly; it needs the ``iceberg`` extra).
"""

from floe_monitoring.catalog.config import CatalogConfig, TableSourceConfig
from floe_monitoring.catalog.discovery import (
    DiscoveryResult,
    discover_tables,
    list_catalog_tables,
)
from floe_monitoring.catalog.ref import TableRef
from floe_monitoring.catalog.source import (
    CatalogLike,
    CatalogStats,
    IcebergTableSource,
    TableSource,
)

__all__ = [
    "CatalogConfig",
    "CatalogLike",
    "CatalogStats",
    "DiscoveryResult",
    "IcebergTableSource",
    "TableRef",
    "TableSource",
    "TableSourceConfig",
    "discover_tables",
    "list_catalog_tables",
]
