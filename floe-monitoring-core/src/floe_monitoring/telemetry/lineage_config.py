"""`LineageConfig`: where OpenLineage events go and how datasets and jobs are named.

Naming (see docs/observability.md):

- job: namespace ``namespace`` (default ``floe-monitoring``, or ``OPENLINEAGE_NAMESPACE``),
  name = the contract id; one run per contract evaluation, job type ``TEST``;
- dataset: one input per Iceberg table checked, namespace ``dataset_namespaces[catalog]``
  (default ``iceberg://<catalog>``), name = the table identifier (``ns.table``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from floe_monitoring.catalog.config import TableSourceConfig

__all__ = ["DEFAULT_JOB_NAMESPACE", "LineageConfig", "lineage_configured_in_env"]

DEFAULT_JOB_NAMESPACE = "floe-monitoring"


def lineage_configured_in_env(environ: Mapping[str, str] | None = None) -> bool:
    """True when the standard ``OPENLINEAGE_*`` variables configure a transport."""
    env = os.environ if environ is None else environ
    if env.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
        return False
    return bool(
        env.get("OPENLINEAGE_URL")
        or env.get("OPENLINEAGE_CONFIG")
        or any(key.startswith("OPENLINEAGE__TRANSPORT") for key in env)
    )


class LineageConfig(BaseModel):
    """OpenLineage settings of one monitor.

    Attributes:
        namespace: The job namespace (the monitor instance, like an Airflow namespace).
        transport: An OpenLineage transport config (``{"type": "http", "url": ...}``),
            as the client's ``transport`` section; None reads ``OPENLINEAGE_URL``,
            ``OPENLINEAGE__TRANSPORT__*`` or ``openlineage.yml`` as the client does.
        dataset_namespaces: OpenLineage dataset namespace per catalog name.
        catalog_types: Catalog type per catalog name (``sql``, ``rest``, ``glue``...),
            for the ``catalog`` dataset facet.
        catalog_warehouses: Warehouse location per catalog name, for the same facet.
        queue_size: Evaluations waiting to be sent; beyond, new ones are dropped (counted).
        log_interval_seconds: At most one warning per interval while the backend fails.
        close_timeout_seconds: How long `shutdown` waits for queued events.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    namespace: str = Field(default=DEFAULT_JOB_NAMESPACE, min_length=1)
    transport: dict[str, Any] | None = Field(default=None, repr=False)  # may hold an API key
    dataset_namespaces: dict[str, str] = Field(default_factory=dict)
    catalog_types: dict[str, str] = Field(default_factory=dict)
    catalog_warehouses: dict[str, str] = Field(default_factory=dict)
    queue_size: int = Field(default=1000, ge=1)
    log_interval_seconds: float = Field(default=300.0, ge=0)
    close_timeout_seconds: float = Field(default=5.0, ge=0)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LineageConfig | None:
        """The config the standard variables ask for, or None when they configure nothing.

        ``OPENLINEAGE_NAMESPACE`` sets the job namespace; the transport is left to the
        client, which reads the other variables itself.
        """
        env = os.environ if environ is None else environ
        if not lineage_configured_in_env(env):
            return None
        return cls(namespace=env.get("OPENLINEAGE_NAMESPACE") or DEFAULT_JOB_NAMESPACE)

    def with_catalogs(self, source: TableSourceConfig) -> LineageConfig:
        """A copy that describes the monitor's catalogs (type and warehouse, never the URI).

        The catalog URI is left out on purpose: a SQL catalog's URI may hold a password.
        """
        types = {c.name: c.properties.get("type", "rest") for c in source.catalogs}
        warehouses = {
            c.name: c.properties["warehouse"]
            for c in source.catalogs
            if "warehouse" in c.properties
        }
        return self.model_copy(
            update={
                "catalog_types": {**types, **self.catalog_types},
                "catalog_warehouses": {**warehouses, **self.catalog_warehouses},
            }
        )

    def dataset_namespace(self, catalog: str) -> str:
        """The OpenLineage dataset namespace of tables in ``catalog``."""
        return self.dataset_namespaces.get(catalog) or f"iceberg://{catalog}"
