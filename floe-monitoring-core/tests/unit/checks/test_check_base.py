"""Check vocabulary, severity bands, availability windows, and the never-raises contract."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, get_args

import pytest
from pydantic import ValidationError

from floe_monitoring.catalog import TableRef
from floe_monitoring.checks import (
    CheckResult,
    CheckStatus,
    CheckType,
    FreshnessCheck,
    Outcome,
    availability_window,
    consumption,
    system_clock,
)
from floe_monitoring.contracts import CheckThresholds, CheckTypeName, Contract, parse_contract
from floe_monitoring.errors import (
    CatalogNotConfiguredError,
    CatalogTimeoutError,
    CatalogUnavailableError,
    TableNotFoundError,
)
from floe_monitoring.sdk.enums import Severity, ViolationType

T = TypeVar("T")
NOW = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)

CONTRACT = parse_contract(
    """\
apiVersion: v3.1.0
kind: DataContract
id: orders-id
name: orders
version: 1.2.0
servers:
  - type: iceberg
    catalog: lake
    namespace: shop
schema:
  - name: orders
slaProperties:
  - property: latency
    value: 1
    unit: h
"""
)


def test_check_type_values_match_the_override_names() -> None:
    assert {t.value for t in CheckType} == set(get_args(CheckTypeName))


def test_every_check_type_maps_to_an_sdk_violation_type() -> None:
    assert CheckType.FRESHNESS.violation_type is ViolationType.FRESHNESS
    assert CheckType.LIFECYCLE.violation_type is ViolationType.DEPRECATION
    assert {t.violation_type for t in CheckType} <= set(ViolationType)


def _result(**changes: Any) -> CheckResult:
    data: dict[str, Any] = {
        "contract_id": "orders-id",
        "contract_name": "orders",
        "contract_version": "1.2.0",
        "check_type": "freshness",
        "element": "orders.updated_at",
        "status": "fail",
        "severity": "error",
        "message": "stale",
        "started_at": "2026-01-31T10:30:00+01:00",
        "duration_seconds": 0.5,
    }
    return CheckResult.model_validate({**data, **changes})


def test_check_result_is_frozen_aware_and_keyed() -> None:
    result = _result()
    assert result.started_at == NOW
    assert result.key == "orders-id:freshness:orders.updated_at"
    assert result.is_violation
    assert result.violation_type is ViolationType.FRESHNESS
    assert not _result(status="error", severity=None).is_violation
    with pytest.raises(ValidationError):
        result.status = CheckStatus.PASS  # type: ignore[misc]


@pytest.mark.parametrize(
    "changes",
    [
        {"started_at": "2026-01-31T09:30:00"},
        {"measured_value": float("nan")},
        {"duration_seconds": -1},
        {"status": "ok"},
        {"unexpected": 1},
    ],
)
def test_check_result_rejects_bad_values(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _result(**changes)


@pytest.mark.parametrize(
    ("measured", "expected"),
    [
        (0.0, (CheckStatus.PASS, None)),
        (79.0, (CheckStatus.PASS, None)),
        (80.0, (CheckStatus.WARN, Severity.INFO)),
        (89.9, (CheckStatus.WARN, Severity.INFO)),
        (90.0, (CheckStatus.WARN, Severity.WARNING)),
        (100.0, (CheckStatus.WARN, Severity.WARNING)),
        (100.5, (CheckStatus.WARN, Severity.WARNING)),  # within the tolerance of 1
        (101.5, (CheckStatus.FAIL, Severity.ERROR)),
    ],
)
def test_consumption_bands(measured: float, expected: tuple[CheckStatus, Severity | None]) -> None:
    assert consumption(measured, 100.0, tolerance=1.0) == expected


def test_consumption_bands_are_configurable() -> None:
    limits = CheckThresholds(info_ratio=0.5, warning_ratio=0.6)
    assert consumption(55, 100, limits) == (CheckStatus.WARN, Severity.INFO)
    with pytest.raises(ValueError, match="positive"):
        consumption(1, 0)


def test_availability_window_ratio_breach_and_consecutive_failures() -> None:
    every_5_min = [NOW - timedelta(minutes=5 * i) for i in range(288)]  # 24 h of pings
    samples = [(ts, i >= 3) for i, ts in enumerate(every_5_min)]  # the last 3 failed
    samples.append((NOW - timedelta(hours=25), False))  # outside the window
    window = availability_window(samples, now=NOW, target=0.999)
    assert window.samples == 288
    assert window.failures == 3
    assert window.consecutive_failures == 3
    assert window.ratio == pytest.approx(285 / 288)
    assert window.breached
    assert window.budget_remaining == pytest.approx(288 * 0.001 - 3)


def test_availability_window_without_samples_or_target() -> None:
    empty = availability_window([], now=NOW, target=0.999)
    assert (empty.ratio, empty.breached, empty.samples) == (None, False, 0)
    healthy = availability_window([(NOW, True)], now=NOW, target=None)
    assert (healthy.ratio, healthy.breached, healthy.budget_remaining) == (1.0, False, None)


class FakeSource:
    """A TableSource that raises what it is told to."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    async def with_table(
        self, ref: TableRef, fn: Callable[[Any], T], *, call_timeout: float | None = None
    ) -> T:
        raise self.error

    async def probe(self, ref: TableRef, *, call_timeout: float | None = None) -> float:
        raise self.error


