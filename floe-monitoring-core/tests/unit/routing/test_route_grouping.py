"""Grouping: one delivery per contract and cycle for batch channels, one per event otherwise."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from floe_monitoring import ChannelCapability, ContractViolationEvent
from floe_monitoring.routing import AlertRouter, Delivery, RouterMemory, RoutingRule

Make = Callable[..., ContractViolationEvent]
Caps = Mapping[str, frozenset[ChannelCapability]]
NOW = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


def test_batch_channel_gets_one_delivery_per_contract_others_one_per_event(
    make: Make, capabilities: Caps
) -> None:
    router = AlertRouter(
        [RoutingRule(channel="slack"), RoutingRule(channel="email")],
        channel_capabilities=capabilities,
    )
    a = make(element="orders.a")
    p = make(contract_name="payments", contract_id="urn:contract:payments", element="p")
    b = make(element="orders.b", violation_type="quality")
    decision = router.route([a, p, b], now=NOW, memory=RouterMemory())
    assert decision.deliveries == [
        Delivery("slack", (a, b)),
        Delivery("email", (a,)),
        Delivery("slack", (p,)),
        Delivery("email", (p,)),
        Delivery("email", (b,)),
    ]
    # Memory holds one record per event and channel, batch or not.
    assert len(decision.records) == 6


def test_without_any_batch_channel_every_event_is_its_own_delivery(
    make: Make, capabilities: Caps
) -> None:
    router = AlertRouter([RoutingRule(channel="pagerduty")], channel_capabilities=capabilities)
    events = [make(element=f"orders.c{i}") for i in range(3)]
    decision = router.route(events, now=NOW, memory=RouterMemory())
    assert [d.events for d in decision.deliveries] == [(e,) for e in events]


def test_suppressed_events_are_left_out_of_the_batch(make: Make, capabilities: Caps) -> None:
    router = AlertRouter([RoutingRule(channel="slack")], channel_capabilities=capabilities)
    memory = RouterMemory()
    old = make(element="orders.old")
    router.route([old], now=NOW, memory=memory)
    repeat, new = make(element="orders.old"), make(element="orders.new")
    decision = router.route([repeat, new], now=NOW + timedelta(minutes=5), memory=memory)
    assert decision.deliveries == [Delivery("slack", (new,))]
    assert [s.event for s in decision.suppressions] == [repeat]


def test_batch_groups_by_contract_id_when_names_collide(make: Make, capabilities: Caps) -> None:
    router = AlertRouter([RoutingRule(channel="slack")], channel_capabilities=capabilities)
    mine = make(contract_id="urn:team-a:orders")
    theirs = make(contract_id="urn:team-b:orders")
    decision = router.route([mine, theirs], now=NOW, memory=RouterMemory())
    assert [d.events for d in decision.deliveries] == [(mine,), (theirs,)]


def test_firing_and_resolved_of_one_contract_share_a_batch(make: Make, capabilities: Caps) -> None:
    router = AlertRouter([RoutingRule(channel="slack")], channel_capabilities=capabilities)
    firing = make(element="orders.a")
    resolved = make(element="orders.b", status="resolved")
    decision = router.route([firing, resolved], now=NOW, memory=RouterMemory())
    assert decision.deliveries == [Delivery("slack", (firing, resolved))]
