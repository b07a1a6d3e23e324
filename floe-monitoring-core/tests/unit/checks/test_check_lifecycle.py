"""Lifecycle dates and status: every outcome, without a table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from floe_monitoring.catalog import TableRef
from floe_monitoring.checks import CheckStatus, LifecycleCheck
from floe_monitoring.contracts import Contract, ContractOverrides, parse_contract
from floe_monitoring.sdk.enums import Severity

T = TypeVar("T")
SUPPORT = datetime(2031, 1, 1, tzinfo=UTC)


class NoTables:
    """A source that must not be used."""

    async def with_table(
        self, ref: TableRef, fn: Callable[[Any], T], *, call_timeout: float | None = None
    ) -> T:
        raise AssertionError("lifecycle must not read tables")

    async def probe(self, ref: TableRef, *, call_timeout: float | None = None) -> float:
        raise AssertionError("lifecycle must not read tables")


def _contract(sla: str, status: str = "active") -> Contract:
    return parse_contract(
        f"apiVersion: v3.1.0\nkind: DataContract\nid: c\nversion: '1'\nstatus: {status}\n"
        f"slaProperties:\n{sla}"
    )


DATES = (
    "  - property: endOfSupport\n    value: 2031-01-01\n  - property: EL\n    value: 2032-01-01\n"
)


@pytest.mark.parametrize(
    ("moment", "status", "severity", "reason"),
    [
        (SUPPORT - timedelta(days=60), CheckStatus.PASS, None, None),
        (SUPPORT - timedelta(days=10), CheckStatus.WARN, Severity.INFO, "approaching"),
        (SUPPORT + timedelta(days=10), CheckStatus.WARN, Severity.WARNING, "end_of_support"),
        (SUPPORT + timedelta(days=400), CheckStatus.FAIL, Severity.ERROR, "end_of_life"),
    ],
)
async def test_dates(
    moment: datetime, status: CheckStatus, severity: Severity | None, reason: str | None
) -> None:
    contract = _contract(DATES)
    result = await LifecycleCheck(contract.id).run(contract, NoTables(), lambda: moment)
    assert (result.status, result.severity, result.reason) == (status, severity, reason)
    assert result.details["end_of_life"] == "2032-01-01T00:00:00+00:00"


async def test_notice_period_is_configurable() -> None:
    contract = _contract(DATES)
    quiet = ContractOverrides.model_validate({"thresholds": {"lifecycle_notice": "P1D"}})
    result = await LifecycleCheck(contract.id, overrides=quiet).run(
        contract, NoTables(), lambda: SUPPORT - timedelta(days=10)
    )
    assert result.status is CheckStatus.PASS


async def test_status_alone_deprecates_or_retires() -> None:
    deprecated = _contract("  - property: latency\n    value: PT1H\n", status="deprecated")
    retired = _contract("  - property: latency\n    value: PT1H\n", status="retired")
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    warn = await LifecycleCheck("c").run(deprecated, NoTables(), lambda: moment)
    fail = await LifecycleCheck("c").run(retired, NoTables(), lambda: moment)
    assert (warn.status, warn.severity) == (CheckStatus.WARN, Severity.WARNING)
    assert (fail.status, fail.severity) == (CheckStatus.FAIL, Severity.ERROR)


async def test_unreadable_dates_are_skipped_and_a_failing_clock_is_an_error() -> None:
    contract = _contract("  - property: endOfLife\n    value: someday\n")
    skipped = await LifecycleCheck("c").run(contract, NoTables(), lambda: SUPPORT)
    assert (skipped.status, skipped.reason) == (CheckStatus.SKIPPED, "invalid_sla")
    assert "someday" in skipped.message

    def stopped() -> datetime:
        raise RuntimeError("clock stopped")

    error = await LifecycleCheck("c").run(_contract(DATES), NoTables(), stopped)
    assert (error.status, error.reason) == (CheckStatus.ERROR, "internal_error")
    assert error.details["error_type"] == "RuntimeError"
