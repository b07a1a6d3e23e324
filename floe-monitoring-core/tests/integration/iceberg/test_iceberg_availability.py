"""Availability on real catalogs: loadable, slow, missing, unreachable, silent, misconfigured.

Only a missing table is a failure; a catalog that cannot answer is an error (cannot
evaluate), so a catalog outage never pages for every contract's availability.
"""

from __future__ import annotations

from collections.abc import Callable

from floe_monitoring.catalog import CatalogConfig, IcebergTableSource
from floe_monitoring.checks import AvailabilityCheck, CheckStatus, CheckType, checks_for_contract
from floe_monitoring.contracts import Contract, ContractOverrides, ContractsConfig
from floe_monitoring.sdk.enums import Severity

from .conftest import NOW, FakeRest, Lake

Build = Callable[..., Contract]

BODY = """
schema:
  - name: {table}
slaProperties:
  - property: availability
    value: 99.9%
"""


def _check(contract: Contract, overrides: ContractOverrides | None = None) -> AvailabilityCheck:
    found = [
        c
        for c in checks_for_contract(contract, overrides)
        if c.check_type is CheckType.AVAILABILITY
    ]
    assert len(found) == 1
    assert isinstance(found[0], AvailabilityCheck)
    return found[0]


def _down(build: Build, catalog: str, table: str = "orders") -> Contract:
    return build(
        BODY.format(table=table),
        config=ContractsConfig(defaults=ContractOverrides(catalog=catalog)),
    )


async def test_loadable_table_passes_with_its_latency(
    build_contract: Build, source: IcebergTableSource
) -> None:
    contract = build_contract(BODY.format(table="orders"))
    check = _check(contract)
    result = await check.run(contract, source, lambda: NOW)
    assert result.status is CheckStatus.PASS
    assert check.target == 0.999
    assert result.details["target"] == 0.999
    assert result.measured_value is not None
    assert 0 < result.measured_value < 30
    assert result.unit == "s"


async def test_slow_load_warns(build_contract: Build, source: IcebergTableSource) -> None:
    contract = build_contract(BODY.format(table="orders"))
    tight = ContractOverrides.model_validate({"thresholds": {"availability_latency_seconds": 1e-9}})
    result = await _check(contract, tight).run(contract, source, lambda: NOW)
    assert (result.status, result.severity, result.reason) == (
        CheckStatus.WARN,
        Severity.WARNING,
        "slow",
    )


async def test_missing_table_fails(build_contract: Build, source: IcebergTableSource) -> None:
    contract = build_contract(BODY.format(table="no_such_table"))
    result = await _check(contract).run(contract, source, lambda: NOW)
    assert (result.status, result.severity, result.reason) == (
        CheckStatus.FAIL,
        Severity.ERROR,
        "table_missing",
    )


async def test_unreachable_catalog_is_an_error_not_a_failure(
    build_contract: Build, lake: Lake, unreachable_catalog: CatalogConfig
) -> None:
    contract = _down(build_contract, "down")
    async with IcebergTableSource(lake.source_config(unreachable_catalog)) as down:
        result = await _check(contract).run(contract, down, lambda: NOW)
    assert (result.status, result.severity, result.reason) == (
        CheckStatus.ERROR,
        None,
        "catalog_unavailable",
    )
    assert result.details["error_type"] == "CatalogUnavailableError"
    assert not result.is_violation


async def test_catalog_answering_503_is_an_error_not_a_failure(
    build_contract: Build, lake: Lake, failing_rest: FakeRest
) -> None:
    contract = _down(build_contract, "rest")
    async with IcebergTableSource(lake.source_config(failing_rest.config("rest"))) as rest:
        result = await _check(contract).run(contract, rest, lambda: NOW)
    assert (result.status, result.severity, result.reason) == (
        CheckStatus.ERROR,
        None,
        "catalog_unavailable",
    )
    assert "ServiceUnavailable" in result.message


async def test_silent_catalog_times_out_as_an_error(
    build_contract: Build, lake: Lake, hanging_rest: FakeRest
) -> None:
    contract = _down(build_contract, "rest")
    config = lake.source_config(hanging_rest.config("rest", timeout_seconds=0.2))
    async with IcebergTableSource(config) as rest:
        result = await _check(contract).run(contract, rest, lambda: NOW)
        assert rest.stats("rest").timeouts == 1
    hanging_rest.release.set()
    assert (result.status, result.severity, result.reason) == (CheckStatus.ERROR, None, "timeout")
    assert result.details["error_type"] == "CatalogTimeoutError"


async def test_unconfigured_catalog_is_an_error_and_unmapped_object_is_skipped(
    build_contract: Build, source: IcebergTableSource
) -> None:
    contract = _down(build_contract, "nobody_configured_this")
    result = await _check(contract).run(contract, source, lambda: NOW)
    assert (result.status, result.reason) == (CheckStatus.ERROR, "catalog_not_configured")

    unmapped = build_contract(BODY.format(table="orders"), namespace="")
    assert unmapped.objects[0].table is None
    skipped = await _check(unmapped).run(unmapped, source, lambda: NOW)
    assert (skipped.status, skipped.reason) == (CheckStatus.SKIPPED, "no_table_mapping")
