"""Channel discovery, construction and extension hooks."""

from floe_monitoring.channels.factory import build_channel, validation_error_summary
from floe_monitoring.channels.hooks import enrich_event, notify_delivery_outcome
from floe_monitoring.channels.hookspecs import (
    HOOK_ENTRY_POINT_GROUP,
    FloeHookSpecs,
    hookimpl,
    hookspec,
)
from floe_monitoring.channels.registry import (
    CHANNEL_ENTRY_POINT_GROUP,
    DISABLED_CHANNELS_ENV,
    ChannelRegistry,
    ChannelTypeInfo,
    PluginFailure,
)

__all__ = [
    "CHANNEL_ENTRY_POINT_GROUP",
    "DISABLED_CHANNELS_ENV",
    "HOOK_ENTRY_POINT_GROUP",
    "ChannelRegistry",
    "ChannelTypeInfo",
    "FloeHookSpecs",
    "PluginFailure",
    "build_channel",
    "enrich_event",
    "hookimpl",
    "hookspec",
    "notify_delivery_outcome",
    "validation_error_summary",
]
