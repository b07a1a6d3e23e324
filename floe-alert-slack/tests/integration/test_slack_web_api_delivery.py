import json
import logging
from collections.abc import Callable

import pytest

from floe_alert_slack import SlackChannel, SlackConfig
from floe_alert_slack.conformance import FakeSlack
from floe_alert_slack.threads import ThreadRef, ThreadStore
from floe_monitoring import ContractViolationEvent, InMemoryChannelState
from floe_testing_kit import FakeHTTPServer

EventFactory = Callable[..., ContractViolationEvent]


async def test_post_message_with_token_channel_and_metadata(
    api_channel: SlackChannel,
    server: FakeHTTPServer,
    fake: FakeSlack,
    state: InMemoryChannelState,
    bot_token: str,
    make_event: EventFactory,
) -> None:
    event = make_event()
    receipt = await api_channel.send_alert(event)

    (request,) = server.requests
    assert request.path == "/api/chat.postMessage"
    assert request.headers["authorization"] == f"Bearer {bot_token}"
    body = json.loads(request.body)
    assert body["channel"] == "C0FAKE"
    assert "thread_ts" not in body
    assert body["metadata"] == {
        "event_type": "floe_contract_violation",
        "event_payload": {
            "event_id": str(event.event_id),
            "dedup_key": "orders:freshness:updated_at",
            "status": "firing",
            "severity": "error",
            "contract": "orders",
        },
    }
    (message,) = fake.messages
    assert receipt.remote_id == message.ts
    assert receipt.details["channel"] == "C0FAKE"
    assert receipt.details["thread_ts"] is None
    assert await ThreadStore(state).get(event.dedup_key) == ThreadRef(
        "C0FAKE", message.ts, str(event.event_id)
    )
    assert fake.rejections == []


async def test_resolution_threads_under_the_firing_message_and_updates_it(
    api_channel: SlackChannel,
    fake: FakeSlack,
    state: InMemoryChannelState,
    make_event: EventFactory,
) -> None:
    firing = make_event()
    await api_channel.send_alert(firing)
    resolved = make_event(status="resolved", message="fresh again")
    receipt = await api_channel.send_alert(resolved)

    root, reply = fake.messages
    assert reply.thread_ts == root.ts
    assert reply.channel == root.channel
    assert reply.payload["blocks"][0]["text"]["text"].startswith(":white_check_mark: RESOLVED")
    assert reply.payload["blocks"][-1]["type"] != "context"  # the thread names the incident
    assert receipt.remote_id == reply.ts
    assert receipt.details["thread_ts"] == root.ts
    assert receipt.details["updated_original"] is True
    (update,) = fake.updates
    assert (update.channel, update.ts) == (root.channel, root.ts)
    assert update.payload["blocks"][0]["text"]["text"].startswith(":white_check_mark: RESOLVED")
    ref = await ThreadStore(state).get(firing.dedup_key)
    assert ref is not None
    assert ref.resolved is True
    assert fake.rejections == []


async def test_update_original_can_be_turned_off(
    server: FakeHTTPServer,
    fake: FakeSlack,
    api_config: Callable[..., SlackConfig],
    make_event: EventFactory,
) -> None:
    async with SlackChannel(api_config(update_original=False)) as channel:
        await channel.send_alert(make_event())
        receipt = await channel.send_alert(make_event(status="resolved"))
    assert fake.updates == []
    assert receipt.details["updated_original"] is None
    assert [r.path for r in server.requests] == ["/api/chat.postMessage"] * 2


