"""Freshness on real tables: every status, both measuring methods, and the edge cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from floe_monitoring.catalog import CatalogConfig, IcebergTableSource
from floe_monitoring.checks import CheckStatus, CheckType, FreshnessCheck, checks_for_contract
from floe_monitoring.contracts import Contract, ContractOverrides, ContractsConfig
from floe_monitoring.sdk.enums import Severity

from .conftest import NOW, Lake

Build = Callable[..., Contract]
At = Callable[[datetime], Callable[[], datetime]]


def _orders(table: str, sla: str) -> str:
    return f"""
schema:
  - name: {table}
    properties:
      - name: id
      - name: updated_at
        logicalType: timestamp
slaProperties:
{sla}
"""


def _freshness(contract: Contract, overrides: ContractOverrides | None = None) -> FreshnessCheck:
    checks = [
        c for c in checks_for_contract(contract, overrides) if c.check_type is CheckType.FRESHNESS
    ]
    assert len(checks) == 1
    check = checks[0]
    assert isinstance(check, FreshnessCheck)
    return check


LATENCY_2H_SNAPSHOT = "  - property: latency\n    value: 2\n    unit: h"


async def test_fresh_table_passes_from_the_newest_data_snapshot(
    build_contract: Build, source: IcebergTableSource, lake: Lake, at: At
) -> None:
    contract = build_contract(_orders("orders", LATENCY_2H_SNAPSHOT))
    commit = lake.commits["shop.orders"]
    result = await _freshness(contract).run(contract, source, at(commit + timedelta(minutes=30)))
    assert result.status is CheckStatus.PASS
    assert result.severity is None
    assert result.measured_value == 1800.0
    assert result.threshold == 7200.0
    assert result.unit == "s"
    assert result.details["method"] == "snapshot"
    assert result.table == "lake:shop.orders"
    assert result.snapshot_id is not None


async def test_consumed_sla_warns_with_info_then_warning(
    build_contract: Build, source: IcebergTableSource, lake: Lake, at: At
) -> None:
    contract = build_contract(_orders("orders", LATENCY_2H_SNAPSHOT))
    commit = lake.commits["shop.orders"]
    check = _freshness(contract)
    info = await check.run(contract, source, at(commit + timedelta(minutes=100)))  # 83%
    warning = await check.run(contract, source, at(commit + timedelta(minutes=110)))  # 92%
    assert (info.status, info.severity) == (CheckStatus.WARN, Severity.INFO)
    assert (warning.status, warning.severity) == (CheckStatus.WARN, Severity.WARNING)


async def test_breach_fails_with_error_after_the_clock_skew_tolerance(
    build_contract: Build, source: IcebergTableSource, lake: Lake, at: At
) -> None:
    contract = build_contract(_orders("orders", LATENCY_2H_SNAPSHOT))
    commit = lake.commits["shop.orders"]
    check = _freshness(contract)
    within_skew = await check.run(contract, source, at(commit + timedelta(hours=2, seconds=30)))
    breached = await check.run(contract, source, at(commit + timedelta(hours=3)))
    assert within_skew.status is CheckStatus.WARN
    assert (breached.status, breached.severity) == (CheckStatus.FAIL, Severity.ERROR)
    assert breached.reason == "stale"
    assert "breaches" in breached.message


async def test_element_max_comes_from_file_metadata(
    build_contract: Build, source: IcebergTableSource, at: At
) -> None:
    sla = "  - property: freshness\n    value: PT6H\n    element: stale.updated_at"
    contract = build_contract(_orders("stale", sla))
    result = await _freshness(contract).run(contract, source, at(NOW))
    assert result.status is CheckStatus.FAIL
    assert result.details["method"] == "file_metadata"
    assert result.element == "stale.updated_at"
    # The newest row was written 240 h before NOW.
    assert result.measured_value is not None
    assert abs(result.measured_value - 240 * 3600) < 1


async def test_element_of_a_type_without_bounds_falls_back_to_a_scan(
    build_contract: Build, source: IcebergTableSource, at: At
) -> None:
    body = """
schema:
  - name: text_time
    properties:
      - name: ts
        logicalType: string
slaProperties:
  - property: ly
    value: 6
    unit: hours
    element: text_time.ts
