"""Silences: operator mutes by contract, type and channel, managed at runtime."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from floe_monitoring import ChannelCapability, ContractViolationEvent, ViolationType
from floe_monitoring.routing import (
    AlertRouter,
    RouterMemory,
    RoutingRule,
    Silence,
    SuppressionReason,
)

Make = Callable[..., ContractViolationEvent]
Caps = Mapping[str, frozenset[ChannelCapability]]
NOW = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


def silence(**fields: Any) -> Silence:
    values: dict[str, Any] = {
        "id": "s1",
        "contracts": ["orders"],
        "starts_at": NOW - timedelta(hours=1),
        "ends_at": NOW + timedelta(hours=1),
        "created_by": "alice",
        "comment": "backfill running",
    }
    values.update(fields)
    return Silence.model_validate(values)


def router_with(capabilities: Caps, *silences: Silence) -> AlertRouter:
    return AlertRouter(
        [RoutingRule(channel="email"), RoutingRule(channel="pagerduty")],
        silences=silences,
        channel_capabilities=capabilities,
    )


def test_active_silence_suppresses_on_every_channel(make: Make, capabilities: Caps) -> None:
    event = make()
    decision = router_with(capabilities, silence()).route([event], now=NOW, memory=RouterMemory())
    assert decision.deliveries == []
    assert [(s.channel, s.reason) for s in decision.suppressions] == [
        ("email", SuppressionReason.SILENCED),
        ("pagerduty", SuppressionReason.SILENCED),
    ]
    detail = decision.suppressions[0].detail
    assert "silence 's1' by alice" in detail
    assert "backfill running" in detail


@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        (NOW - timedelta(hours=2), NOW - timedelta(hours=1)),  # expired
        (NOW - timedelta(hours=2), NOW),  # ends exactly now: end is exclusive
        (NOW + timedelta(minutes=1), NOW + timedelta(hours=1)),  # future
    ],
)
def test_expired_and_future_silences_do_not_suppress(
    make: Make, capabilities: Caps, starts: datetime, ends: datetime
) -> None:
    muted = silence(starts_at=starts, ends_at=ends)
    assert not muted.is_active(NOW)
    event = make()
    decision = router_with(capabilities, muted).route([event], now=NOW, memory=RouterMemory())
    assert decision.channels_for(event) == ["email", "pagerduty"]


def test_silence_starting_now_is_active(make: Make) -> None:
    assert silence(starts_at=NOW).is_active(NOW)


def test_channel_matcher_limits_the_silence(make: Make, capabilities: Caps) -> None:
    event = make()
    muted = silence(channels=["pager*"])
    decision = router_with(capabilities, muted).route([event], now=NOW, memory=RouterMemory())
    assert decision.channels_for(event) == ["email"]
    assert [(s.channel, s.reason) for s in decision.suppressions] == [
        ("pagerduty", SuppressionReason.SILENCED)
    ]


@pytest.mark.parametrize(
    ("fields", "silenced"),
    [
        ({"contracts": ["urn:contract:ord*"]}, True),
        ({"contracts": ["payments"]}, False),
        ({"violation_types": ["freshness"]}, True),
        ({"check_types": ["quality"]}, False),
        ({"channels": ["sms"]}, False),
    ],
)
def test_silence_matchers(
    make: Make, capabilities: Caps, fields: dict[str, Any], silenced: bool
) -> None:
    event = make()
    muted = silence(**fields)
    assert muted.matches(event, "email") is silenced
    decision = router_with(capabilities, muted).route([event], now=NOW, memory=RouterMemory())
    assert bool(decision.deliveries) is not silenced


def test_silences_are_managed_at_runtime(make: Make, capabilities: Caps) -> None:
    router = router_with(capabilities)
    assert list(router.silences) == []
    muted = silence(id="maint-42")
    router.add_silence(muted)
    assert router.silences == (muted,)
    first = router.route([make()], now=NOW, memory=RouterMemory())
    assert {s.reason for s in first.suppressions} == {SuppressionReason.SILENCED}

    narrowed = silence(id="maint-42", channels=["email"])
    router.add_silence(narrowed)  # same id: replaces
    assert router.silences == (narrowed,)

    assert router.remove_silence("maint-42") == narrowed
    assert router.remove_silence("maint-42") is None
    assert list(router.silences) == []
    event = make()
    after = router.route([event], now=NOW, memory=RouterMemory())
    assert after.channels_for(event) == ["email", "pagerduty"]


def test_silenced_notifications_are_not_remembered(make: Make, capabilities: Caps) -> None:
    # Nothing was sent, so once the silence ends the alert must go out (not be a "dup").
    router = router_with(capabilities, silence(ends_at=NOW + timedelta(minutes=5)))
    memory = RouterMemory()
    router.route([make()], now=NOW, memory=memory)
    event = make()
    later = router.route([event], now=NOW + timedelta(minutes=6), memory=memory)
    assert later.channels_for(event) == ["email", "pagerduty"]


def test_silence_gets_an_id_and_normalises_times_to_utc() -> None:
    muted = Silence.model_validate(
        {
            "contracts": ["*"],
            "starts_at": "2026-01-31T10:00:00+01:00",
            "ends_at": "2026-01-31T12:00:00Z",
            "created_by": "bob",
            "comment": "migration",
            "check_types": ["schema_drift"],
        }
    )
    assert muted.id
    assert muted.starts_at == datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    assert muted.violation_types == (ViolationType.SCHEMA_DRIFT,)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ends_at": NOW - timedelta(hours=2)}, "ends_at must be after starts_at"),
        ({"starts_at": datetime(2026, 1, 31, 9, 0)}, "timezone-aware"),
        ({"comment": ""}, "comment"),
        ({"contracts": []}, "contracts"),
        ({"matchers": {}}, "extra"),
    ],
)
def test_invalid_silences_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        silence(**fields)


def test_is_active_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        silence().is_active(datetime(2026, 1, 31, 10, 0))
