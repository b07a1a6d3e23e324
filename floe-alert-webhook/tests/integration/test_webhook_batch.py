"""Batches: CloudEvents batched mode only when configured; otherwise UnsupportedCapabilityError."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from floe_alert_webhook import (
    BatchingWebhookChannel,
    WebhookChannel,
    read_webhook_events,
    verify_standard_webhook,
)
from floe_monitoring import (
    ChannelCapability,
    ContractViolationEvent,
    FailureReason,
    PermanentDeliveryError,
    RetryableDeliveryError,
    UnsupportedCapabilityError,
)
from floe_testing_kit import FakeHTTPServer, ScriptedResponse
from floe_testing_kit.events import make_event, resolved_of

ChannelFactory = Callable[..., WebhookChannel]


def three_events() -> list[ContractViolationEvent]:
    first = make_event()
    return [first, make_event(violation_type="quality", element="orders.id"), resolved_of(first)]


@pytest.mark.parametrize("mode", ["structured", "binary"])
async def test_cloudevents_batch(
    server: FakeHTTPServer, channel_for: ChannelFactory, whsec: str, mode: str
) -> None:
    events = three_events()
    async with channel_for(server.url, mode=mode, batch=True) as channel:
        assert isinstance(channel, BatchingWebhookChannel)
        assert channel.supports(ChannelCapability.BATCH)
        receipt = await channel.send_batch(events)
    (request,) = server.requests
    assert request.headers["content-type"] == "application/cloudevents-batch+json; charset=UTF-8"
    assert [item["specversion"] for item in json.loads(request.body)] == ["1.0"] * 3
    assert read_webhook_events(request.headers, request.body) == events
    verify_standard_webhook(request.headers, request.body, whsec)
    assert receipt.event_ids == tuple(e.event_id for e in events)


async def test_json_batch(server: FakeHTTPServer, channel_for: ChannelFactory) -> None:
    events = three_events()
    async with channel_for(server.url, mode="json", batch=True) as channel:
        await channel.send_batch(events)
    (request,) = server.requests
    assert request.headers["content-type"] == "application/json"
    assert isinstance(json.loads(request.body), list)
    assert read_webhook_events(request.headers, request.body) == events


async def test_retried_batch_has_the_same_id_and_bytes(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    events = three_events()
    server.script(ScriptedResponse(500), ScriptedResponse(202))
    async with channel_for(server.url, batch=True) as channel:
        with pytest.raises(RetryableDeliveryError):
            await channel.send_batch(events)
        await channel.send_batch(events)
    first, second = server.requests
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]


async def test_single_events_still_go_one_by_one_in_batch_config(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    event = make_event()
    async with channel_for(server.url, batch=True) as channel:
        await channel.send_alert(event)
    assert server.requests[0].headers["content-type"].startswith("application/cloudevents+json")
    assert read_webhook_events(server.requests[0].headers, server.requests[0].body) == [event]


async def test_without_batch_config_send_batch_is_unsupported(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    async with channel_for(server.url) as channel:
        assert not channel.supports(ChannelCapability.BATCH)
        with pytest.raises(UnsupportedCapabilityError) as caught:
            await channel.send_batch([make_event()])
    assert caught.value.reason is FailureReason.UNSUPPORTED
    assert server.requests == []


async def test_empty_batch_is_refused(server: FakeHTTPServer, channel_for: ChannelFactory) -> None:
    async with channel_for(server.url, batch=True) as channel:
        with pytest.raises(PermanentDeliveryError, match="empty batch"):
            await channel.send_batch([])
    assert server.requests == []
