"""`IncidentPolicy`: when a check's results open, escalate, repeat and close an incident."""

from __future__ import annotations

from datetime import timedelta
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from floe_monitoring.checks import CheckType
from floe_monitoring.sdk.enums import Severity

__all__ = ["IncidentPolicy"]


class IncidentPolicy(BaseModel):
    """The numbers the incident tracker works with; every field has the spec's default.

    Attributes:
        fire_after: Consecutive failing results before an incident fires (Prometheus
            ``for:``, Nagios max attempts).
        fire_after_by_type: Per check type overrides of ``fire_after`` (for example
            availability pinged every 5 minutes: 3).
        resolve_after: Consecutive passing results before a firing incident resolves.
        repeat_interval: Re-notify a firing incident when this much time has passed since
            its last notification; None sends no repeats.
        detect_flapping: Whether flapping detection runs at all.
        flap_window: How many pass/fail outcomes the flapping detector looks at.
        flap_high: Start flapping when the share of state changes in the window is above
            this.
        flap_low: Stop flapping when the share drops below this (hysteresis).
        error_after: Consecutive ``error`` results before one "cannot evaluate" notice.
        cannot_evaluate_severity: Severity of the "cannot evaluate" notice and its recovery.
        critical_after: A failure is critical when more than this many violations of the
            same type hit the same contract within 24 h (the spec's "more than 3").

    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    fire_after: int = Field(default=1, ge=1)
    fire_after_by_type: dict[CheckType, int] = Field(default_factory=dict)
    resolve_after: int = Field(default=1, ge=1)
    repeat_interval: timedelta | None = None
    detect_flapping: bool = True
    # The history lives in the stored state as one character per outcome: keep it bounded.
    flap_window: int = Field(default=21, ge=3, le=100)
    flap_high: float = Field(default=0.5, ge=0.0, le=1.0)
    flap_low: float = Field(default=0.25, ge=0.0, le=1.0)
    error_after: int = Field(default=3, ge=1)
    cannot_evaluate_severity: Severity = Severity.WARNING
    critical_after: int = Field(default=3, ge=0)

    @field_validator("fire_after_by_type")
    @classmethod
    def _positive_overrides(cls, value: dict[CheckType, int]) -> dict[CheckType, int]:
        bad = sorted(str(kind) for kind, count in value.items() if count < 1)
        if bad:
            raise ValueError(f"must be at least 1 for: {', '.join(bad)}")
        return value

    @field_validator("repeat_interval")
    @classmethod
    def _positive_interval(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("must be a positive duration (or None for no repeats)")
        return value

    @model_validator(mode="after")
    def _hysteresis(self) -> Self:
        # Equal thresholds would let one result toggle flapping on and off: no hysteresis.
        if self.flap_low >= self.flap_high:
            raise ValueError(
                f"flap_low ({self.flap_low}) must be below flap_high ({self.flap_high})"
            )
        return self

    def fire_after_for(self, check_type: CheckType) -> int:
        """Consecutive failures an incident of ``check_type`` needs before it fires."""
        return self.fire_after_by_type.get(check_type, self.fire_after)
