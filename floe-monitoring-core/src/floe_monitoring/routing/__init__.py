"""Alert routing: which channel gets which violation event, and why the others do not.

`AlertRouter` applies routing rules, maintenance windows, silences, the dedup window and
the per-contract rate limit, and groups a contract's events for batch channels. It is
pure: state of recent sends lives in a `RouterMemory` that the engine rebuilds from its
stored notifications at startup, so a restart neither repeats nor loses alerts.

Example:
    >>> from floe_monitoring.routing import AlertRouter, RouterMemory, RoutingRule
    >>> router = AlertRouter([RoutingRule(channel="slack")],
    ...                      channel_capabilities={"slack": frozenset()})
    >>> decision = router.route([], now=now, memory=RouterMemory())  # doctest: +SKIP
"""

from floe_monitoring.routing._match import contract_key
from floe_monitoring.routing.decision import (
    Delivery,
    RoutingDecision,
    Suppression,
    SuppressionReason,
)
from floe_monitoring.routing.memory import NotificationRecord, RouterMemory
from floe_monitoring.routing.router import AlertRouter
from floe_monitoring.routing.rules import (
    DEFAULT_DEDUP_WINDOW,
    DEFAULT_RATE_LIMIT,
    ContractRateLimit,
    RoutingRule,
)
from floe_monitoring.routing.silences import (
    MaintenanceWindow,
    Recurrence,
    Silence,
    Weekday,
    find_maintenance,
    in_maintenance,
)

__all__ = [
    "DEFAULT_DEDUP_WINDOW",
    "DEFAULT_RATE_LIMIT",
    "AlertRouter",
    "ContractRateLimit",
    "Delivery",
    "MaintenanceWindow",
    "NotificationRecord",
    "Recurrence",
    "RouterMemory",
    "RoutingDecision",
    "RoutingRule",
    "Silence",
    "Suppression",
    "SuppressionReason",
    "Weekday",
    "contract_key",
    "find_maintenance",
    "in_maintenance",
]
