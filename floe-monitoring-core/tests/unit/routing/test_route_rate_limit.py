"""The per-contract rate limit: 10 notifications per sliding 60 minutes, across channels."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from floe_monitoring import ChannelCapability, ContractViolationEvent
from floe_monitoring.routing import (
    DEFAULT_RATE_LIMIT,
    AlertRouter,
    ContractRateLimit,
    RouterMemory,
    RoutingRule,
    SuppressionReason,
)

Make = Callable[..., ContractViolationEvent]
Caps = Mapping[str, frozenset[ChannelCapability]]
T0 = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


@pytest.fixture
def router(capabilities: Caps) -> AlertRouter:
    return AlertRouter(
        [RoutingRule(channel="email"), RoutingRule(channel="pagerduty")],
        channel_capabilities=capabilities,
    )


def send_ten(router: AlertRouter, make: Make, memory: RouterMemory) -> None:
    # Ten distinct incidents of one contract, one a minute (no dedup between them).
    for minute in range(10):
        event = make(element=f"orders.c{minute}")
        decision = router.route([event], now=T0 + timedelta(minutes=minute), memory=memory)
        assert decision.channels_for(event) == ["email", "pagerduty"]


def test_default_is_ten_per_sixty_minutes() -> None:
    assert DEFAULT_RATE_LIMIT.max_notifications == 10
    assert DEFAULT_RATE_LIMIT.window == timedelta(minutes=60)


def test_eleventh_notification_is_suppressed_on_every_channel(
    router: AlertRouter, make: Make
) -> None:
    memory = RouterMemory()
    send_ten(router, make, memory)
    eleventh = make(element="orders.c10")
    decision = router.route([eleventh], now=T0 + timedelta(minutes=10), memory=memory)
    assert decision.deliveries == []
    assert [(s.channel, s.reason) for s in decision.suppressions] == [
        ("email", SuppressionReason.RATE_LIMITED),
        ("pagerduty", SuppressionReason.RATE_LIMITED),
    ]
    assert "already had 10 notifications in the last 60 min" in decision.suppressions[0].detail


def test_one_event_to_several_channels_counts_once(router: AlertRouter, make: Make) -> None:
    memory = RouterMemory()
    send_ten(router, make, memory)
    assert memory.count_for_contract("urn:contract:orders", T0 - timedelta(seconds=1)) == 10


def test_other_contracts_have_their_own_budget(router: AlertRouter, make: Make) -> None:
    memory = RouterMemory()
    send_ten(router, make, memory)
    payments = make(contract_name="payments", contract_id="urn:contract:payments")
    decision = router.route([payments], now=T0 + timedelta(minutes=10), memory=memory)
    assert decision.channels_for(payments) == ["email", "pagerduty"]


def test_sliding_window_frees_a_place_after_sixty_minutes(router: AlertRouter, make: Make) -> None:
    memory = RouterMemory()
    send_ten(router, make, memory)  # at minutes 0..9
    late = make(element="orders.late")
    blocked = router.route([late], now=T0 + timedelta(minutes=59), memory=memory)
    assert {s.reason for s in blocked.suppressions} == {SuppressionReason.RATE_LIMITED}
    # The minute-0 send leaves the window at minute 60: exactly one place is free.
    freed = router.route([late], now=T0 + timedelta(minutes=60), memory=memory)
    assert freed.channels_for(late) == ["email", "pagerduty"]
    another = make(element="orders.another")
    full = router.route([another], now=T0 + timedelta(minutes=60), memory=memory)
    assert {s.reason for s in full.suppressions} == {SuppressionReason.RATE_LIMITED}


def test_resolved_of_a_sent_incident_is_never_rate_limited(router: AlertRouter, make: Make) -> None:
    memory = RouterMemory()
    send_ten(router, make, memory)
    resolved = make(element="orders.c0", status="resolved")
    decision = router.route([resolved], now=T0 + timedelta(minutes=10), memory=memory)
    assert decision.channels_for(resolved) == ["email", "pagerduty"]
    assert decision.suppressions == []


def test_resolved_of_an_incident_never_announced_is_limited(
    router: AlertRouter, make: Make
) -> None:
    memory = RouterMemory()
    send_ten(router, make, memory)
    unknown = make(element="orders.never-sent", status="resolved")
    decision = router.route([unknown], now=T0 + timedelta(minutes=10), memory=memory)
    assert {s.reason for s in decision.suppressions} == {SuppressionReason.RATE_LIMITED}


def test_resolve_exemption_is_per_channel(capabilities: Caps, make: Make) -> None:
    memory = RouterMemory()
    email_only = AlertRouter([RoutingRule(channel="email")], channel_capabilities=capabilities)
    email_only.route([make(element="orders.first")], now=T0, memory=memory)
    both = AlertRouter(
        [RoutingRule(channel="email"), RoutingRule(channel="pagerduty")],
        channel_capabilities=capabilities,
    )
    for minute in range(1, 10):
        both.route(
            [make(element=f"orders.c{minute}")], now=T0 + timedelta(minutes=minute), memory=memory
        )
    resolved = make(element="orders.first", status="resolved")
    decision = both.route([resolved], now=T0 + timedelta(minutes=10), memory=memory)
    # The firing went to e-mail only: that channel must close it; pagerduty never knew.
    assert decision.channels_for(resolved) == ["email"]
    assert [(s.channel, s.reason) for s in decision.suppressions] == [
        ("pagerduty", SuppressionReason.RATE_LIMITED)
    ]


def test_scarce_budget_goes_to_the_most_severe_events_of_a_cycle(
    router: AlertRouter, make: Make
) -> None:
    memory = RouterMemory()
    for minute in range(9):
        router.route(
            [make(element=f"orders.c{minute}")], now=T0 + timedelta(minutes=minute), memory=memory
        )
    info = make(element="orders.info", severity="info")
    critical = make(element="orders.crit", severity="critical")
    decision = router.route([info, critical], now=T0 + timedelta(minutes=9), memory=memory)
    assert decision.channels_for(critical) == ["email", "pagerduty"]
    assert {s.reason for s in decision.suppressions_for(info)} == {SuppressionReason.RATE_LIMITED}
    # The decision still lists events in their given order.
    assert [s.event for s in decision.suppressions] == [info, info]


def test_no_rate_limit_when_disabled(capabilities: Caps, make: Make) -> None:
    router = AlertRouter(
        [RoutingRule(channel="email")], rate_limit=None, channel_capabilities=capabilities
    )
    memory = RouterMemory()
    events = [make(element=f"orders.c{i}") for i in range(25)]
    decision = router.route(events, now=T0, memory=memory)
    assert len(decision.deliveries) == 25
    assert router.memory_horizon == timedelta(minutes=30)


def test_custom_limit_and_config_spellings(capabilities: Caps, make: Make) -> None:
    limit = ContractRateLimit.model_validate({"max_notifications": 2, "window": "PT10M"})
    assert limit.window == timedelta(minutes=10)
    assert ContractRateLimit.model_validate({"window": "90 min"}).window == timedelta(minutes=90)
    assert ContractRateLimit.model_validate({"window": 120}).window == timedelta(minutes=2)
    router = AlertRouter(
        [RoutingRule(channel="email")], rate_limit=limit, channel_capabilities=capabilities
    )
    events = [make(element=f"orders.c{i}") for i in range(3)]
    decision = router.route(events, now=T0, memory=RouterMemory())
    assert [d.events[0] for d in decision.deliveries] == events[:2]
    assert [s.reason for s in decision.suppressions] == [SuppressionReason.RATE_LIMITED]
    assert router.memory_horizon == timedelta(minutes=30)


def test_invalid_limits_are_refused() -> None:
    with pytest.raises(ValidationError, match="max_notifications"):
        ContractRateLimit(max_notifications=0)
    with pytest.raises(ValidationError, match="window"):
        ContractRateLimit.model_validate({"window": "soon"})
    with pytest.raises(ValidationError, match="extra"):
        ContractRateLimit.model_validate({"per_channel": True})


@pytest.mark.parametrize("window", [10**23, float("inf"), -(10**23)])
def test_a_window_out_of_range_is_a_field_error_not_a_traceback(window: float) -> None:
    with pytest.raises(ValidationError, match="window"):
        ContractRateLimit.model_validate({"window": window})
