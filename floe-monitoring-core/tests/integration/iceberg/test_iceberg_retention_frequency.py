"""Retention and frequency on real tables, and lifecycle run through the real source."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from floe_monitoring.catalog import CatalogConfig, IcebergTableSource
from floe_monitoring.checks import (
    BaseCheck,
    CheckStatus,
    CheckType,
    FrequencyCheck,
    RetentionCheck,
    checks_for_contract,
)
from floe_monitoring.contracts import Contract, ContractOverrides, ContractsConfig
from floe_monitoring.sdk.enums import Severity

from .conftest import NOW, Lake

Build = Callable[..., Contract]
At = Callable[[datetime], Callable[[], datetime]]
NO_SKEW = ContractOverrides.model_validate({"thresholds": {"clock_skew_seconds": 0}})


def _body(table: str, sla: str) -> str:
    return f"""
schema:
  - name: {table}
    properties:
      - name: id
      - name: updated_at
slaProperties:
{sla}
"""


def _one(
    contract: Contract, kind: CheckType, overrides: ContractOverrides | None = None
) -> BaseCheck:
    found = [c for c in checks_for_contract(contract, overrides) if c.check_type is kind]
    assert len(found) == 1
    return found[0]


RETAIN_20_DAYS = (
    "  - property: retention\n    value: 20\n    unit: d\n    element: {table}.updated_at"
)


async def test_retention_pass_and_kept_too_long(
    build_contract: Build, source: IcebergTableSource, at: At
) -> None:
    contract = build_contract(_body("stale", RETAIN_20_DAYS.format(table="stale")))
    check = _one(contract, CheckType.RETENTION)
    assert isinstance(check, RetentionCheck)
    ok = await check.run(contract, source, at(NOW))
    assert ok.status is CheckStatus.PASS  # 250 h of history, 20 days promised, table is new
    assert ok.details["method"] == "file_metadata"
    late = await check.run(contract, source, at(NOW + timedelta(days=30)))
    assert (late.status, late.severity, late.reason) == (
        CheckStatus.WARN,
        Severity.INFO,
        "kept_too_long",
    )


async def test_regulatory_retention_fails_when_data_is_kept_too_long(
    build_contract: Build, source: IcebergTableSource, at: At
) -> None:
    sla = RETAIN_20_DAYS.format(table="stale") + "\n    driver: regulatory"
    contract = build_contract(_body("stale", sla))
    result = await _one(contract, CheckType.RETENTION).run(
        contract, source, at(NOW + timedelta(days=30))
    )
    assert (result.status, result.severity) == (CheckStatus.FAIL, Severity.ERROR)


async def test_retention_fails_when_data_was_purged_early(
    build_contract: Build, source: IcebergTableSource, at: At
) -> None:
    sla = "  - property: re\n    value: P4D\n    element: purged.updated_at"
    contract = build_contract(_body("purged", sla))
    check = _one(contract, CheckType.RETENTION, NO_SKEW)
    too_young = await check.run(contract, source, at(NOW + timedelta(days=3, hours=12)))
    purged = await check.run(contract, source, at(NOW + timedelta(days=5)))
    assert too_young.status is CheckStatus.PASS  # the table is younger than the period
    assert (purged.status, purged.severity, purged.reason) == (
        CheckStatus.FAIL,
        Severity.ERROR,
        "purged_early",
    )
    assert purged.measured_value is not None
    assert abs(purged.measured_value - 2 * 86_400) < 3_700


async def test_retention_skipped_error_and_no_data(
    build_contract: Build,
    source: IcebergTableSource,
    lake: Lake,
    unreachable_catalog: CatalogConfig,
    at: At,
) -> None:
    no_element = build_contract(
        _body("stale", "  - property: retention\n    value: 1\n    unit: y")
    )
    skipped = await _one(no_element, CheckType.RETENTION).run(no_element, source, at(NOW))
    assert (skipped.status, skipped.reason) == (CheckStatus.SKIPPED, "no_element")

    empty = build_contract(_body("emptied", RETAIN_20_DAYS.format(table="emptied")))
    nothing = await _one(empty, CheckType.RETENTION).run(empty, source, at(NOW))
    assert (nothing.status, nothing.reason) == (CheckStatus.FAIL, "no_data")

    config = ContractsConfig(defaults=ContractOverrides(catalog="down"))
    down_contract = build_contract(
        _body("stale", RETAIN_20_DAYS.format(table="stale")), config=config
    )
    async with IcebergTableSource(lake.source_config(unreachable_catalog)) as down:
        error = await _one(down_contract, CheckType.RETENTION).run(down_contract, down, at(NOW))
    assert (error.status, error.reason) == (CheckStatus.ERROR, "catalog_unavailable")


FREQUENCY_1H = "  - property: frequency\n    value: 1\n    unit: h"


async def test_frequency_pass_warn_fail(
    build_contract: Build, source: IcebergTableSource, lake: Lake, at: At
) -> None:
    contract = build_contract(_body("orders", FREQUENCY_1H))
    check = _one(contract, CheckType.FREQUENCY, NO_SKEW)
    assert isinstance(check, FrequencyCheck)
    last = lake.commits["shop.orders"]
    ok = await check.run(contract, source, at(last + timedelta(minutes=10)))
    due = await check.run(contract, source, at(last + timedelta(minutes=51)))
    late = await check.run(contract, source, at(last + timedelta(minutes=61)))
    assert ok.status is CheckStatus.PASS
    assert ok.details["commits_inspected"] == 2
    assert (due.status, due.severity) == (CheckStatus.WARN, Severity.INFO)
    assert (late.status, late.severity, late.reason) == (CheckStatus.FAIL, Severity.ERROR, "late")


async def test_frequency_skipped_no_data_and_error(
    build_contract: Build,
    source: IcebergTableSource,
    lake: Lake,
    unreachable_catalog: CatalogConfig,
    at: At,
) -> None:
    one = build_contract(_body("one_commit", FREQUENCY_1H))
    skipped = await _one(one, CheckType.FREQUENCY).run(
        one, source, at(lake.commits["shop.one_commit"])
    )
    assert (skipped.status, skipped.reason) == (CheckStatus.SKIPPED, "not_enough_history")

    never = build_contract(_body("never_written", FREQUENCY_1H))
    nothing = await _one(never, CheckType.FREQUENCY).run(never, source, at(NOW))
    assert (nothing.status, nothing.reason) == (CheckStatus.FAIL, "no_data")

    config = ContractsConfig(defaults=ContractOverrides(catalog="down"))
    down_contract = build_contract(_body("orders", FREQUENCY_1H), config=config)
    async with IcebergTableSource(lake.source_config(unreachable_catalog)) as down:
        error = await _one(down_contract, CheckType.FREQUENCY).run(down_contract, down, at(NOW))
    assert (error.status, error.reason) == (CheckStatus.ERROR, "catalog_unavailable")


async def test_lifecycle_runs_against_the_real_source_without_touching_it(
    build_contract: Build, source: IcebergTableSource, at: At
) -> None:
    sla = (
        "  - property: es\n    value: 2031-01-01\n  - property: el\n    value: 2032-01-01T00:00:00Z"
    )
    contract = build_contract(_body("orders", sla))
    check = _one(contract, CheckType.LIFECYCLE)
    before = await check.run(
        contract, source, at(datetime.fromisoformat("2030-01-01T00:00:00+00:00"))
    )
    soon = await check.run(
        contract, source, at(datetime.fromisoformat("2030-12-20T00:00:00+00:00"))
    )
    supported_no_more = await check.run(
        contract, source, at(datetime.fromisoformat("2031-06-01T00:00:00+00:00"))
    )
    dead = await check.run(
        contract, source, at(datetime.fromisoformat("2032-06-01T00:00:00+00:00"))
    )
    assert before.status is CheckStatus.PASS
    assert (soon.status, soon.severity) == (CheckStatus.WARN, Severity.INFO)
    assert (supported_no_more.status, supported_no_more.severity) == (
        CheckStatus.WARN,
        Severity.WARNING,
    )
    assert (dead.status, dead.severity) == (CheckStatus.FAIL, Severity.ERROR)
    assert source.stats("lake").calls == 0


async def test_lifecycle_skipped_and_error_through_the_real_source(
    build_contract: Build, source: IcebergTableSource
) -> None:
    unreadable = build_contract(_body("orders", "  - property: endOfLife\n    value: soonish"))
    skipped = await _one(unreadable, CheckType.LIFECYCLE).run(unreadable, source, lambda: NOW)
    assert (skipped.status, skipped.reason) == (CheckStatus.SKIPPED, "invalid_sla")

    def broken_clock() -> datetime:
        raise OSError("time service down")

    dated = build_contract(_body("orders", "  - property: endOfLife\n    value: 2040-01-01"))
    error = await _one(dated, CheckType.LIFECYCLE).run(dated, source, broken_clock)
    assert (error.status, error.reason) == (CheckStatus.ERROR, "internal_error")
    assert error.details["error_type"] == "OSError"
