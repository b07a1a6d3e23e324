"""The routing facade exports exactly its public API."""

from __future__ import annotations

import floe_monitoring.routing as routing

INTENDED = {
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
}


def test_all_is_exactly_the_intended_api() -> None:
    assert set(routing.__all__) == INTENDED
    assert all(hasattr(routing, name) for name in routing.__all__)


def test_every_public_name_is_documented() -> None:
    for name in routing.__all__:
        value = getattr(routing, name)
        if callable(value):
            assert (value.__doc__ or "").strip(), name


def test_suppression_reasons_are_the_issues_vocabulary() -> None:
    assert {reason.value for reason in routing.SuppressionReason} == {
        "no_route",
        "below_min_severity",
        "resolved_not_wanted",
        "dedup",
        "rate_limited",
        "silenced",
        "maintenance",
        "channel_unknown",
    }
