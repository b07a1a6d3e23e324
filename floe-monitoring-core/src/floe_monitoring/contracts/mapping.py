"""Map each schema object to its Iceberg table.

Unless the monitor config says otherwise, schema object ``orders`` maps to the table
``<namespace>.<physicalName or name>`` in the catalog the contract's ``iceberg`` server
names; the namespace and catalog fall back to the config's defaults.
"""

from __future__ import annotations

from floe_monitoring.catalog.ref import TableRef
from floe_monitoring.contracts.model import Contract, IcebergServer, SchemaObjectSpec
from floe_monitoring.contracts.overrides import ContractOverrides, ContractsConfig

__all__ = ["map_tables", "select_server"]


def select_server(
    servers: tuple[IcebergServer, ...], wanted: str | None
) -> tuple[IcebergServer | None, str | None]:
    """Choose the iceberg server to use; return it and a warning, if any."""
    if wanted is not None:
        for server in servers:
            if wanted in (server.server, server.environment):
                return server, None
        return None, f"config names iceberg server '{wanted}', which the contract does not have"
    if len(servers) > 1:
        first = servers[0]
        return first, (
            f"{len(servers)} iceberg servers; using the first ('{first.server}'); "
            "set 'server' in the monitor config to choose"
        )
    return (servers[0] if servers else None), None


def map_tables(
    contract: Contract, config: ContractsConfig, overrides: ContractOverrides | None = None
) -> Contract:
    """Return ``contract`` with every schema object's `TableRef` resolved.

    Objects that cannot be mapped (no namespace anywhere, or a bad override) keep
    ``table=None`` and a warning is added; their table checks report ``skipped``.
    """
    overrides = overrides or config.for_contract(contract.id, contract.name)
    server, warning = select_server(contract.iceberg_servers, overrides.server)
    warnings = list(contract.warnings)
    if warning:
        warnings.append(warning)
    catalog = overrides.catalog or (server.catalog if server else None) or config.default_catalog
    namespace = overrides.namespace or (server.namespace if server else None)
    namespace = namespace or config.default_namespace
    objects = []
    for obj in contract.objects:
        ref, problem = _table_for(obj, overrides, catalog, namespace)
        if problem:
            warnings.append(f"schema object '{obj.name}': {problem}")
        objects.append(obj.model_copy(update={"table": ref}))
    return contract.model_copy(
        update={"objects": tuple(objects), "iceberg_server": server, "warnings": tuple(warnings)}
    )


def _table_for(
    obj: SchemaObjectSpec, overrides: ContractOverrides, catalog: str, namespace: str | None
) -> tuple[TableRef | None, str | None]:
    override = overrides.tables.get(obj.name)
    if override is None and obj.physical_name:
        override = overrides.tables.get(obj.physical_name)
    if override is not None:
        return TableRef.parse(override.identifier, catalog=override.catalog or catalog), None
    if not namespace:
        return None, "no Iceberg namespace (contract iceberg server or config default_namespace)"
    levels = tuple(namespace.split("."))
    try:
        return TableRef(catalog=catalog, namespace=levels, name=obj.physical_name or obj.name), None
    except ValueError as exc:
        return None, f"cannot build a table identifier: {exc}"
