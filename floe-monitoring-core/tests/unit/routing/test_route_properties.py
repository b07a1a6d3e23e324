"""Properties of any routing pass: one outcome per (event, channel), reasons everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from floe_monitoring import ChannelCapability, ContractViolationEvent
from floe_monitoring.routing import (
    AlertRouter,
    ContractRateLimit,
    MaintenanceWindow,
    RouterMemory,
    RoutingDecision,
    RoutingRule,
    Silence,
    SuppressionReason,
)

T0 = datetime(2026, 3, 28, 0, 0, tzinfo=UTC)
CAPS = {
    "slack": frozenset({ChannelCapability.BATCH}),
    "email": frozenset(),
    "pagerduty": frozenset({ChannelCapability.RESOLVE}),
}

contracts = st.sampled_from(["orders", "payments", "customers"])
severities = st.sampled_from(["info", "warning", "error", "critical"])


@st.composite
def events(draw: st.DrawFn) -> ContractViolationEvent:
    name = draw(contracts)
    fields: dict[str, Any] = {
        "contract_name": name,
        "contract_id": draw(st.sampled_from([None, f"urn:{name}"])),
        "violation_type": draw(st.sampled_from(["freshness", "quality", "schema_drift"])),
        "severity": draw(severities),
        "status": draw(st.sampled_from(["firing", "firing", "resolved"])),
        "message": "m",
        "element": draw(st.sampled_from([None, "a", "b"])),
        "timestamp": T0,
        "domain": draw(st.sampled_from([None, "sales", "finance"])),
        "owner": draw(st.sampled_from([None, "team-a"])),
        "metadata": {"tags": draw(st.lists(st.sampled_from(["pii", "gold"]), max_size=2))},
    }
    return ContractViolationEvent.model_validate(fields)


rules = st.builds(
    RoutingRule,
    channel=st.sampled_from(["slack", "email", "pagerduty", "teams"]),
    min_severity=severities,
    contracts=st.sampled_from([("*",), ("orders",), ("urn:*",), ("pay*", "cust*")]),
    domains=st.sampled_from([(), ("sales",)]),
    tags=st.sampled_from([(), ("pii",)]),
    send_resolved=st.booleans(),
)

silences = st.builds(
    Silence,
    contracts=st.sampled_from([("orders",), ("*",)]),
    channels=st.sampled_from([(), ("slack",), ("e*",)]),
    starts_at=st.sampled_from([T0, T0 + timedelta(hours=1)]),
    ends_at=st.just(T0 + timedelta(hours=2)),
    created_by=st.just("alice"),
    comment=st.just("test"),
)

MAINTENANCE = MaintenanceWindow.model_validate(
    {
        "name": "payments-nightly",
        "contracts": ["payments"],
        "recurring": {"start": "02:00", "duration": "30 min", "timezone": "Europe/Berlin"},
    }
)

# A run: cycles of (minutes since the previous cycle, events).
runs = st.lists(
    st.tuples(st.integers(min_value=0, max_value=40), st.lists(events(), max_size=6)),
    min_size=1,
    max_size=8,
)


def make_router(rule_list: list[RoutingRule], silence_list: list[Silence]) -> AlertRouter:
    return AlertRouter(
        rule_list,
        rate_limit=ContractRateLimit(max_notifications=3, window=timedelta(minutes=60)),
        silences=silence_list,
        maintenance_windows=[MAINTENANCE],
        channel_capabilities=CAPS,
    )


def outcomes(decision: RoutingDecision) -> list[tuple[int, str | None, str]]:
    out: list[tuple[int, str | None, str]] = [
        (id(e), d.channel, "sent") for d in decision.deliveries for e in d.events
    ]
    out += [(id(s.event), s.channel, s.reason.value) for s in decision.suppressions]
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rules, max_size=5), st.lists(silences, max_size=2), runs)
def test_one_outcome_per_event_and_channel(
    rule_list: list[RoutingRule], silence_list: list[Silence], run: list[Any]
) -> None:
    router = make_router(rule_list, silence_list)
    memory = RouterMemory()
    now = T0
    for gap, batch in run:
        now += timedelta(minutes=gap)
        decision = router.route(batch, now=now, memory=memory)
        pairs = [(event, channel) for event, channel, _ in outcomes(decision)]
        # Never both delivered and suppressed, never twice, for the same (event, channel).
        assert len(pairs) == len(set(pairs))
        for event in batch:
            chosen: set[str | None] = {r.channel for r in rule_list if r.selects(event)}
            seen = {channel for e, channel, _ in outcomes(decision) if e == id(event)}
            assert seen == (chosen or {None})
        for suppression in decision.suppressions:
            assert isinstance(suppression.reason, SuppressionReason)
            assert suppression.detail
            assert (suppression.channel is None) == (
                suppression.reason is SuppressionReason.NO_ROUTE
            )
        for delivery in decision.deliveries:
            assert delivery.events
            if ChannelCapability.BATCH not in CAPS[delivery.channel]:
                assert len(delivery.events) == 1
        assert len(decision.records) == sum(len(d.events) for d in decision.deliveries)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rules, min_size=1, max_size=5), runs, runs)
def test_memory_rebuilt_from_records_decides_like_the_live_one(
    rule_list: list[RoutingRule], before: list[Any], after: list[Any]
) -> None:
    router = make_router(rule_list, [])
    live = RouterMemory()
    stored = []
    now = T0
    for gap, batch in before:
        now += timedelta(minutes=gap)
        stored += router.route(batch, now=now, memory=live).records
    rebuilt = RouterMemory.from_history(stored)
    for gap, batch in after:
        now += timedelta(minutes=gap)
        expected = router.route(batch, now=now, memory=live)
        actual = router.route(batch, now=now, memory=rebuilt)
        assert outcomes(actual) == outcomes(expected)