"""
    contract = build_contract(body)
    result = await _freshness(contract).run(contract, source, at(NOW))
    assert result.details["method"] == "scan"
    assert result.status is CheckStatus.WARN  # 5 h of 6 h: 83% consumed
    assert result.severity is Severity.INFO


async def test_empty_and_never_written_tables_fail_with_no_data(
    build_contract: Build, source: IcebergTableSource, at: At
) -> None:
    for table in ("never_written", "emptied"):
        contract = build_contract(_orders(table, LATENCY_2H_SNAPSHOT))
        result = await _freshness(contract).run(contract, source, at(NOW))
        assert result.status is CheckStatus.FAIL, table
        assert result.reason == "no_data"
        assert result.severity is Severity.ERROR


async def test_data_from_the_future_beyond_the_skew_warns(
    build_contract: Build, source: IcebergTableSource, lake: Lake, at: At
) -> None:
    contract = build_contract(_orders("orders", LATENCY_2H_SNAPSHOT))
    commit = lake.commits["shop.orders"]
    result = await _freshness(contract).run(contract, source, at(commit - timedelta(minutes=5)))
    assert result.status is CheckStatus.WARN
    assert result.reason == "clock_skew"


async def test_missing_table_fails_and_unreachable_catalog_errors(
    build_contract: Build,
    source: IcebergTableSource,
    lake: Lake,
    unreachable_catalog: CatalogConfig,
    at: At,
) -> None:
    missing = build_contract(_orders("no_such_table", LATENCY_2H_SNAPSHOT))
    gone = await _freshness(missing).run(missing, source, at(NOW))
    assert (gone.status, gone.reason) == (CheckStatus.FAIL, "table_missing")

    routed_to_down = ContractsConfig(contracts={"test-contract": ContractOverrides(catalog="down")})
    contract = build_contract(_orders("orders", LATENCY_2H_SNAPSHOT), config=routed_to_down)
    assert contract.objects[0].table is not None
    assert contract.objects[0].table.catalog == "down"
    async with IcebergTableSource(lake.source_config(unreachable_catalog)) as down:
        result = await _freshness(contract).run(contract, down, at(NOW))
    assert result.status is CheckStatus.ERROR
    assert result.reason == "catalog_unavailable"
    assert result.severity is None


async def test_missing_element_column_is_an_error_not_a_violation(
    build_contract: Build, source: IcebergTableSource, at: At
) -> None:
    body = _orders(
        "orders", "  - property: latency\n    value: 1\n    unit: d\n    element: orders.gone"
    )
    body = body.replace("      - name: id\n", "      - name: id\n      - name: gone\n")
    contract = build_contract(body)
    result = await _freshness(contract).run(contract, source, at(NOW))
    assert (result.status, result.reason) == (CheckStatus.ERROR, "element_missing")


async def test_unusable_sla_and_unknown_element_are_skipped(
    build_contract: Build, source: IcebergTableSource, at: At
) -> None:
    bad_value = build_contract(_orders("orders", "  - property: latency\n    value: soon"))
    skipped = await _freshness(bad_value).run(bad_value, source, at(NOW))
    assert (skipped.status, skipped.reason) == (CheckStatus.SKIPPED, "invalid_sla")
    assert any("soon" in warning for warning in bad_value.warnings)

    unknown = build_contract(
        _orders("orders", "  - property: latency\n    value: 1\n    unit: d\n    element: x.y")
    )
    result = await _freshness(unknown).run(unknown, source, at(NOW))
    assert (result.status, result.reason) == (CheckStatus.SKIPPED, "unknown_element")


async def test_overridden_threshold_replaces_the_sla(
    build_contract: Build, source: IcebergTableSource, lake: Lake, at: At
) -> None:
    contract = build_contract(_orders("orders", LATENCY_2H_SNAPSHOT))
    overrides = ContractOverrides.model_validate(
        {"thresholds": {"freshness": "PT10M", "clock_skew_seconds": 0}}
    )
    commit = lake.commits["shop.orders"]
    result = await _freshness(contract, overrides).run(
        contract, source, at(commit + timedelta(minutes=11))
    )
    assert result.status is CheckStatus.FAIL
    assert result.threshold == 600.0
    assert result.started_at == (commit + timedelta(minutes=11)).astimezone(UTC)
