"""The monitor's configuration (`floe-monitor.yaml` and its Python models)."""

from floe_monitoring.config.model import (
    CatalogEntry,
    ChannelEntry,
    MonitorConfig,
    MonitoringConfig,
    ServiceConfig,
    StateConfig,
)

__all__ = [
    "CatalogEntry",
    "ChannelEntry",
    "MonitorConfig",
    "MonitoringConfig",
    "ServiceConfig",
    "StateConfig",
]
