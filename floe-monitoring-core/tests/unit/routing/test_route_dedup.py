"""The dedup window: the same notification is not repeated within 30 minutes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import pytest

from floe_monitoring import ChannelCapability, ContractViolationEvent
from floe_monitoring.routing import (
    DEFAULT_DEDUP_WINDOW,
    AlertRouter,
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


def test_default_window_is_thirty_minutes(router: AlertRouter) -> None:
    assert timedelta(minutes=30) == DEFAULT_DEDUP_WINDOW
    assert router.dedup_window == timedelta(minutes=30)


@pytest.mark.parametrize("later", [timedelta(minutes=1), timedelta(minutes=29, seconds=59)])
def test_repeat_within_the_window_is_suppressed(
    router: AlertRouter, make: Make, later: timedelta
) -> None:
    memory = RouterMemory()
    first = router.route([make()], now=T0, memory=memory)
    assert [d.channel for d in first.deliveries] == ["email", "pagerduty"]
    repeat = make()
    second = router.route([repeat], now=T0 + later, memory=memory)
    assert second.deliveries == []
    assert [(s.channel, s.reason) for s in second.suppressions] == [
        ("email", SuppressionReason.DEDUP),
        ("pagerduty", SuppressionReason.DEDUP),
    ]
    assert "within the 30 min dedup window" in second.suppressions[0].detail


@pytest.mark.parametrize("later", [timedelta(minutes=30), timedelta(hours=2)])
def test_repeat_after_the_window_is_sent_again(
    router: AlertRouter, make: Make, later: timedelta
) -> None:
    memory = RouterMemory()
    router.route([make()], now=T0, memory=memory)
    again = make()
    decision = router.route([again], now=T0 + later, memory=memory)
    assert decision.channels_for(again) == ["email", "pagerduty"]
    assert decision.suppressions == []


def test_window_counts_from_the_last_send_not_the_first(router: AlertRouter, make: Make) -> None:
    memory = RouterMemory()
    router.route([make()], now=T0, memory=memory)
    router.route([make()], now=T0 + timedelta(minutes=31), memory=memory)  # re-sent
    decision = router.route([make()], now=T0 + timedelta(minutes=45), memory=memory)
    assert {s.reason for s in decision.suppressions} == {SuppressionReason.DEDUP}


def test_severity_escalation_is_not_a_duplicate(router: AlertRouter, make: Make) -> None:
    memory = RouterMemory()
    router.route([make(severity="warning")], now=T0, memory=memory)
    worse = make(severity="critical")
    decision = router.route([worse], now=T0 + timedelta(minutes=5), memory=memory)
    assert decision.channels_for(worse) == ["email", "pagerduty"]


def test_status_change_is_not_a_duplicate(router: AlertRouter, make: Make) -> None:
    memory = RouterMemory()
    router.route([make()], now=T0, memory=memory)
    resolved = make(status="resolved")
    decision = router.route([resolved], now=T0 + timedelta(minutes=5), memory=memory)
    assert decision.channels_for(resolved) == ["email", "pagerduty"]


def test_refiring_after_a_resolve_within_the_window_is_sent(
    router: AlertRouter, make: Make
) -> None:
    # firing -> resolved -> firing: the receiver believes the incident closed, so the
    # second firing is news even though an identical firing went out 10 minutes ago.
    memory = RouterMemory()
    router.route([make()], now=T0, memory=memory)
    router.route([make(status="resolved")], now=T0 + timedelta(minutes=5), memory=memory)
    refire = make()
    decision = router.route([refire], now=T0 + timedelta(minutes=10), memory=memory)
    assert decision.channels_for(refire) == ["email", "pagerduty"]


def test_different_incidents_of_one_contract_are_not_duplicates(
    router: AlertRouter, make: Make
) -> None:
    memory = RouterMemory()
    router.route([make(element="orders.a")], now=T0, memory=memory)
    other = make(element="orders.b")
    decision = router.route([other], now=T0 + timedelta(minutes=1), memory=memory)
    assert decision.channels_for(other) == ["email", "pagerduty"]


def test_dedup_is_per_channel(capabilities: Caps, make: Make) -> None:
    memory = RouterMemory()
    only_email = AlertRouter([RoutingRule(channel="email")], channel_capabilities=capabilities)
    only_email.route([make()], now=T0, memory=memory)
    both = AlertRouter(
        [RoutingRule(channel="email"), RoutingRule(channel="pagerduty")],
        channel_capabilities=capabilities,
    )
    event = make()
    decision = both.route([event], now=T0 + timedelta(minutes=1), memory=memory)
    assert decision.channels_for(event) == ["pagerduty"]
    assert [(s.channel, s.reason) for s in decision.suppressions] == [
        ("email", SuppressionReason.DEDUP)
    ]


def test_duplicates_within_one_cycle_are_sent_once(router: AlertRouter, make: Make) -> None:
    first, copy = make(), make()
    decision = router.route([first, copy], now=T0, memory=RouterMemory())
    assert decision.channels_for(first) == ["email", "pagerduty"]
    assert {s.reason for s in decision.suppressions_for(copy)} == {SuppressionReason.DEDUP}


def test_zero_window_turns_dedup_off(capabilities: Caps, make: Make) -> None:
    router = AlertRouter(
        [RoutingRule(channel="email")],
        dedup_window=timedelta(0),
        channel_capabilities=capabilities,
    )
    memory = RouterMemory()
    router.route([make()], now=T0, memory=memory)
    again = make()
    assert router.route([again], now=T0, memory=memory).channels_for(again) == ["email"]


def test_negative_window_is_refused(capabilities: Caps) -> None:
    with pytest.raises(ValueError, match="dedup_window"):
        AlertRouter([], dedup_window=timedelta(minutes=-1), channel_capabilities=capabilities)


def test_naive_now_is_refused(router: AlertRouter, make: Make) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        router.route([make()], now=datetime(2026, 1, 31, 10, 0), memory=RouterMemory())
