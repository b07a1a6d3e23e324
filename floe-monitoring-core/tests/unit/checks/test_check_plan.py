"""Which checks a contract implies."""

from __future__ import annotations

from datetime import timedelta

from floe_monitoring.checks import (
    AvailabilityCheck,
    Check,
    CheckType,
    FreshnessCheck,
    SchemaDriftCheck,
    checks_for_contract,
)
from floe_monitoring.contracts import ContractOverrides, parse_contract

CONTRACT = parse_contract(
    """\
apiVersion: v3.2.0
kind: DataContract
id: shop
version: 1.0.0
servers:
  - type: iceberg
    catalog: lake
    namespace: shop
schema:
  - name: orders
    properties:
      - name: id
      - name: updated_at
    quality:
      - metric: rowCount
  - name: customers
    properties:
      - name: id
slaProperties:
  - property: latency
    value: 2
    unit: h
    element: orders.updated_at, customers
  - property: freshness
    value: PT6H
    element: orders.updated_at
  - property: freshness
    value: PT1H
    element: nowhere.col
  - property: availability
    value: 99.5%
    element: orders
  - property: av
    value: 99%
  - property: retention
    value: 1
    unit: y
    element: orders.updated_at
  - property: frequency
    value: 1
    unit: d
  - property: endOfLife
    value: 2040-01-01
"""
)


def test_one_check_per_type_and_element() -> None:
    checks = checks_for_contract(CONTRACT)
    assert [c.key for c in checks] == [
        "shop:freshness:orders.updated_at",  # latency wins over freshness on the same element
        "shop:freshness:customers",
        "shop:freshness:nowhere.col",
        "shop:schema_drift:orders",
        "shop:quality:orders",
        "shop:availability:orders",
        "shop:schema_drift:customers",
        "shop:availability:customers",
        "shop:retention:orders.updated_at",
        "shop:frequency:orders",
        "shop:frequency:customers",
        "shop:lifecycle:*",
    ]
    freshness = {c.element: c for c in checks if isinstance(c, FreshnessCheck)}
    assert freshness["orders.updated_at"].column == "updated_at"
    assert freshness["orders.updated_at"].threshold == timedelta(hours=2)
    assert freshness["customers"].column is None
    assert freshness["nowhere.col"].skip is not None
    targets = {c.object_name: c.target for c in checks if isinstance(c, AvailabilityCheck)}
    assert targets == {"orders": 0.995, "customers": 0.99}


def test_disabled_checks_and_contracts() -> None:
    overrides = ContractOverrides.model_validate({"disabled_checks": ["freshness", "availability"]})
    types = {c.check_type for c in checks_for_contract(CONTRACT, overrides)}
    assert CheckType.FRESHNESS not in types
    assert CheckType.AVAILABILITY not in types
    assert CheckType.SCHEMA_DRIFT in types
    assert checks_for_contract(CONTRACT, ContractOverrides(enabled=False)) == []


def test_previous_observed_schemas_are_handed_to_drift_checks() -> None:
    stored = {"schema_id": 0, "fields": [{"id": 1, "path": "id", "type": "long", "required": True}]}
    checks = checks_for_contract(CONTRACT, previous_observed={"shop:schema_drift:orders": stored})
    drift = {c.object_name: c for c in checks if isinstance(c, SchemaDriftCheck)}
    assert drift["orders"].previous_observed == stored
    assert drift["customers"].previous_observed is None


def test_contract_without_slas_still_gets_table_checks() -> None:
    bare = parse_contract(
        "apiVersion: v3.0.0\nkind: DataContract\nid: bare\nversion: '1'\nschema:\n  - name: t\n"
    )
    assert [c.key for c in checks_for_contract(bare)] == ["bare:availability:t"]


def test_built_checks_satisfy_the_check_protocol() -> None:
    checks: list[Check] = list(checks_for_contract(CONTRACT))
    assert all(isinstance(c.key, str) and c.check_type in CheckType for c in checks)
    assert len({c.key for c in checks}) == len(checks)
