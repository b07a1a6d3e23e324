"""`MonitorConfig`: everything one monitor process is told, as validated models.

The YAML file (`floe-monitor.yaml`) maps one to one onto these models; the models are
also the Python API (`ContractMonitor(MonitorConfig(...))`). Secrets in channel configs
are validated by each channel's own model when the channel is built; the state database
URL is a `SecretStr` because it may carry a password.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
)

from floe_monitoring.catalog.config import CatalogConfig, TableSourceConfig
from floe_monitoring.contracts.overrides import (
    CheckThresholds,
    CheckTypeName,
    ContractOverrides,
    ContractsConfig,
)
from floe_monitoring.contracts.sla import to_duration
from floe_monitoring.delivery.policy import RetryPolicy
from floe_monitoring.incidents.policy import IncidentPolicy
from floe_monitoring.reports.burn import BURN_WINDOWS
from floe_monitoring.routing import (
    DEFAULT_DEDUP_WINDOW,
    DEFAULT_RATE_LIMIT,
    ContractRateLimit,
    MaintenanceWindow,
    RoutingRule,
    Silence,
)
from floe_monitoring.store.database import DEFAULT_STATE_URL
from floe_monitoring.store.retention import DEFAULT_HOURLY_RETENTION, DEFAULT_RETENTION

__all__ = [
    "CatalogEntry",
    "ChannelEntry",
    "MonitorConfig",
    "MonitoringConfig",
    "ServiceConfig",
    "StateConfig",
    "to_duration",
]

_STRICT = ConfigDict(extra="forbid", frozen=True)


Duration = Annotated[timedelta, BeforeValidator(to_duration)]


class StateConfig(BaseModel):
    """Where the monitor keeps its state."""

    model_config = _STRICT

    url: SecretStr = Field(
        default=SecretStr(DEFAULT_STATE_URL),
        description="SQLAlchemy URL: sqlite+aiosqlite:///path.db or postgresql+asyncpg://...",
    )
    pool_size: int = Field(default=10, ge=1, le=200)
    buffer_limit: int = Field(
        default=10_000, ge=0, description="Results kept in memory while the database is down."
    )


class CatalogEntry(BaseModel):
    """One PyIceberg catalog: `load_catalog(name, **properties)`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    properties: dict[str, str] = Field(default_factory=dict, repr=False)
    max_concurrency: int = Field(default=4, ge=1)
    timeout_seconds: float | None = Field(default=None, gt=0)


class ChannelEntry(BaseModel):
    """One configured channel: its type (entry-point name) and its own settings."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = Field(min_length=1)

    def settings(self) -> dict[str, Any]:
        """The channel's own settings (everything but `type`)."""
        return dict(self.model_extra or {})

    def __repr__(self) -> str:
        # Settings hold webhook URLs and tokens: never shown.
        return f"ChannelEntry(type={self.type!r}, settings=<{len(self.model_extra or {})} keys>)"

    __str__ = __repr__


class MonitoringConfig(BaseModel):
    """How checks run, incidents fire and notifications are routed and delivered."""

    model_config = _STRICT

    intervals: dict[CheckTypeName, Duration] = Field(default_factory=dict)
    thresholds: CheckThresholds = CheckThresholds()
    check_timeout: Duration = timedelta(seconds=30)
    max_concurrent_checks: int = Field(default=32, ge=1)
    incidents: IncidentPolicy = IncidentPolicy()
    dedup_window: Duration = DEFAULT_DEDUP_WINDOW
    rate_limit: ContractRateLimit | None = DEFAULT_RATE_LIMIT
    silences: tuple[Silence, ...] = ()
    maintenance: tuple[MaintenanceWindow, ...] = ()
    delivery: RetryPolicy = RetryPolicy()
    channel_health_interval: Duration = timedelta(seconds=60)
    scheduling: Literal["auto", "local", "shared"] = Field(
        default="auto",
        description="shared: replicas claim due checks in the database (PostgreSQL); "
        "local: one process schedules everything; auto: shared on PostgreSQL.",
    )
    schedule_poll_interval: Duration = timedelta(seconds=1)
    retention: Duration = Field(
        default=DEFAULT_RETENTION,
        description="Raw results kept this long (at least 3 days: burn rates are "
        "evaluated on them). SLA history lives on in the rollups.",
    )
    hourly_retention: Duration = Field(
        default=DEFAULT_HOURLY_RETENTION,
        description="Hourly rollups kept this long (at least retention); daily rollups "
        "are kept for ever. Reports reaching further back start and end on whole days.",
    )
    default_slo_target: float = Field(
        default=0.99, gt=0, lt=1, description="SLO target when a contract states no availability."
    )
    burn_evaluation_interval: Duration = timedelta(minutes=5)
    discover_tables: bool = Field(
        default=False,
        description="When a contract's table is not where its mapping says, list the catalog's "
        "namespaces and tables and use the one table with the same name.",
    )
    schedule_lease_margin: Duration = Field(
        default=timedelta(seconds=30),
        description="A claimed check stays leased for check_timeout plus this; a crashed "
        "replica's checks are taken over after it.",
    )
    catalog_workers: int = Field(default=8, ge=1, description="Threads for PyIceberg calls.")
    catalog_processes: int = Field(
        default=0,
        ge=0,
        le=64,
        description=(
            "Worker processes that load tables and run the checks' metadata reads in "
            "parallel with the engine (0: threads only). For many tables on a multi-core host."
        ),
    )

    @field_validator("retention")
    @classmethod
    def _long_enough(cls, value: timedelta) -> timedelta:
        longest = BURN_WINDOWS[-1]  # burn rates are evaluated on raw results
        if value < longest:
            raise ValueError(
                f"must be at least {longest.days} days: the longest burn-rate window "
                "is evaluated on raw results"
            )
        return value

    @field_validator("hourly_retention")
    @classmethod
    def _after_raw(cls, value: timedelta, info: ValidationInfo) -> timedelta:
        raw = info.data.get("retention")
        if raw is not None and value < raw:
            raise ValueError("must be at least as long as retention")
        return value


