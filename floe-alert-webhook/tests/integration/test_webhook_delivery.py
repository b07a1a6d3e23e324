"""Delivery to a real HTTP server on loopback: modes, signatures, headers, idempotency."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event

from floe_alert_webhook import (
    WebhookChannel,
    read_webhook_events,
    verify_github_signature,
    verify_standard_webhook,
)
from floe_monitoring import ContractViolationEvent, RetryableDeliveryError
from floe_monitoring.sdk import event_from_cloudevent
from floe_testing_kit import FakeHTTPServer, ScriptedResponse
from floe_testing_kit.events import hostile_event, make_event, resolved_of

ChannelFactory = Callable[..., WebhookChannel]


@pytest.mark.parametrize("mode", ["structured", "binary"])
async def test_cloudevents_modes_parse_back_to_the_event(
    server: FakeHTTPServer, channel_for: ChannelFactory, mode: str
) -> None:
    event = make_event()
    async with channel_for(server.url + "/hooks/floe", mode=mode) as channel:
        receipt = await channel.send_alert(event)
    (request,) = server.requests
    assert request.method == "POST"
    assert request.path == "/hooks/floe"
    # The cloudevents 2.x HTTP binding reads it back, detecting the mode itself.
    parsed = from_http_event(HTTPMessage(request.headers, request.body))
    assert event_from_cloudevent(parsed) == event
    assert receipt.event_id == event.event_id
    assert receipt.status_code == 200
    assert receipt.details == {"webhook_id": str(event.event_id), "mode": mode}


async def test_structured_content_type(server: FakeHTTPServer, channel_for: ChannelFactory) -> None:
    async with channel_for(server.url) as channel:
        await channel.send_alert(make_event())
    assert server.requests[0].headers["content-type"] == (
        "application/cloudevents+json; charset=UTF-8"
    )
    assert not any(name.startswith("ce-") for name in server.requests[0].headers)


async def test_binary_mode_headers(server: FakeHTTPServer, channel_for: ChannelFactory) -> None:
    event = make_event()
    async with channel_for(server.url, mode="binary") as channel:
        await channel.send_alert(event)
    headers = server.requests[0].headers
    assert headers["content-type"] == "application/json"
    assert headers["ce-id"] == str(event.event_id)
    assert headers["ce-type"] == "floe.contract.violation"
    assert headers["ce-time"] == "2026-01-31T09:30:00Z"


async def test_json_mode(server: FakeHTTPServer, channel_for: ChannelFactory) -> None:
    event = make_event()
    async with channel_for(server.url, mode="json") as channel:
        await channel.send_alert(event)
    (request,) = server.requests
    assert request.headers["content-type"] == "application/json"
    assert not any(name.startswith("ce-") for name in request.headers)
    assert ContractViolationEvent.model_validate_json(request.body) == event
    assert read_webhook_events(request.headers, request.body) == [event]


@pytest.mark.parametrize("mode", ["structured", "binary", "json"])
async def test_signatures_verify_at_the_receiver(
    server: FakeHTTPServer, channel_for: ChannelFactory, whsec: str, mode: str
) -> None:
    async with channel_for(server.url, mode=mode, github_secret="gh-key") as channel:
        await channel.send_alert(make_event())
    (request,) = server.requests
    verify_standard_webhook(request.headers, request.body, whsec)
    verify_github_signature(request.headers, request.body, "gh-key")
    assert request.headers["webhook-signature"].startswith("v1,")


async def test_no_github_header_unless_configured(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    async with channel_for(server.url) as channel:
        await channel.send_alert(make_event())
    assert "x-hub-signature-256" not in server.requests[0].headers
    assert "webhook-signature" in server.requests[0].headers


@pytest.mark.parametrize("mode", ["structured", "binary", "json"])
async def test_two_sends_of_one_event_carry_identical_bytes(
    server: FakeHTTPServer, channel_for: ChannelFactory, whsec: str, mode: str
) -> None:
    event = make_event()
    clock = iter([1_800_000_000.0, 1_800_000_042.0])
    server.script(ScriptedResponse(503), ScriptedResponse(200))
    async with channel_for(server.url, mode=mode) as channel:
        channel.clock = lambda: next(clock)
        with pytest.raises(RetryableDeliveryError, match="503"):
            await channel.send_alert(event)
        await channel.send_alert(event)
    first, second = server.requests
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(event.event_id)
    assert first.headers["webhook-timestamp"] == "1800000000"
    assert second.headers["webhook-timestamp"] == "1800000042"
    assert first.headers["webhook-signature"] != second.headers["webhook-signature"]
    for request, now in ((first, 1_800_000_000), (second, 1_800_000_042)):
        verify_standard_webhook(request.headers, request.body, whsec, now=now)
    ce_first = {k: v for k, v in first.headers.items() if k.startswith("ce-")}
    ce_second = {k: v for k, v in second.headers.items() if k.startswith("ce-")}
    assert ce_first == ce_second


async def test_resolved_event_is_delivered_with_its_status(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    firing = make_event()
    resolved = resolved_of(firing)
    async with channel_for(server.url) as channel:
        await channel.send_alert(firing)
        await channel.send_alert(resolved)
    parsed = [read_webhook_events(r.headers, r.body)[0] for r in server.requests]
    assert parsed == [firing, resolved]
    assert parsed[1].is_resolved
    assert parsed[0].dedup_key == parsed[1].dedup_key


async def test_bearer_auth_and_custom_headers(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    async with channel_for(
        server.url,
        auth={"type": "bearer", "token": "t0k3n"},
        headers={"X-Api-Key": "k3y", "X-Team": "data"},
    ) as channel:
        await channel.send_alert(make_event())
    headers = server.requests[0].headers
    assert headers["authorization"] == "Bearer t0k3n"
    assert headers["x-api-key"] == "k3y"
    assert headers["x-team"] == "data"
    assert headers["user-agent"].startswith("floe-alert-webhook/")


async def test_basic_auth(server: FakeHTTPServer, channel_for: ChannelFactory) -> None:
    async with channel_for(
        server.url, auth={"type": "basic", "username": "floe", "password": "pa55"}
    ) as channel:
        await channel.send_alert(make_event())
    scheme, _, credentials = server.requests[0].headers["authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(credentials) == b"floe:pa55"


async def test_custom_authorization_scheme(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    async with channel_for(server.url, headers={"Authorization": "Token abc"}) as channel:
        await channel.send_alert(make_event())
    assert server.requests[0].headers["authorization"] == "Token abc"


async def test_query_string_reaches_the_receiver(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    async with channel_for(server.url + "/in/T0K3N?token=abc&x=1") as channel:
        await channel.send_alert(make_event())
    assert server.requests[0].path == "/in/T0K3N"
    assert server.requests[0].query == {"token": "abc", "x": "1"}


@pytest.mark.parametrize("status", [200, 201, 202, 204])
async def test_any_2xx_is_success(
    server: FakeHTTPServer, channel_for: ChannelFactory, status: int
) -> None:
    server.script(ScriptedResponse(status))
    async with channel_for(server.url) as channel:
        receipt = await channel.send_alert(make_event())
    assert receipt.status_code == status


async def test_hostile_text_arrives_intact_and_headers_stay_single_line(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    event = hostile_event()
    for mode in ("structured", "binary", "json"):
        async with channel_for(server.url, mode=mode) as channel:
            await channel.send_alert(event)
    for request in server.requests:
        assert read_webhook_events(request.headers, request.body) == [event]
        assert "x-injected" not in request.headers
        assert "bcc" not in request.headers


async def test_concurrent_sends_all_arrive(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    events = [make_event(element=f"orders.c{i}") for i in range(40)]
    async with channel_for(server.url) as channel:
        receipts = await asyncio.gather(*(channel.send_alert(e) for e in events))
    assert {r.event_id for r in receipts} == {e.event_id for e in events}
    received = [read_webhook_events(r.headers, r.body)[0] for r in server.requests]
    assert sorted(str(e.event_id) for e in received) == sorted(str(e.event_id) for e in events)
    assert {e.event_id: e for e in received} == {e.event_id: e for e in events}


async def test_send_before_startup_opens_the_pool(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    channel = channel_for(server.url)
    try:
        await channel.send_alert(make_event())
        started_by_send = channel.started
    finally:
        await channel.shutdown()
    assert started_by_send
    assert channel.started is False
    assert len(server.requests) == 1


async def test_startup_and_shutdown_are_idempotent(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    channel = channel_for(server.url)
    await channel.shutdown()  # before startup: nothing to do
    await channel.startup()
    await channel.startup()
    await channel.send_alert(make_event())
    await channel.shutdown()
    await channel.shutdown()
    assert not channel.started
    # A closed channel can be started again.
    async with channel:
        await channel.send_alert(make_event())
    assert len(server.requests) == 2


async def test_cookies_of_the_receiver_are_never_sent_back(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    # A webhook sender keeps no session: a receiver's cookie must not follow later
    # deliveries (it could carry one tenant's session into another's request).
    server.script(ScriptedResponse(200, headers={"Set-Cookie": "session=abc; Path=/"}))
    # A host name: cookie jars ignore cookies set by IP-address hosts.
    async with channel_for(f"http://localhost:{server.port}/hook") as channel:
        await channel.send_alert(make_event())
        await channel.send_alert(make_event())
    assert len(server.requests) == 2
    assert "cookie" not in server.requests[1].headers
