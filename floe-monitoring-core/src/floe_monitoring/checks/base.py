"""The vocabulary of checks: `CheckType`, `CheckStatus`, `CheckResult` and the `Check` protocol.

A check never raises: whatever goes wrong becomes a result with ``status=error`` (the
monitor could not evaluate the promise; not a violation) and the error type in ``details``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from floe_monitoring.sdk.enums import Severity, ViolationType
from floe_monitoring.sdk.event import derive_dedup_key, utc_datetime

if TYPE_CHECKING:
    from floe_monitoring.catalog.source import TableSource
    from floe_monitoring.contracts.model import Contract

__all__ = [
    "DEFAULT_CHECK_TIMEOUT",
    "Check",
    "CheckResult",
    "CheckStatus",
    "CheckType",
    "Clock",
    "result_details",
    "system_clock",
]

#: The specification's check timeout, in seconds (a default for latency budgets).
DEFAULT_CHECK_TIMEOUT = 30.0

#: Returns the current time, timezone-aware (UTC). Injected so tests can drive time.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real clock: now, in UTC."""
    return datetime.now(UTC)


class CheckType(StrEnum):
    """What a check verifies (values match `floe_monitoring.contracts.CheckTypeName`)."""

    FRESHNESS = "freshness"
    SCHEMA_DRIFT = "schema_drift"
    QUALITY = "quality"
    AVAILABILITY = "availability"
    RETENTION = "retention"
    FREQUENCY = "frequency"
    LIFECYCLE = "lifecycle"

    @property
    def violation_type(self) -> ViolationType:
        """The SDK violation type an event about this check carries."""
        return _VIOLATION_TYPES[self]


# The SDK's closed set has no retention/frequency/lifecycle: map each to its nearest kind.
_VIOLATION_TYPES = {
    CheckType.FRESHNESS: ViolationType.FRESHNESS,
    CheckType.SCHEMA_DRIFT: ViolationType.SCHEMA_DRIFT,
    CheckType.QUALITY: ViolationType.QUALITY,
    CheckType.AVAILABILITY: ViolationType.AVAILABILITY,
    CheckType.RETENTION: ViolationType.QUALITY,
    CheckType.FREQUENCY: ViolationType.FRESHNESS,
    CheckType.LIFECYCLE: ViolationType.DEPRECATION,
}


class CheckStatus(StrEnum):
    """The outcome of one check run.

    ``warn`` means the promise still holds but is close to breaking (or changed);
    ``fail`` means it is broken (a violation); ``error`` means it could not be evaluated
    (not a violation); ``skipped`` means there was nothing to evaluate, with a reason.
    """

    PASS = "pass"  # noqa: S105  not a password
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"


class CheckResult(BaseModel):
    """The result of one check run: what the engine stores, alerts on and reports."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contract_id: str
    contract_name: str
    contract_version: str
    check_type: CheckType
    element: str | None = None
    status: CheckStatus
    severity: Severity | None = None
    measured_value: float | None = None
    threshold: float | None = None
    unit: str | None = Field(default=None, description="UCUM unit: 's', '1', '{row}'.")
    message: str
    details: dict[str, JsonValue] = Field(default_factory=dict)
    reason: str | None = Field(default=None, description="Short machine-readable cause.")
    started_at: utc_datetime
    duration_seconds: float = Field(ge=0)
    table: str | None = Field(default=None, description="'catalog:ns.table' when one was read.")
    snapshot_id: int | None = None
    observed_schema: dict[str, JsonValue] | None = None
    observed_schema_fingerprint: str | None = None

    @field_validator("measured_value", "threshold")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be finite")
        return value

    @property
    def key(self) -> str:
        """Stable identity of the check: ``<contract id>:<check type>:<element or *>``."""
        return derive_dedup_key(self.contract_id, self.check_type.value, self.element)

    @property
    def is_violation(self) -> bool:
        """True when the promise is broken (``fail``); ``error`` and ``warn`` are not."""
        return self.status is CheckStatus.FAIL

    @property
    def violation_type(self) -> ViolationType:
        """The SDK violation type for events about this result."""
        return self.check_type.violation_type


class Check(Protocol):
    """One check of one contract: a check type and an element (table or column).

    Implementations hold their configuration (thresholds, previous state) and are
    cheap to build; `run` may be called many times.
    """

    @property
    def check_type(self) -> CheckType:
        """What this check verifies."""
        ...

    @property
    def element(self) -> str | None:
        """The table (``orders``) or column (``orders.updated_at``) checked, if any."""
        ...

    @property
    def key(self) -> str:
        """``<contract id>:<check type>:<element or *>``; unique per contract."""
        ...

    async def run(self, contract: Contract, table_source: TableSource, clock: Clock) -> CheckResult:
        """Evaluate the check now; never raises."""
        ...


def result_details(**values: Any) -> dict[str, JsonValue]:
    """Details as JSON values: datetimes become ISO strings, None values are dropped."""
    out: dict[str, JsonValue] = {}
    for name, value in values.items():
        if value is None:
            continue
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out
