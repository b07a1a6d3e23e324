"""Deliveries that succeed, through the real loopback server and the fake Events API."""

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from floe_alert_pagerduty import PagerDutyChannel, PagerDutyConfig
from floe_alert_pagerduty.conformance import FakeEventsAPI
from floe_alert_pagerduty.payload import MAX_EVENT_BYTES, NOTE_KEY
from floe_monitoring import (
    TRUNCATION_MARKER,
    ContractViolationEvent,
    FailureReason,
    RetryableDeliveryError,
)
from floe_testing_kit import FakeHTTPServer

EventFactory = Callable[..., ContractViolationEvent]
ConfigFactory = Callable[..., PagerDutyConfig]


def bodies(server: FakeHTTPServer) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in server.requests]


async def test_trigger_then_resolve_one_incident_with_the_same_dedup_key(
    channel: PagerDutyChannel,
    server: FakeHTTPServer,
    fake_api: FakeEventsAPI,
    make_event: EventFactory,
    default_key: str,
) -> None:
    firing = make_event()
    fired = await channel.send_alert(firing)
    assert fake_api.alert_state(default_key, firing.dedup_key) == "triggered"
    resolved = await channel.send_alert(firing.with_changes(status="resolved"))
    assert fake_api.alert_state(default_key, firing.dedup_key) == "resolved"
    assert fake_api.rejected == []

    trigger, resolve = bodies(server)
    assert [r.path for r in server.requests] == ["/v2/enqueue", "/v2/enqueue"]
    assert trigger["event_action"] == "trigger"
    assert resolve == {
        "routing_key": default_key,
        "event_action": "resolve",
        "dedup_key": firing.dedup_key,
    }
    assert trigger["dedup_key"] == resolve["dedup_key"] == firing.dedup_key
    assert fired.remote_id == resolved.remote_id == firing.dedup_key
    assert fired.status_code == resolved.status_code == 202
    assert fired.event_ids == (firing.event_id,)
    assert fired.details["event_action"] == "trigger"
    assert resolved.details["event_action"] == "resolve"
    assert server.requests[0].headers["content-type"] == "application/json"
    assert server.requests[0].headers["user-agent"].startswith("floe-alert-pagerduty/")


async def test_severity_routing_sends_to_different_routing_keys(
    make_config: ConfigFactory,
    fake_api: FakeEventsAPI,
    make_event: EventFactory,
    default_key: str,
    oncall_key: str,
) -> None:
    config = make_config(severity_routing={"critical": oncall_key})
    page = make_event(severity="critical", contract_name="payments")
    ticket = make_event(severity="warning", contract_name="orders")
    async with PagerDutyChannel(config) as channel:
        paged = await channel.send_alert(page)
        ticketed = await channel.send_alert(ticket)
    assert fake_api.alert_state(oncall_key, page.dedup_key) == "triggered"
    assert fake_api.alert_state(default_key, ticket.dedup_key) == "triggered"
    assert fake_api.alert_state(default_key, page.dedup_key) is None
    assert paged.details["routes"] == ["critical"]
    assert ticketed.details["routes"] == ["default"]


async def test_resolve_closes_an_escalated_incident_on_every_routing_key(
    make_config: ConfigFactory,
    fake_api: FakeEventsAPI,
    make_event: EventFactory,
    default_key: str,
    oncall_key: str,
) -> None:
    config = make_config(severity_routing={"critical": oncall_key})
    warning = make_event(severity="warning")
    async with PagerDutyChannel(config) as channel:
        await channel.send_alert(warning)
        await channel.send_alert(warning.with_changes(severity="critical"))  # escalation
        assert sorted(fake_api.open_alerts()) == sorted(
            [(default_key, warning.dedup_key), (oncall_key, warning.dedup_key)]
        )
        receipt = await channel.send_alert(
            warning.with_changes(severity="critical", status="resolved")
        )
    assert fake_api.open_alerts() == []
    assert receipt.details["routes"] == ["critical", "default"]
    resolves = [e for e in fake_api.accepted if e.action == "resolve"]
    assert {e.routing_key for e in resolves} == {default_key, oncall_key}
    assert {e.dedup_key for e in resolves} == {warning.dedup_key}


async def test_acknowledge_keeps_the_alert_open_until_resolved(
    channel: PagerDutyChannel,
    fake_api: FakeEventsAPI,
    make_event: EventFactory,
    default_key: str,
) -> None:
    event = make_event()
    await channel.send_alert(event)
    receipt = await channel.acknowledge(event)
    assert receipt.details["event_action"] == "acknowledge"
    assert receipt.remote_id == event.dedup_key
    assert fake_api.alert_state(default_key, event.dedup_key) == "acknowledged"
    await channel.send_alert(event.with_changes(status="resolved"))
    assert fake_api.alert_state(default_key, event.dedup_key) == "resolved"


