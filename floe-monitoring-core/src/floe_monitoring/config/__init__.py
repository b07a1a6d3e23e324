"""The monitor's configuration (`floe-monitor.yaml` and its Python models)."""

from floe_monitoring.config.file import (
    CONFIG_ENV,
    DEFAULT_CONFIG_NAME,
    ConfigFileError,
    config_json_schema,
    find_config,
    generate_json_schema,
    load_config,
    parse_config,
)
from floe_monitoring.config.model import (
    CatalogEntry,
    ChannelEntry,
    MonitorConfig,
    MonitoringConfig,
    ServiceConfig,
    StateConfig,
)

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "CatalogEntry",
    "ChannelEntry",
    "ConfigFileError",
    "MonitorConfig",
    "MonitoringConfig",
    "ServiceConfig",
    "StateConfig",
    "config_json_schema",
    "find_config",
    "generate_json_schema",
    "load_config",
    "parse_config",
]
