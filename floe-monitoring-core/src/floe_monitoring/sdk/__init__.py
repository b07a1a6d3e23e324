"""The alert-channel SDK: what a channel author needs, and nothing of the monitor.

The names here are re-exported by `floe_monitoring`; import them from there.
"""

from floe_monitoring.sdk.api_version import (
    FLOE_API_VERSION,
    check_api_compatibility,
    is_api_compatible,
)
from floe_monitoring.sdk.classify import classify_http_status, parse_retry_after
from floe_monitoring.sdk.cloudevent import (
    CLOUDEVENT_SOURCE,
    CLOUDEVENT_TYPE,
    event_from_cloudevent,
    event_to_cloudevent,
)
from floe_monitoring.sdk.config_sources import ConfigSourceError, resolve_config_sources
from floe_monitoring.sdk.enums import EventStatus, Severity, ViolationType
from floe_monitoring.sdk.escaping import (
    TRUNCATION_MARKER,
    clean_text,
    escape_html,
    escape_mrkdwn,
    header_safe,
    truncate,
    truncate_utf8,
)
from floe_monitoring.sdk.event import (
    MAX_DEDUP_KEY_LENGTH,
    ContractViolationEvent,
    Link,
    derive_dedup_key,
    now_utc,
)
from floe_monitoring.sdk.lineage_facet import (
    CONTRACT_VIOLATION_FACET_NAME,
    contract_violation_facet,
    contract_violation_facet_schema,
)
from floe_monitoring.sdk.message import AlertMessage, MessageField
from floe_monitoring.sdk.plugin import (
    REDACTED,
    AlertChannelPlugin,
    ChannelCapability,
    DeliveryReceipt,
    HealthState,
    HealthStatus,
    RateLimit,
    plugin_class_problems,
)
from floe_monitoring.sdk.state import ChannelStateStore, InMemoryChannelState

__all__ = [
    "CLOUDEVENT_SOURCE",
    "CLOUDEVENT_TYPE",
    "CONTRACT_VIOLATION_FACET_NAME",
    "FLOE_API_VERSION",
    "MAX_DEDUP_KEY_LENGTH",
    "REDACTED",
    "TRUNCATION_MARKER",
    "AlertChannelPlugin",
    "AlertMessage",
    "ChannelCapability",
    "ChannelStateStore",
    "ConfigSourceError",
    "ContractViolationEvent",
    "DeliveryReceipt",
    "EventStatus",
    "HealthState",
    "HealthStatus",
    "InMemoryChannelState",
    "Link",
    "MessageField",
    "RateLimit",
    "Severity",
    "ViolationType",
    "check_api_compatibility",
    "classify_http_status",
    "clean_text",
    "contract_violation_facet",
    "contract_violation_facet_schema",
    "derive_dedup_key",
    "escape_html",
    "escape_mrkdwn",
    "event_from_cloudevent",
    "event_to_cloudevent",
    "header_safe",
    "is_api_compatible",
    "now_utc",
    "parse_retry_after",
    "plugin_class_problems",
    "resolve_config_sources",
    "truncate",
    "truncate_utf8",
]