def _check(contract: Contract = CONTRACT) -> FreshnessCheck:
    return FreshnessCheck(contract.id, object_name="orders", threshold=timedelta(hours=1))


@pytest.mark.parametrize(
    ("error", "status", "reason"),
    [
        (TableNotFoundError("gone", catalog="lake", table="shop.orders"), "fail", "table_missing"),
        (CatalogUnavailableError("down", catalog="lake"), "error", "catalog_unavailable"),
        (CatalogTimeoutError("slow", catalog="lake"), "error", "timeout"),
        (CatalogNotConfiguredError("who?", catalog="lake"), "error", "catalog_not_configured"),
        (RuntimeError("bug"), "error", "internal_error"),
    ],
)
async def test_a_check_never_raises(error: Exception, status: str, reason: str) -> None:
    result = await _check().run(CONTRACT, FakeSource(error), lambda: NOW)
    assert (result.status.value, result.reason) == (status, reason)
    assert result.started_at == NOW
    assert (result.contract_id, result.contract_name, result.contract_version) == (
        "orders-id",
        "orders",
        "1.2.0",
    )
    assert result.table == "lake:shop.orders"
    if reason == "internal_error":
        assert result.details["error_type"] == "RuntimeError"


async def test_a_broken_clock_is_an_error_with_real_time() -> None:
    def broken() -> datetime:
        raise OSError("no clock")

    naive = await _check().run(CONTRACT, FakeSource(RuntimeError()), lambda: datetime(2026, 1, 1))
    failed = await _check().run(CONTRACT, FakeSource(RuntimeError()), broken)
    for result in (naive, failed):
        assert result.status is CheckStatus.ERROR
        assert abs((result.started_at - system_clock()).total_seconds()) < 60
    assert "naive" in naive.message


async def test_cancellation_still_propagates() -> None:
    with pytest.raises(asyncio.CancelledError):
        await _check().run(CONTRACT, FakeSource(asyncio.CancelledError()), lambda: NOW)


async def test_a_clock_returning_garbage_or_an_invalid_outcome_is_still_a_result() -> None:
    garbage = await _check().run(CONTRACT, FakeSource(RuntimeError()), lambda: "noon")  # type: ignore[arg-type,return-value]
    assert (garbage.status, garbage.reason) == (CheckStatus.ERROR, "internal_error")

    class NaNCheck(FreshnessCheck):
        async def evaluate(self, contract: Contract, source: Any, now: datetime) -> Outcome:
            return Outcome(CheckStatus.PASS, "measured nonsense", measured_value=float("nan"))

    nan = await NaNCheck(CONTRACT.id, object_name="orders", threshold=None).run(
        CONTRACT, FakeSource(RuntimeError()), lambda: NOW
    )
    assert (nan.status, nan.reason) == (CheckStatus.ERROR, "internal_error")
    assert "invalid result" in nan.message
