import json
from collections.abc import Callable

import pytest

from floe_alert_slack import SlackChannel, SlackConfig
from floe_alert_slack.conformance import FakeSlack
from floe_monitoring import ContractViolationEvent, PermanentDeliveryError, RetryableDeliveryError
from floe_testing_kit import FakeHTTPServer, ScriptedResponse

EventFactory = Callable[..., ContractViolationEvent]


async def test_firing_alert_is_posted_as_block_kit(
    webhook_channel: SlackChannel, server: FakeHTTPServer, fake: FakeSlack, make_event: EventFactory
) -> None:
    event = make_event()
    receipt = await webhook_channel.send_alert(event)

    assert receipt.event_ids == (event.event_id,)
    assert receipt.status_code == 200
    assert receipt.channel == "alerts-webhook"
    assert receipt.details == {"mode": "webhook"}
    (request,) = server.requests
    assert request.method == "POST"
    assert request.path.startswith("/services/T0FAKE/B0FAKE/")
    assert request.headers["content-type"].startswith("application/json")
    body = json.loads(request.body)
    assert body["blocks"][0]["type"] == "header"
    assert body["text"].startswith(":large_orange_circle: ERROR · orders: freshness violation")
    assert body["unfurl_links"] is False
    assert body["unfurl_media"] is False
    assert body["metadata"]["event_type"] == "floe_contract_violation"
    assert body["metadata"]["event_payload"]["event_id"] == str(event.event_id)
    assert fake.rejections == []
    assert len(fake.messages) == 1


async def test_resolution_is_a_new_message_naming_the_incident(
    webhook_channel: SlackChannel, fake: FakeSlack, make_event: EventFactory
) -> None:
    await webhook_channel.send_alert(make_event())
    resolved = make_event(status="resolved", message="orders is fresh again")
    await webhook_channel.send_alert(resolved)

    assert fake.rejections == []
    _, second = fake.messages
    assert second.thread_ts is None
    payload = second.payload
    assert payload["blocks"][0]["text"]["text"].startswith(":white_check_mark: RESOLVED · orders")
    assert payload["blocks"][-1]["type"] == "context"
    note = payload["blocks"][-1]["elements"][0]["text"]
    assert (
        note == "Resolves incident `orders:freshness:updated_at` (first seen 2026-01-31T09:30:00Z)"
    )
    assert "*Incident*\norders:freshness:updated_at" in second.text


async def test_mentions_by_severity_and_never_on_resolution(
    server: FakeHTTPServer,
    fake: FakeSlack,
    webhook_config: Callable[..., SlackConfig],
    make_event: EventFactory,
) -> None:
    config = webhook_config(mentions={"critical": ["S0ONCALL"], "error": ["U0ALICE"]})
    async with SlackChannel(config) as channel:
        await channel.send_alert(make_event(severity="critical"))
        await channel.send_alert(make_event(severity="warning"))
        await channel.send_alert(make_event(severity="critical", status="resolved"))

    critical, warning, resolved = (m.payload for m in fake.messages)
    assert critical["text"].startswith("<!subteam^S0ONCALL> ")
    assert critical["blocks"][1]["text"]["text"].startswith("<!subteam^S0ONCALL> orders")
    assert "<!subteam" not in json.dumps(warning)
    assert "<@U0ALICE>" not in json.dumps(warning)
    assert "<!subteam" not in json.dumps(resolved)


async def test_batch_is_one_digest_message(
    webhook_channel: SlackChannel, fake: FakeSlack, make_event: EventFactory
) -> None:
    events = [make_event(element=f"col_{i}", severity="warning") for i in range(3)]
    events.append(make_event(element="col_9", severity="critical"))
    receipt = await webhook_channel.send_batch(events)

    assert receipt.event_ids == tuple(e.event_id for e in events)
    (message,) = fake.messages
    assert message.payload["blocks"][0]["text"]["text"] == (
        ":red_circle: CRITICAL · orders: 4 notifications"
    )
    assert fake.rejections == []


async def test_empty_batch_is_refused(
    webhook_channel: SlackChannel, server: FakeHTTPServer
) -> None:
    with pytest.raises(PermanentDeliveryError, match="empty batch"):
        await webhook_channel.send_batch([])
    assert server.requests == []


async def test_a_retry_sends_identical_bytes(
    webhook_channel: SlackChannel, server: FakeHTTPServer, fake: FakeSlack, make_event: EventFactory
) -> None:
    event = make_event()
    server.script(ScriptedResponse(503, body=b"service_unavailable"))
    with pytest.raises(RetryableDeliveryError, match="HTTP 503"):
        await webhook_channel.send_alert(event)
    await webhook_channel.send_alert(event)

    first, second = server.requests
    assert first.body == second.body
    assert len(fake.messages) == 1
