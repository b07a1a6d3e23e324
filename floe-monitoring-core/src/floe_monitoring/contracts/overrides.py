"""Per-contract overrides from the monitor config: intervals, thresholds, channels, tables.

The engine reads one merged `ContractOverrides` per contract (`ContractsConfig.for_contract`):
the config's ``defaults`` first, then the entry for the contract's id (or name) on top.
Check type names are plain strings here (``"freshness"``...) so this module does not depend
on `floe_monitoring.checks`; `CheckType` is a `StrEnum` with the same values, so a
`CheckType` member looks up these dicts directly.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from floe_monitoring.contracts.sla import parse_percent, to_duration

__all__ = [
    "DEFAULT_INTERVALS",
    "CheckThresholds",
    "CheckTypeName",
    "ContractOverrides",
    "ContractsConfig",
    "TableOverride",
]

CheckTypeName = Literal[
    "freshness", "schema_drift", "quality", "availability", "retention", "frequency", "lifecycle"
]

#: The specification's intervals (freshness 15 min, schema 1 h, quality 6 h, availability
#: 5 min) and ours for the check types it did not have.
DEFAULT_INTERVALS: dict[CheckTypeName, timedelta] = {
    "freshness": timedelta(minutes=15),
    "schema_drift": timedelta(hours=1),
    "quality": timedelta(hours=6),
    "availability": timedelta(minutes=5),
    "retention": timedelta(hours=6),
    "frequency": timedelta(hours=1),
    "lifecycle": timedelta(days=1),
}


def _percent(value: Any) -> Any:
    return None if value is None else parse_percent(value)


# The same spellings as the SLAs ("PT15M", "15 min", "6h") besides seconds.
Duration = Annotated[timedelta, BeforeValidator(to_duration)]
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class TableOverride(BaseModel):
    """Where a schema object's table really is: ``identifier`` ``ns.table``, optional catalog."""

    model_config = _FROZEN

    identifier: str = Field(pattern=r"^[^.\s]+(\.[^.\s]+)+$")
    catalog: str | None = None


class CheckThresholds(BaseModel):
    """Threshold overrides; None means "use the contract's SLA"."""

    model_config = _FROZEN

    freshness: Duration | None = None
    frequency: Duration | None = None
    retention: Duration | None = None
    availability_target: Annotated[float | None, BeforeValidator(_percent)] = None
    availability_latency_seconds: float | None = Field(default=None, gt=0)
    min_quality_score: float | None = Field(default=None, ge=0, le=1)
    info_ratio: float = Field(default=0.8, gt=0, le=1)
    warning_ratio: float = Field(default=0.9, gt=0, le=1)
    clock_skew_seconds: float = Field(default=60.0, ge=0)
    lifecycle_notice: Duration = timedelta(days=30)
    allow_extra_columns: bool = False

    @model_validator(mode="after")
    def _ordered_ratios(self) -> CheckThresholds:
        if self.info_ratio > self.warning_ratio:
            raise ValueError("info_ratio must not exceed warning_ratio")
        return self


class ContractOverrides(BaseModel):
    """What the monitor config changes for one contract (or for all, as defaults)."""

    model_config = _FROZEN

    enabled: bool = True
    disabled_checks: frozenset[CheckTypeName] = frozenset()
    intervals: dict[CheckTypeName, Duration] = Field(default_factory=dict)
    timeout_seconds: float | None = Field(default=None, gt=0)
    thresholds: CheckThresholds = CheckThresholds()
    channels: tuple[str, ...] | None = Field(
        default=None, description="Only these channels; None lets the routing rules decide."
    )
    server: str | None = Field(default=None, description="Which iceberg server to use.")
    catalog: str | None = None
    namespace: str | None = None
    tables: dict[str, TableOverride] = Field(
        default_factory=dict, description="Schema object name -> table."
    )
    consumers: tuple[str, ...] = ()

    def interval(self, check_type: str) -> timedelta:
        """The interval of ``check_type``: the override, else the default."""
        for source in (self.intervals, DEFAULT_INTERVALS):
            for name, interval in source.items():
                if name == check_type:
                    return interval
        raise KeyError(f"unknown check type '{check_type}'")

    def is_enabled(self, check_type: str) -> bool:
        """Whether ``check_type`` runs for this contract."""
        return self.enabled and check_type not in self.disabled_checks

    def merged_with(self, specific: ContractOverrides) -> ContractOverrides:
        """These overrides with the fields ``specific`` sets explicitly laid on top."""
        data = self.model_dump()
        for name in specific.model_fields_set:
            value = getattr(specific, name)
            if name == "thresholds":
                data[name] = {**data[name], **value.model_dump(exclude_unset=True)}
            elif name in ("intervals", "tables"):
                data[name] = {**data[name], **dict(value)}
            else:
                data[name] = value
        return ContractOverrides.model_validate(data)


class ContractsConfig(BaseModel):
    """The monitor config's contract section: table mapping defaults and overrides."""

    model_config = _FROZEN

    default_catalog: str = Field(default="default", min_length=1)
    default_namespace: str | None = None
    defaults: ContractOverrides = ContractOverrides()
    contracts: dict[str, ContractOverrides] = Field(
        default_factory=dict, description="Keyed by contract id (or name)."
    )

    def for_contract(self, contract_id: str, contract_name: str | None = None) -> ContractOverrides:
        """The merged overrides for one contract (defaults, then its own entry)."""
        specific = self.contracts.get(contract_id)
        if specific is None and contract_name is not None:
            specific = self.contracts.get(contract_name)
        return self.defaults if specific is None else self.defaults.merged_with(specific)
