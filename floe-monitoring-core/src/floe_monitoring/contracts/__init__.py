"""Contracts: load ODCS v3 files and extract what the monitor needs from them.

Importing this package never imports PyIceberg, PyArrow or DuckDB.

Example:
    >>> from floe_monitoring.contracts import load_contracts
    >>> result = load_contracts("contracts/")  # doctest: +SKIP
    >>> [c.name for c in result.contracts], [str(e) for e in result.errors]  # doctest: +SKIP

"""

from floe_monitoring.contracts.loader import (
    CONTRACT_SUFFIXES,
    ContractLoadResult,
    contract_from_dict,
    load_contract,
    load_contracts,
    parse_contract,
)
from floe_monitoring.contracts.mapping import map_tables
from floe_monitoring.contracts.model import (
    Contract,
    IcebergServer,
    PropertySpec,
    QualityRule,
    SchemaObjectSpec,
    SlaProperty,
)
from floe_monitoring.contracts.overrides import (
    DEFAULT_INTERVALS,
    CheckThresholds,
    CheckTypeName,
    ContractOverrides,
    ContractsConfig,
    TableOverride,
)
from floe_monitoring.contracts.sla import (
    SLA_SYNONYMS,
    canonical_sla_name,
    parse_date,
    parse_duration,
    parse_percent,
)
from floe_monitoring.contracts.yaml_loader import ContractYamlLoader, load_yaml_with_lines

__all__ = [
    "CONTRACT_SUFFIXES",
    "DEFAULT_INTERVALS",
    "SLA_SYNONYMS",
    "CheckThresholds",
    "CheckTypeName",
    "Contract",
    "ContractLoadResult",
    "ContractOverrides",
    "ContractYamlLoader",
    "ContractsConfig",
    "IcebergServer",
    "PropertySpec",
    "QualityRule",
    "SchemaObjectSpec",
    "SlaProperty",
    "TableOverride",
    "canonical_sla_name",
    "contract_from_dict",
    "load_contract",
    "load_contracts",
    "load_yaml_with_lines",
    "map_tables",
    "parse_contract",
    "parse_date",
    "parse_duration",
    "parse_percent",
]