class ServiceConfig(BaseModel):
    """The long-running service (`floe sla monitor`)."""

    model_config = _STRICT

    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, le=65535)
    prometheus: bool = False
    shutdown_grace: Duration = timedelta(seconds=30)


class MonitorConfig(BaseModel):
    """The whole configuration of one monitor process.

    Attributes:
        contracts: Contract files: paths or globs (relative to `base_dir`).
        catalog: Properties of the default catalog (`load_catalog("default", ...)`).
        catalogs: Further catalogs by name.
        default_namespace: Namespace for contracts whose iceberg server names none.
        state: The state database.
        channels: Configured channels by name.
        routing: Which events go to which channel.
        monitoring: Checks, incidents, routing limits and delivery policy.
        overrides: Per-contract overrides (intervals, thresholds, channels, tables), by
            contract id or name; ``"*"`` sets the defaults.
        service: The service's HTTP endpoints and shutdown grace.
        base_dir: The folder relative paths resolve against (the config file's folder).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    contracts: tuple[str, ...] = ()
    catalog: CatalogEntry | None = None
    catalogs: dict[str, CatalogEntry] = Field(default_factory=dict)
    default_namespace: str | None = None
    state: StateConfig = StateConfig()
    channels: dict[str, ChannelEntry] = Field(default_factory=dict)
    routing: tuple[RoutingRule, ...] = ()
    monitoring: MonitoringConfig = MonitoringConfig()
    overrides: dict[str, ContractOverrides] = Field(default_factory=dict)
    service: ServiceConfig = ServiceConfig()
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    @field_validator("contracts", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def contract_paths(self) -> list[Path]:
        """Contract globs resolved against `base_dir`."""
        return [
            p if (p := Path(pattern)).is_absolute() else self.base_dir / p
            for pattern in self.contracts
        ]

    def contracts_config(self) -> ContractsConfig:
        """Table mapping defaults and per-contract overrides, as the checks read them."""
        defaults = self.overrides.get("*", ContractOverrides())
        if self.monitoring.intervals or "thresholds" in self.monitoring.model_fields_set:
            defaults = ContractOverrides(
                intervals=dict(self.monitoring.intervals), thresholds=self.monitoring.thresholds
            ).merged_with(defaults)
        specific = {k: v for k, v in self.overrides.items() if k != "*"}
        return ContractsConfig(
            default_namespace=self.default_namespace, defaults=defaults, contracts=specific
        )

    def table_source_config(self) -> TableSourceConfig:
        """Catalogs for the table source (`default` first)."""
        entries = dict(self.catalogs)
        if self.catalog is not None:
            entries["default"] = self.catalog
        catalogs = tuple(
            CatalogConfig(
                name=name,
                properties={k: self._resolve_path(v) for k, v in entry.properties.items()},
                max_concurrency=entry.max_concurrency,
                timeout_seconds=entry.timeout_seconds,
            )
            for name, entry in entries.items()
        )
        return TableSourceConfig(
            catalogs=catalogs,
            max_workers=self.monitoring.catalog_workers,
            processes=self.monitoring.catalog_processes,
            call_timeout_seconds=self.monitoring.check_timeout.total_seconds(),
        )

    def _resolve_path(self, value: str) -> str:
        # Relative sqlite:/// and file:// locations are relative to the config file.
        for prefix in ("sqlite:///", "file://"):
            if value.startswith(prefix) and not value[len(prefix) :].startswith("/"):
                return prefix + str((self.base_dir / value[len(prefix) :]).resolve())
        return value

    def state_url(self) -> str:
        """The state URL, a relative SQLite path resolved against `base_dir`."""
        url = self.state.url.get_secret_value()
        for prefix in ("sqlite+aiosqlite:///", "sqlite:///"):
            path = url[len(prefix) :]
            if url.startswith(prefix) and path and not path.startswith("/") and path != ":memory:":
                return prefix + str(self.base_dir / path)
        return url
