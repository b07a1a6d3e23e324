"""Rule matching: which channels an event reaches, and the reasons when it does not."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from floe_monitoring import ChannelCapability, ContractViolationEvent, Severity, ViolationType
from floe_monitoring.routing import (
    AlertRouter,
    RouterMemory,
    RoutingDecision,
    RoutingRule,
    SuppressionReason,
)

Make = Callable[..., ContractViolationEvent]
Caps = Mapping[str, frozenset[ChannelCapability]]
NOW = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


def route(rules: list[RoutingRule], caps: Caps, *events: ContractViolationEvent) -> RoutingDecision:
    router = AlertRouter(rules, channel_capabilities=caps)
    return router.route(list(events), now=NOW, memory=RouterMemory())


def rule(**fields: Any) -> RoutingRule:
    return RoutingRule.model_validate({"channel": "email", **fields})


@pytest.mark.parametrize(
    ("pattern", "selected"),
    [
        ("orders", True),
        ("ord*", True),
        ("urn:contract:*", True),
        ("urn:contract:ord?rs", True),
        ("Orders", False),  # case-sensitive on every platform
        ("payments*", False),
    ],
)
def test_contract_globs_match_name_or_id(
    make: Make, capabilities: Caps, pattern: str, selected: bool
) -> None:
    decision = route([rule(contracts=[pattern])], capabilities, event := make())
    assert decision.channels_for(event) == (["email"] if selected else [])
    if not selected:
        assert [s.reason for s in decision.suppressions] == [SuppressionReason.NO_ROUTE]


def test_contract_glob_matches_name_when_event_has_no_id(make: Make, capabilities: Caps) -> None:
    event = make(contract_id=None)
    assert route([rule(contracts=["orders"])], capabilities, event).channels_for(event) == ["email"]
    assert route([rule(contracts=["urn:*"])], capabilities, event).channels_for(event) == []


@pytest.mark.parametrize(
    ("filters", "selected"),
    [
        ({"domains": ["sales"]}, True),
        ({"domains": ["sal*", "finance"]}, True),
        ({"domains": ["finance"]}, False),
        ({"owners": ["team-*"]}, True),
        ({"owners": ["team-payments"]}, False),
        ({"tags": ["pii"]}, True),
        ({"tags": ["gold*"]}, True),
        ({"tags": ["bronze"]}, False),
        ({"violation_types": ["freshness", "quality"]}, True),
        ({"violation_types": ["schema_drift"]}, False),
        ({"check_types": ["freshness"]}, True),
        ({"check_types": ["availability"]}, False),
        ({"domains": ["sales"], "owners": ["team-orders"], "tags": ["pii"]}, True),
        ({"domains": ["sales"], "owners": ["someone-else"]}, False),
    ],
)
def test_domain_owner_tag_and_type_filters(
    make: Make, capabilities: Caps, filters: dict[str, Any], selected: bool
) -> None:
    event = make(metadata={"tags": ["pii", "gold-tier"]})
    decision = route([rule(**filters)], capabilities, event)
    assert decision.channels_for(event) == (["email"] if selected else [])


def test_filter_on_a_missing_domain_or_owner_does_not_match(make: Make, capabilities: Caps) -> None:
    event = make(domain=None, owner=None)
    assert route([rule(domains=["*"])], capabilities, event).channels_for(event) == []
    assert route([rule(owners=["*"])], capabilities, event).channels_for(event) == []
    assert route([rule()], capabilities, event).channels_for(event) == ["email"]


def test_tags_accept_one_string_and_ignore_non_strings(make: Make, capabilities: Caps) -> None:
    single = make(metadata={"tags": "pii"})
    mixed = make(metadata={"tags": [1, None, "pii"]})
    broken = make(metadata={"tags": {"pii": True}})
    rules = [rule(tags=["pii"])]
    assert route(rules, capabilities, single).channels_for(single) == ["email"]
    assert route(rules, capabilities, mixed).channels_for(mixed) == ["email"]
    assert route(rules, capabilities, broken).channels_for(broken) == []


@pytest.mark.parametrize(
    ("severity", "sent"),
    [("info", False), ("warning", False), ("error", True), ("critical", True)],
)
def test_min_severity_is_ordered_not_alphabetical(
    make: Make, capabilities: Caps, severity: str, sent: bool
) -> None:
    event = make(severity=severity)
    decision = route([rule(min_severity="error", name="pager")], capabilities, event)
    assert decision.channels_for(event) == (["email"] if sent else [])
    if not sent:
        (only,) = decision.suppressions
        assert only.reason is SuppressionReason.BELOW_MIN_SEVERITY
        assert only.channel == "email"
        assert "rule 'pager'" in only.detail


def test_send_resolved_false_suppresses_recoveries_only(make: Make, capabilities: Caps) -> None:
    firing = make()
    resolved = make(status="resolved", element="orders.other")
    decision = route([rule(send_resolved=False)], capabilities, firing, resolved)
    assert decision.channels_for(firing) == ["email"]
    assert decision.channels_for(resolved) == []
    (only,) = decision.suppressions
    assert only.event is resolved
    assert only.reason is SuppressionReason.RESOLVED_NOT_WANTED
    assert "rule #1" in only.detail


def test_every_matching_rule_routes_to_its_channel(make: Make, capabilities: Caps) -> None:
    rules = [
        RoutingRule(channel="slack"),
        RoutingRule(channel="pagerduty", min_severity=Severity.CRITICAL),
        RoutingRule(channel="email", domains=("sales",)),
    ]
    error, critical = make(), make(severity="critical", element="orders.id")
    decision = route(rules, capabilities, error, critical)
    assert decision.channels_for(error) == ["slack", "email"]
    assert decision.channels_for(critical) == ["slack", "pagerduty", "email"]
    assert [(s.event, s.channel, s.reason) for s in decision.suppressions] == [
        (error, "pagerduty", SuppressionReason.BELOW_MIN_SEVERITY)
    ]


def test_a_channel_named_by_several_rules_gets_the_event_once(
    make: Make, capabilities: Caps
) -> None:
    rules = [
        RoutingRule(channel="email", min_severity=Severity.CRITICAL),
        RoutingRule(channel="email", contracts=("orders",)),
        RoutingRule(channel="email", domains=("sales",)),
    ]
    event = make()
    decision = route(rules, capabilities, event)
    assert [d.channel for d in decision.deliveries] == ["email"]
    # Another rule delivers to the channel, so the first rule's objection is moot.
    assert decision.suppressions == []
    assert len(decision.records) == 1


def test_when_every_rule_of_a_channel_objects_the_first_reason_is_reported(
    make: Make, capabilities: Caps
) -> None:
    rules = [
        RoutingRule(channel="email", min_severity=Severity.CRITICAL, name="critical-only"),
        RoutingRule(channel="email", send_resolved=False, name="no-recoveries"),
    ]
    event = make(status="resolved")
    (only,) = route(rules, capabilities, event).suppressions
    assert only.reason is SuppressionReason.BELOW_MIN_SEVERITY
    assert "critical-only" in only.detail


def test_no_route_names_the_contract(make: Make, capabilities: Caps) -> None:
    event = make()
    decision = route([rule(contracts=["payments"])], capabilities, event)
    assert decision.deliveries == []
    (only,) = decision.suppressions
    assert only.reason is SuppressionReason.NO_ROUTE
    assert only.channel is None
    assert "'orders' (urn:contract:orders)" in only.detail


def test_no_rules_at_all_is_no_route(make: Make, capabilities: Caps) -> None:
    decision = route([], capabilities, event := make())
    assert decision.suppressions_for(event)[0].reason is SuppressionReason.NO_ROUTE


def test_rule_naming_an_unconfigured_channel_is_channel_unknown(
    make: Make, capabilities: Caps
) -> None:
    rules = [RoutingRule(channel="teams", name="to-teams"), RoutingRule(channel="email")]
    router = AlertRouter(rules, channel_capabilities=capabilities)
    assert router.unknown_channels == ("teams",)
    event = make()
    decision = router.route([event], now=NOW, memory=RouterMemory())
    assert decision.channels_for(event) == ["email"]
    (only,) = decision.suppressions
    assert only.reason is SuppressionReason.CHANNEL_UNKNOWN
    assert only.channel == "teams"
    assert "rule 'to-teams'" in only.detail
    assert "configured: email, pagerduty, slack" in only.detail


def test_rules_reject_unknown_fields_and_bad_values() -> None:
    with pytest.raises(ValidationError, match="extra"):
        RoutingRule.model_validate({"channel": "email", "continue": True})
    with pytest.raises(ValidationError, match="min_severity"):
        RoutingRule.model_validate({"channel": "email", "min_severity": "fatal"})
    with pytest.raises(ValidationError, match="contracts"):
        RoutingRule.model_validate({"channel": "email", "contracts": []})
    with pytest.raises(ValidationError, match="not both"):
        RoutingRule.model_validate(
            {"channel": "email", "check_types": ["quality"], "violation_types": ["quality"]}
        )


def test_rule_defaults_follow_the_issue() -> None:
    default = RoutingRule(channel="email")
    assert default.min_severity is Severity.INFO
    assert default.contracts == ("*",)
    assert (default.domains, default.owners, default.tags, default.violation_types) == (
        (),
        (),
        (),
        (),
    )
    assert default.send_resolved is True
    alias = RoutingRule.model_validate({"channel": "x", "check_types": ["schema_drift"]})
    assert alias.violation_types == (ViolationType.SCHEMA_DRIFT,)