async def test_a_retry_sends_identical_bytes(
    channel: PagerDutyChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    event = make_event(metadata={"z": 1, "a": {"nested": [1.5, "x"]}})
    await channel.send_alert(event)
    await channel.send_alert(event)
    first, second = server.requests
    assert first.body == second.body
    resolved = event.with_changes(status="resolved")
    await channel.send_alert(resolved)
    await channel.send_alert(resolved)
    assert server.requests[2].body == server.requests[3].body


async def test_summary_is_truncated_to_1024_characters(
    channel: PagerDutyChannel,
    server: FakeHTTPServer,
    fake_api: FakeEventsAPI,
    make_event: EventFactory,
) -> None:
    event = make_event(message="very long message " * 200)
    await channel.send_alert(event)
    assert fake_api.rejected == []
    payload = bodies(server)[0]["payload"]
    assert len(payload["summary"]) == 1024
    assert payload["summary"].endswith(TRUNCATION_MARKER)
    assert payload["custom_details"]["message"] == event.message


async def test_oversized_custom_details_are_trimmed_under_512_kb_with_a_note(
    channel: PagerDutyChannel,
    server: FakeHTTPServer,
    fake_api: FakeEventsAPI,
    make_event: EventFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = make_event(metadata={"sample_rows": ["x" * 1000 for _ in range(1500)]})
    receipt = await channel.send_alert(event)
    assert fake_api.rejected == []
    sent = server.requests[0].body
    assert len(sent) <= MAX_EVENT_BYTES
    assert receipt.details["trimmed"] == ["metadata"]
    assert receipt.details["bytes"] == len(sent)
    details = json.loads(sent)["payload"]["custom_details"]
    assert "cut: metadata" in details[NOTE_KEY]
    assert details["metadata"].endswith(TRUNCATION_MARKER)
    assert details["expected"] == "6h"
    assert "trimmed to fit" in caplog.text


async def test_info_notices_go_out_as_change_events_when_configured(
    make_config: ConfigFactory,
    server: FakeHTTPServer,
    fake_api: FakeEventsAPI,
    make_event: EventFactory,
) -> None:
    notice = make_event(severity="info", violation_type="deprecation", message="v1 retires soon")
    async with PagerDutyChannel(make_config(info_as_change_events=True)) as channel:
        receipt = await channel.send_alert(notice)
        await channel.send_alert(notice.with_changes(status="resolved"))
        await channel.send_alert(make_event(severity="error"))
    assert [r.path for r in server.requests] == [
        "/v2/change/enqueue",
        "/v2/change/enqueue",
        "/v2/enqueue",
    ]
    assert fake_api.rejected == []
    assert [e.kind for e in fake_api.accepted] == ["change", "change", "alert"]
    change = bodies(server)[0]
    assert "event_action" not in change
    assert "v1 retires soon" in change["payload"]["summary"]
    assert receipt.remote_id is None
    assert receipt.details["event_action"] == "change"


async def test_info_is_an_ordinary_alert_by_default(
    channel: PagerDutyChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    await channel.send_alert(make_event(severity="info"))
    assert server.requests[0].path == "/v2/enqueue"
    assert bodies(server)[0]["payload"]["severity"] == "info"


async def test_many_concurrent_sends_all_arrive_intact(
    channel: PagerDutyChannel,
    server: FakeHTTPServer,
    fake_api: FakeEventsAPI,
    make_event: EventFactory,
) -> None:
    events = [make_event(element=f"orders.col_{i}", message=f"ü{i}") for i in range(40)]
    receipts = await asyncio.gather(*(channel.send_alert(e) for e in events))
    assert {r.remote_id for r in receipts} == {e.dedup_key for e in events}
    assert len(fake_api.accepted) == 40
    assert fake_api.rejected == []
    got = {b["dedup_key"]: b["payload"]["custom_details"]["message"] for b in bodies(server)}
    assert got == {e.dedup_key: e.message for e in events}


async def test_the_fakes_rate_limit_surfaces_as_a_retryable_429(
    make_config: ConfigFactory, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.handler = FakeEventsAPI(rate_limit=2, retry_after="12")
    async with PagerDutyChannel(make_config()) as channel:
        await channel.send_alert(make_event(element="a"))
        await channel.send_alert(make_event(element="b"))
        with pytest.raises(RetryableDeliveryError) as caught:
            await channel.send_alert(make_event(element="c"))
    assert caught.value.status_code == 429
    assert caught.value.reason is FailureReason.RATE_LIMITED
    assert caught.value.retry_after == 12.0
    assert "throttle event" in str(caught.value)
