"""Calling the hooks safely: one failing implementation never stops the others."""

from __future__ import annotations

import logging

import pluggy

from floe_monitoring.errors import DeliveryError
from floe_monitoring.sdk.event import ContractViolationEvent
from floe_monitoring.sdk.plugin import DeliveryReceipt

__all__ = ["enrich_event", "notify_delivery_outcome"]

_log = logging.getLogger("floe_monitoring.hooks")


def enrich_event(
    manager: pluggy.PluginManager, event: ContractViolationEvent
) -> ContractViolationEvent:
    """Run every `floe_enrich_event` implementation in registration order, chained.

    An implementation that raises or returns something other than an event is logged
    and ignored; the event keeps the last good value. Identity fields (`event_id`,
    `dedup_key`) cannot be changed by a hook.
    """
    current = event
    for impl in manager.hook.floe_enrich_event.get_hookimpls():
        try:
            result = impl.function(event=current)
        except Exception as exc:  # private code must not stop an alert
            _log.warning(
                "hook %s.floe_enrich_event failed: %s", impl.plugin_name, type(exc).__name__
            )
            continue
        if result is None:
            continue
        if not isinstance(result, ContractViolationEvent):
            _log.warning(
                "hook %s.floe_enrich_event returned %s, not an event",
                impl.plugin_name,
                type(result).__name__,
            )
            continue
        if result.event_id != current.event_id or result.dedup_key != current.dedup_key:
            _log.warning(
                "hook %s.floe_enrich_event changed event_id or dedup_key: ignored", impl.plugin_name
            )
            continue
        current = result
    return current


def notify_delivery_outcome(
    manager: pluggy.PluginManager,
    event: ContractViolationEvent,
    channel: str,
    receipt: DeliveryReceipt | None,
    error: DeliveryError | None,
) -> None:
    """Tell every `floe_delivery_outcome` observer; observers' failures are logged."""
    for impl in manager.hook.floe_delivery_outcome.get_hookimpls():
        try:
            impl.function(event=event, channel=channel, receipt=receipt, error=error)
        except Exception as exc:  # an observer must not affect delivery
            _log.warning(
                "hook %s.floe_delivery_outcome failed: %s", impl.plugin_name, type(exc).__name__
            )
