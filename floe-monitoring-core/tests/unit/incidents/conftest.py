"""Fixtures of the incident tests: results to order, and a driver that feeds a tracker.

Outcomes are written one letter per result: ``F`` fail, ``P`` pass, ``W`` warn,
``E`` error, ``S`` skipped (spaces are ignored, for readability).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from floe_monitoring.checks import CheckResult, CheckStatus, CheckType
from floe_monitoring.incidents import IncidentState, IncidentTracker, Notification
from floe_monitoring.sdk.enums import Severity

T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
STEP = timedelta(minutes=5)

STATUSES = {
    "F": CheckStatus.FAIL,
    "P": CheckStatus.PASS,
    "W": CheckStatus.WARN,
    "E": CheckStatus.ERROR,
    "S": CheckStatus.SKIPPED,
}

ResultFactory = Callable[..., CheckResult]
Steps = list[list[Notification]]
Runner = Callable[..., tuple[IncidentState, Steps]]


def make_result(status: str | CheckStatus = CheckStatus.FAIL, **overrides: Any) -> CheckResult:
    """A freshness result of ``orders``; ``status`` may be one outcome letter."""
    status = STATUSES.get(str(status), status)
    fields: dict[str, Any] = {
        "contract_id": "urn:contract:orders",
        "contract_name": "orders",
        "contract_version": "1.2.0",
        "check_type": CheckType.FRESHNESS,
        "element": "orders.updated_at",
        "status": status,
        "measured_value": 25200.0,
        "threshold": 21600.0,
        "unit": "s",
        "message": f"orders freshness: {status}",
        "started_at": T0,
        "duration_seconds": 0.25,
    }
    fields.update(overrides)
    return CheckResult.model_validate(fields)


def _per_step(value: Any, count: int) -> list[Any]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != count:
            raise ValueError(f"{len(value)} values for {count} results")
        return list(value)
    return [value] * count


def run_outcomes(
    tracker: IncidentTracker,
    outcomes: str,
    *,
    state: IncidentState | None = None,
    start: datetime = T0,
    step: timedelta = STEP,
    violations: int | Sequence[int] = 1,
    severity: Severity | Sequence[Severity | None] | None = None,
    **result_fields: Any,
) -> tuple[IncidentState, Steps]:
    """Feed ``outcomes`` one ``step`` apart; return the final state and each step's notes."""
    letters = outcomes.replace(" ", "")
    counts = _per_step(violations, len(letters))
    severities = _per_step(severity, len(letters))
    steps: Steps = []
    for index, letter in enumerate(letters):
        now = start + index * step
        result = make_result(letter, started_at=now, severity=severities[index], **result_fields)
        state, notes = tracker.observe(state, result, now=now, violations_24h=counts[index])
        steps.append(notes)
    if state is None:
        raise ValueError("no outcomes given")
    return state, steps


@pytest.fixture(scope="session")
def result_factory() -> ResultFactory:
    """Build results: ``result_factory("F", severity="critical")``."""
    return make_result


@pytest.fixture(scope="session")
def run() -> Runner:
    """Drive a tracker: ``state, steps = run(tracker, "FFP", violations=1)``."""
    return run_outcomes
