"""Per-contract overrides and the table mapping they steer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from floe_monitoring.catalog import TableRef
from floe_monitoring.contracts import (
    DEFAULT_INTERVALS,
    ContractOverrides,
    ContractsConfig,
    map_tables,
    parse_contract,
)

CONTRACT = """\
apiVersion: v3.2.0
kind: DataContract
id: orders
name: Orders
version: 1.0.0
servers:
  - server: dev
    environment: development
    type: iceberg
    catalog: dev_lake
    namespace: sales_dev
  - server: prod
    environment: production
    type: iceberg
    catalog: lake
    namespace: sales
schema:
  - name: orders
    physicalName: orders_v2
  - name: customers
"""


def test_specification_default_intervals() -> None:
    overrides = ContractOverrides()
    assert overrides.interval("freshness") == timedelta(minutes=15)
    assert overrides.interval("schema_drift") == timedelta(hours=1)
    assert overrides.interval("quality") == timedelta(hours=6)
    assert overrides.interval("availability") == timedelta(minutes=5)
    assert set(DEFAULT_INTERVALS) == {
        "freshness",
        "schema_drift",
        "quality",
        "availability",
        "retention",
        "frequency",
        "lifecycle",
    }
    with pytest.raises(KeyError):
        overrides.interval("nope")


def test_overrides_parse_durations_percentages_and_channels() -> None:
    overrides = ContractOverrides.model_validate(
        {
            "intervals": {"freshness": "PT5M", "quality": "2 h", "availability": 30},
            "thresholds": {"freshness": "PT1H", "availability_target": "99.5%"},
            "channels": ["slack-data", "pagerduty"],
            "disabled_checks": ["quality"],
            "timeout_seconds": 10,
        }
    )
    assert overrides.interval("freshness") == timedelta(minutes=5)
    assert overrides.interval("quality") == timedelta(hours=2)
    assert overrides.interval("availability") == timedelta(seconds=30)
    assert overrides.thresholds.freshness == timedelta(hours=1)
    assert overrides.thresholds.availability_target == 0.995
    assert overrides.channels == ("slack-data", "pagerduty")
    assert not overrides.is_enabled("quality")
    assert overrides.is_enabled("freshness")


@pytest.mark.parametrize(
    "data",
    [
        {"intervals": {"nonsense": "PT5M"}},
        {"thresholds": {"info_ratio": 0.95, "warning_ratio": 0.9}},
        {"thresholds": {"min_quality_score": 2}},
        {"unknown": 1},
        {"tables": {"orders": {"identifier": "no_namespace"}}},
    ],
)
def test_invalid_overrides_are_rejected(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ContractOverrides.model_validate(data)


def test_config_merges_defaults_with_the_contract_entry() -> None:
    config = ContractsConfig.model_validate(
        {
            "defaults": {
                "intervals": {"freshness": "PT10M"},
                "thresholds": {"clock_skew_seconds": 30, "allow_extra_columns": True},
                "channels": ["slack"],
            },
            "contracts": {
                "orders": {
                    "intervals": {"quality": "PT1H"},
                    "thresholds": {"clock_skew_seconds": 5},
                }
            },
        }
    )
    merged = config.for_contract("orders")
    assert merged.interval("freshness") == timedelta(minutes=10)
    assert merged.interval("quality") == timedelta(hours=1)
    assert merged.thresholds.clock_skew_seconds == 5
    assert merged.thresholds.allow_extra_columns is True
    assert merged.channels == ("slack",)
    assert config.for_contract("other") == config.defaults
    assert config.for_contract("unknown-id", "orders") == merged  # by name, too


def test_first_iceberg_server_is_used_and_the_choice_is_reported() -> None:
    contract = parse_contract(CONTRACT)
    assert contract.objects[0].table == TableRef(
        catalog="dev_lake", namespace=("sales_dev",), name="orders_v2"
    )
    assert any("2 iceberg servers" in w for w in contract.warnings)


def test_config_chooses_the_server_by_name_or_environment() -> None:
    for wanted in ("prod", "production"):
        config = ContractsConfig(defaults=ContractOverrides(server=wanted))
        contract = parse_contract(CONTRACT, config=config)
        assert contract.objects[1].table == TableRef(
            catalog="lake", namespace=("sales",), name="customers"
        )
        assert not contract.warnings


def test_config_overrides_catalog_namespace_and_single_tables() -> None:
    config = ContractsConfig.model_validate(
        {
            "contracts": {
                "orders": {
                    "catalog": "rest",
                    "namespace": "eu.sales",
                    "tables": {"customers": {"identifier": "crm.people", "catalog": "crm"}},
                }
            }
        }
    )
    contract = parse_contract(CONTRACT, config=config)
    orders, customers = (o.table for o in contract.objects)
    assert orders == TableRef(catalog="rest", namespace=("eu", "sales"), name="orders_v2")
    assert customers == TableRef(catalog="crm", namespace=("crm",), name="people")


def test_defaults_apply_when_the_contract_has_no_iceberg_server() -> None:
    text = CONTRACT.split("servers:")[0] + "schema:\n  - name: orders\n"
    unmapped = parse_contract(text)
    assert unmapped.objects[0].table is None
    assert any("no Iceberg namespace" in w for w in unmapped.warnings)

    config = ContractsConfig(default_catalog="embedded", default_namespace="analytics")
    mapped = map_tables(unmapped, config)
    assert mapped.objects[0].table == TableRef(
        catalog="embedded", namespace=("analytics",), name="orders"
    )


def test_unknown_server_choice_leaves_tables_to_defaults() -> None:
    config = ContractsConfig(
        default_namespace="fallback", defaults=ContractOverrides(server="staging")
    )
    contract = parse_contract(CONTRACT, config=config)
    assert contract.iceberg_server is None
    assert contract.objects[0].table == TableRef(
        catalog="default", namespace=("fallback",), name="orders_v2"
    )
    assert any("'staging'" in w for w in contract.warnings)


def test_table_ref_parsing() -> None:
    ref = TableRef.parse("a.b.c", catalog="lake")
    assert (ref.namespace, ref.name, ref.identifier, str(ref)) == (
        ("a", "b"),
        "c",
        "a.b.c",
        "lake:a.b.c",
    )
    with pytest.raises(ValueError, match="needs a namespace"):
        TableRef.parse("orders", catalog="lake")
    with pytest.raises(ValueError, match="must not be empty"):
        TableRef.parse("a..c", catalog="lake")
