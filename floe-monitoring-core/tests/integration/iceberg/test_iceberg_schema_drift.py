"""Schema drift on real, evolved tables: each kind of change, nested fields, history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from floe_monitoring.catalog import CatalogConfig, IcebergTableSource
from floe_monitoring.checks import CheckResult, CheckStatus, SchemaDriftCheck
from floe_monitoring.contracts import Contract, ContractOverrides, ContractsConfig
from floe_monitoring.sdk.enums import Severity

from .conftest import DRIFT_PROPERTIES, NOW, Lake

Build = Callable[..., Contract]
At = Callable[[datetime], Callable[[], datetime]]


def _contract(
    build: Build, table: str, properties: str = DRIFT_PROPERTIES, **kw: object
) -> Contract:
    return build(f"schema:\n  - name: {table}\n{properties}", namespace="drift", **kw)


async def _run(
    build: Build,
    source: IcebergTableSource,
    table: str,
    *,
    properties: str = DRIFT_PROPERTIES,
    previous: dict[str, Any] | None = None,
    overrides: ContractOverrides | None = None,
) -> CheckResult:
    contract = _contract(build, table, properties)
    check = SchemaDriftCheck(contract.id, object_name=table, overrides=overrides)
    return await check.with_previous(previous).run(contract, source, lambda: NOW)


def _kinds(result: CheckResult) -> set[tuple[str, str]]:
    changes = result.details["changes"]
    assert isinstance(changes, list)
    return {(str(c["path"]), str(c["kind"])) for c in changes if isinstance(c, dict)}


async def test_unchanged_table_passes_and_reports_its_observed_schema(
    build_contract: Build, source: IcebergTableSource
) -> None:
    result = await _run(build_contract, source, "same")
    assert result.status is CheckStatus.PASS
    assert result.measured_value == 0.0
    assert result.observed_schema is not None
    assert result.observed_schema_fingerprint is not None
    assert result.observed_schema_fingerprint.startswith("sha256:")
    fields = result.observed_schema["fields"]
    assert isinstance(fields, list)
    paths = {f["path"] for f in fields if isinstance(f, dict)}
    assert {"id", "addr.city", "tags.element", "attrs.key", "attrs.value"} <= paths


async def test_added_column_warns(build_contract: Build, source: IcebergTableSource) -> None:
    result = await _run(build_contract, source, "added")
    assert (result.status, result.severity) == (CheckStatus.WARN, Severity.WARNING)
    assert _kinds(result) == {("extra", "added")}


async def test_added_column_passes_when_extra_columns_are_allowed(
    build_contract: Build, source: IcebergTableSource
) -> None:
    allow = ContractOverrides.model_validate({"thresholds": {"allow_extra_columns": True}})
    result = await _run(build_contract, source, "added", overrides=allow)
    assert result.status is CheckStatus.PASS
    assert result.details["notes"] == ["extra column extra (allowed)"]


async def test_dropped_column_is_critical(
    build_contract: Build, source: IcebergTableSource
) -> None:
    result = await _run(build_contract, source, "dropped")
    assert (result.status, result.severity) == (CheckStatus.FAIL, Severity.CRITICAL)
    assert _kinds(result) == {("name", "removed")}
    assert result.reason == "removed"


async def test_safe_widening_is_a_warning(
    build_contract: Build, source: IcebergTableSource
) -> None:
    result = await _run(build_contract, source, "widened")
    assert (result.status, result.severity) == (CheckStatus.WARN, Severity.WARNING)
    assert _kinds(result) == {("age", "widened")}


async def test_narrowing_by_replacement_is_a_type_change(
    build_contract: Build, source: IcebergTableSource
) -> None:
    previous = await _run(build_contract, source, "same")
    result = await _run(build_contract, source, "narrowed", previous=previous.observed_schema)
    assert (result.status, result.severity) == (CheckStatus.FAIL, Severity.ERROR)
    # long -> int, and required -> optional since the new column is optional.
    assert _kinds(result) == {("id", "nullability"), ("id", "type_changed")}
    since = result.details["changes_since_last_run"]
    assert isinstance(since, list)
    assert "removed id" in since  # the old field id is gone: a replacement, not an update
    assert any(str(s).startswith("added id") for s in since)


async def test_rename_is_detected_by_field_id(
    build_contract: Build, source: IcebergTableSource
) -> None:
    result = await _run(build_contract, source, "renamed")
    assert (result.status, result.severity) == (CheckStatus.FAIL, Severity.ERROR)
    assert _kinds(result) == {("name", "renamed")}  # not a removal plus an addition
    assert "full_name" in result.message


async def test_nullability_change_warns(build_contract: Build, source: IcebergTableSource) -> None:
    result = await _run(build_contract, source, "nullable")
    assert (result.status, result.severity) == (CheckStatus.WARN, Severity.WARNING)
    assert _kinds(result) == {("id", "nullability")}


async def test_nested_struct_fields_are_compared(
    build_contract: Build, source: IcebergTableSource
) -> None:
    result = await _run(build_contract, source, "nested")
    assert result.status is CheckStatus.FAIL
    assert _kinds(result) == {("addr.zip", "removed"), ("addr.country", "added")}


async def test_compliant_change_since_last_run_is_reported(
    build_contract: Build, source: IcebergTableSource
) -> None:
    allow = ContractOverrides.model_validate({"thresholds": {"allow_extra_columns": True}})
    before = await _run(build_contract, source, "same")
    after = await _run(
        build_contract, source, "added", previous=before.observed_schema, overrides=allow
    )
    assert (after.status, after.severity) == (CheckStatus.WARN, Severity.INFO)
    assert after.details["changed_since_last_run"] is True
    assert after.details["changes_since_last_run"] == ["added extra"]
    assert after.observed_schema_fingerprint != before.observed_schema_fingerprint


async def test_same_instance_remembers_the_last_observed_schema(
    build_contract: Build, source: IcebergTableSource
) -> None:
    contract = _contract(build_contract, "same")
    check = SchemaDriftCheck(contract.id, object_name="same")
    first = await check.run(contract, source, lambda: NOW)
    second = await check.run(contract, source, lambda: NOW)
    assert first.status is second.status is CheckStatus.PASS
    assert second.details["changed_since_last_run"] is False
    assert check.previous_observed == second.observed_schema


async def test_physical_type_mismatch_and_logical_type_mismatch(
    build_contract: Build, source: IcebergTableSource
) -> None:
    properties = DRIFT_PROPERTIES.replace(
        "physicalType: float", "physicalType: decimal(10, 2)"
    ).replace(
        "      - name: name\n        logicalType: string",
        "      - name: name\n        logicalType: date",
    )
    result = await _run(build_contract, source, "same", properties=properties)
    assert result.status is CheckStatus.FAIL
    assert _kinds(result) == {("score", "type_changed"), ("name", "type_changed")}


async def test_missing_table_is_critical_and_no_properties_is_skipped(
    build_contract: Build, source: IcebergTableSource
) -> None:
    gone = await _run(build_contract, source, "no_such_table")
    assert (gone.status, gone.severity, gone.reason) == (
        CheckStatus.FAIL,
        Severity.CRITICAL,
        "table_missing",
    )
    contract = build_contract("schema:\n  - name: same\n", namespace="drift")
    skipped = await SchemaDriftCheck(contract.id, object_name="same").run(
        contract, source, lambda: NOW
    )
    assert (skipped.status, skipped.reason) == (CheckStatus.SKIPPED, "no_properties")


async def test_unreachable_catalog_is_an_error(
    build_contract: Build, lake: Lake, unreachable_catalog: CatalogConfig
) -> None:
    config = ContractsConfig(defaults=ContractOverrides(catalog="down"))
    contract = _contract(build_contract, "same", config=config)
    async with IcebergTableSource(lake.source_config(unreachable_catalog)) as down:
        result = await SchemaDriftCheck(contract.id, object_name="same").run(
            contract, down, lambda: NOW
        )
    assert (result.status, result.reason) == (CheckStatus.ERROR, "catalog_unavailable")
    assert result.observed_schema is None
