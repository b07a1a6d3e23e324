"""A 1 MB field through a real channel to a loopback receiver: cut, signed, no warning.

aiohttp warns (`ResourceWarning`, an error under ``-W error``) about bodies over 1 MiB
handed to it as bytes; the channel keeps bodies under `MAX_BODY_BYTES` instead.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from floe_alert_webhook import (
    BatchingWebhookChannel,
    WebhookChannel,
    read_webhook_events,
    verify_standard_webhook,
)
from floe_alert_webhook.limits import MAX_BODY_BYTES, TRUNCATED_KEY
from floe_monitoring import TRUNCATION_MARKER
from floe_testing_kit import FakeHTTPServer
from floe_testing_kit.events import make_event

ChannelFactory = Callable[..., WebhookChannel]
ONE_MB = "x" * (1 << 20)


@pytest.mark.parametrize("mode", ["structured", "binary", "json"])
async def test_a_1_mb_message_arrives_cut_and_signed(
    server: FakeHTTPServer, channel_for: ChannelFactory, whsec: str, mode: str
) -> None:
    event = make_event(message=ONE_MB, metadata={"note": ONE_MB, "tags": ["a"]})
    async with channel_for(server.url, mode=mode) as channel:
        receipt = await channel.send_alert(event)
    (request,) = server.requests
    assert len(request.body) < MAX_BODY_BYTES + 4096  # the envelope adds little
    verify_standard_webhook(request.headers, request.body, whsec)
    [received] = read_webhook_events(request.headers, request.body)
    assert received.event_id == event.event_id == receipt.event_id
    assert received.message.endswith(TRUNCATION_MARKER)
    assert ONE_MB.startswith(received.message.removesuffix(TRUNCATION_MARKER))
    assert received.metadata[TRUNCATED_KEY] == "message, metadata.note"
    assert received.metadata["tags"] == ["a"]
    assert received.contract_name == event.contract_name


async def test_a_batch_of_large_events_stays_under_the_limit(
    server: FakeHTTPServer, channel_for: ChannelFactory, whsec: str
) -> None:
    events = [make_event(message=ONE_MB, element=f"orders.c{i}") for i in range(5)]
    async with channel_for(server.url, mode="structured", batch=True) as channel:
        assert isinstance(channel, BatchingWebhookChannel)
        await channel.send_batch(events)
    (request,) = server.requests
    assert len(request.body) < MAX_BODY_BYTES + 5 * 4096
    verify_standard_webhook(request.headers, request.body, whsec)
    received = read_webhook_events(request.headers, request.body)
    assert [e.event_id for e in received] == [e.event_id for e in events]
    assert all(e.message.endswith(TRUNCATION_MARKER) for e in received)