async def test_a_failed_update_does_not_fail_the_delivered_resolution(
    api_channel: SlackChannel,
    fake: FakeSlack,
    make_event: EventFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await api_channel.send_alert(make_event())
    fake.messages.clear()  # the original is gone: chat.update answers message_not_found
    with caplog.at_level(logging.WARNING, logger="floe_alert_slack"):
        receipt = await api_channel.send_alert(make_event(status="resolved"))
    assert receipt.details["updated_original"] is False
    assert [r.code for r in fake.rejections] == ["message_not_found"]
    assert "could not mark the incident's first message resolved" in caplog.text
    assert "message_not_found" in caplog.text


async def test_incident_lifecycle_in_one_thread(
    api_channel: SlackChannel, fake: FakeSlack, make_event: EventFactory
) -> None:
    first = make_event()
    await api_channel.send_alert(first)
    await api_channel.send_alert(make_event(occurrences=2, message="still old"))
    await api_channel.send_alert(make_event(status="resolved"))
    await api_channel.send_alert(make_event(message="old again"))  # a new incident

    root, repeat, resolution, reopened = fake.messages
    assert root.thread_ts is None
    assert repeat.thread_ts == root.ts
    assert resolution.thread_ts == root.ts
    assert reopened.thread_ts is None
    assert reopened.ts != root.ts
    await api_channel.send_alert(make_event(status="resolved"))
    assert fake.messages[-1].thread_ts == reopened.ts


async def test_redelivery_of_the_same_event_sends_the_same_bytes(
    api_channel: SlackChannel, server: FakeHTTPServer, fake: FakeSlack, make_event: EventFactory
) -> None:
    event = make_event()
    first = await api_channel.send_alert(event)
    again = await api_channel.send_alert(event)
    assert server.requests[0].body == server.requests[1].body
    assert first.remote_id != again.remote_id
    resolved = make_event(status="resolved")
    await api_channel.send_alert(resolved)
    await api_channel.send_alert(resolved)
    posts = [r for r in server.requests if r.path.endswith("chat.postMessage")]
    assert posts[2].body == posts[3].body
    assert fake.messages[2].thread_ts == fake.messages[3].thread_ts == first.remote_id


async def test_resolution_without_a_known_thread_names_the_incident(
    api_channel: SlackChannel, fake: FakeSlack, make_event: EventFactory
) -> None:
    receipt = await api_channel.send_alert(make_event(status="resolved"))
    (message,) = fake.messages
    assert message.thread_ts is None
    assert "Resolves incident `orders:freshness:updated_at`" in message.text
    assert receipt.details["updated_original"] is None
    assert fake.updates == []


async def test_threads_survive_a_restart_through_the_state_store(
    server: FakeHTTPServer,
    fake: FakeSlack,
    api_config: Callable[..., SlackConfig],
    make_event: EventFactory,
) -> None:
    state = InMemoryChannelState()
    async with SlackChannel(api_config(), state=state) as before:
        await before.send_alert(make_event())
    async with SlackChannel(api_config(), state=state) as after:
        await after.send_alert(make_event(status="resolved"))
    root, reply = fake.messages
    assert reply.thread_ts == root.ts


class BrokenState(InMemoryChannelState):
    async def get(self, key: str) -> str | None:
        raise ConnectionError("database down")

    async def set(self, key: str, value: str, *, ttl_seconds: float | None = None) -> None:
        raise ConnectionError("database down")


async def test_a_broken_state_store_costs_the_thread_not_the_alert(
    server: FakeHTTPServer,
    fake: FakeSlack,
    api_config: Callable[..., SlackConfig],
    make_event: EventFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="floe_alert_slack"):
        async with SlackChannel(api_config(), state=BrokenState()) as channel:
            await channel.send_alert(make_event())
            await channel.send_alert(make_event(status="resolved"))
    assert len(fake.messages) == 2
    assert fake.messages[1].thread_ts is None
    assert "thread lookup failed (ConnectionError)" in caplog.text
    assert "could not store the thread" in caplog.text


async def test_batch_posts_one_digest_with_metadata(
    api_channel: SlackChannel, server: FakeHTTPServer, fake: FakeSlack, make_event: EventFactory
) -> None:
    events = [make_event(element=f"col_{i}") for i in range(12)]
    receipt = await api_channel.send_batch(events)
    (message,) = fake.messages
    assert receipt.remote_id == message.ts
    assert len(receipt.event_ids) == 12
    assert message.payload["metadata"]["event_payload"] == {"event_count": 12}
    assert message.payload["channel"] == "C0FAKE"
    assert fake.rejections == []
