"""floe monitoring: data-contract monitoring with pluggable alert channels.

This facade is the public API. The alert-channel SDK lives in `floe_monitoring.sdk`,
discovery in `floe_monitoring.channels`; the monitor is `ContractMonitor` configured by
`MonitorConfig`. Subpackages (contracts, checks, scheduling, incidents, routing,
delivery, store) have facades of their own for finer-grained use.
"""

from importlib import import_module as _import_module
from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

from floe_monitoring.channels import (
    CHANNEL_ENTRY_POINT_GROUP,
    ChannelRegistry,
    ChannelTypeInfo,
    PluginFailure,
    build_channel,
    hookimpl,
)
from floe_monitoring.errors import (
    ChannelConfigError,
    ConfigError,
    DeliveryError,
    FailureReason,
    FloeError,
    IncompatiblePluginError,
    PermanentDeliveryError,
    PluginError,
    PluginLoadError,
    RetryableDeliveryError,
    StateStoreError,
    UnsupportedCapabilityError,
)
from floe_monitoring.sdk import (
    FLOE_API_VERSION,
    TRUNCATION_MARKER,
    AlertChannelPlugin,
    AlertMessage,
    ChannelCapability,
    ChannelStateStore,
    ContractViolationEvent,
    DeliveryReceipt,
    EventStatus,
    HealthState,
    HealthStatus,
    InMemoryChannelState,
    Link,
    MessageField,
    RateLimit,
    Severity,
    ViolationType,
    check_api_compatibility,
    classify_http_status,
    clean_text,
    escape_html,
    escape_mrkdwn,
    header_safe,
    is_api_compatible,
    parse_retry_after,
    truncate,
    truncate_utf8,
)

if TYPE_CHECKING:
    from floe_monitoring.config import MonitorConfig
    from floe_monitoring.engine import ContractMonitor, MonitorStatus

__version__ = _version("floe-monitoring-core")

# The monitor pulls in SQLAlchemy and the check machinery; a channel that only needs the
# SDK should not pay for that at import time, so these names load on first use.
_LAZY = {
    "ContractMonitor": "floe_monitoring.engine",
    "MonitorStatus": "floe_monitoring.engine",
    "MonitorConfig": "floe_monitoring.config",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(_import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'floe_monitoring' has no attribute {name!r}")


__all__ = [
    "CHANNEL_ENTRY_POINT_GROUP",
    "FLOE_API_VERSION",
    "TRUNCATION_MARKER",
    "AlertChannelPlugin",
    "AlertMessage",
    "ChannelCapability",
    "ChannelConfigError",
    "ChannelRegistry",
    "ChannelStateStore",
    "ChannelTypeInfo",
    "ConfigError",
    "ContractMonitor",
    "ContractViolationEvent",
    "DeliveryError",
    "DeliveryReceipt",
    "EventStatus",
    "FailureReason",
    "FloeError",
    "HealthState",
    "HealthStatus",
    "InMemoryChannelState",
    "IncompatiblePluginError",
    "Link",
    "MessageField",
    "MonitorConfig",
    "MonitorStatus",
    "PermanentDeliveryError",
    "PluginError",
    "PluginFailure",
    "PluginLoadError",
    "RateLimit",
    "RetryableDeliveryError",
    "Severity",
    "StateStoreError",
    "UnsupportedCapabilityError",
    "ViolationType",
    "__version__",
    "build_channel",
    "check_api_compatibility",
    "classify_http_status",
    "clean_text",
    "escape_html",
    "escape_mrkdwn",
    "header_safe",
    "hookimpl",
    "is_api_compatible",
    "parse_retry_after",
    "truncate",
    "truncate_utf8",
]
