import asyncio
import json
import time
from collections.abc import Callable

import pytest

from floe_alert_slack import SlackChannel, SlackConfig
from floe_alert_slack.conformance import FakeSlack, SlackProfile
from floe_monitoring import (
    ContractViolationEvent,
    FailureReason,
    HealthState,
    PermanentDeliveryError,
    RetryableDeliveryError,
    build_channel,
)
from floe_testing_kit import Endpoint, FakeHTTPServer, ScriptedResponse, unused_tcp_url

EventFactory = Callable[..., ContractViolationEvent]


async def test_webhook_health_probe_posts_nothing(
    webhook_channel: SlackChannel, server: FakeHTTPServer, fake: FakeSlack
) -> None:
    status = await webhook_channel.health_check()
    assert status.state is HealthState.HEALTHY
    assert "reachable" in status.message
    assert [r.method for r in server.requests] == ["GET"]
    assert fake.messages == []


async def test_web_api_health_checks_the_token(
    api_channel: SlackChannel, server: FakeHTTPServer
) -> None:
    status = await api_channel.health_check()
    assert status.state is HealthState.HEALTHY
    assert status.details == {"team": "Fake Workspace", "team_id": "T0FAKE", "bot_id": "B0FAKE"}
    assert [r.path for r in server.requests] == ["/api/auth.test"]


async def test_health_reports_a_bad_token_down_host_and_slow_host(
    server: FakeHTTPServer,
    api_config: Callable[..., SlackConfig],
    webhook_config: Callable[..., SlackConfig],
) -> None:
    async with SlackChannel(api_config(token="xoxb-wrong")) as channel:
        status = await channel.health_check()
    assert status.state is HealthState.UNHEALTHY
    assert "invalid_auth" in status.message

    async with SlackChannel(webhook_config()) as channel:
        server.script(ScriptedResponse(503))
        assert (await channel.health_check()).state is HealthState.DEGRADED
        server.script(ScriptedResponse(hang=True))
        began = time.monotonic()
        slow = await channel.health_check(timeout=0.3)
        assert time.monotonic() - began < 1.0
        assert slow.state is HealthState.UNHEALTHY

    url = unused_tcp_url()
    down = SlackChannel(SlackConfig.model_validate({"webhook_url": f"{url}/services/T/B/x"}))
    status = await down.health_check()
    assert status.state is HealthState.UNHEALTHY
    assert "connection refused" in status.message


async def test_rate_limited_health_is_degraded(
    api_channel: SlackChannel, server: FakeHTTPServer
) -> None:
    server.script(
        ScriptedResponse.json(429, '{"ok":false,"error":"ratelimited"}', **{"Retry-After": "1"})
    )
    assert (await api_channel.health_check()).state is HealthState.DEGRADED


async def test_startup_and_shutdown_are_idempotent(
    server: FakeHTTPServer, webhook_config: Callable[..., SlackConfig], make_event: EventFactory
) -> None:
    channel = SlackChannel(webhook_config())
    await channel.shutdown()  # without startup: nothing to do
    await channel.startup()
    await channel.startup()
    started = channel.started
    await channel.send_alert(make_event())
    await channel.shutdown()
    await channel.shutdown()
    assert (started, channel.started) == (True, False)
    assert len(server.requests) == 1


async def test_sending_without_startup_uses_a_short_lived_pool(
    server: FakeHTTPServer,
    fake: FakeSlack,
    webhook_config: Callable[..., SlackConfig],
    api_config: Callable[..., SlackConfig],
    make_event: EventFactory,
) -> None:
    for config in (webhook_config(), api_config()):
        await SlackChannel(config).send_alert(make_event())
    assert len(fake.messages) == 2


async def test_concurrent_sends_all_arrive_intact(
    any_channel: SlackChannel, fake: FakeSlack, make_event: EventFactory
) -> None:
    events = [make_event(element=f"col_{i}", message=f"message {i}") for i in range(40)]
    receipts = await asyncio.gather(*(any_channel.send_alert(e) for e in events))
    assert {r.event_id for r in receipts} == {e.event_id for e in events}
    assert fake.rejections == []
    summaries = sorted(m.payload["blocks"][1]["text"]["text"] for m in fake.messages)
    assert summaries == sorted(f"message {i}" for i in range(40))


async def test_the_event_loop_is_never_blocked(
    any_channel: SlackChannel, make_event: EventFactory
) -> None:
    worst = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not done.is_set():
            began = time.monotonic()
            await asyncio.sleep(0.005)
            worst = max(worst, time.monotonic() - began - 0.005)

    watch = asyncio.create_task(ticker())
    big = make_event(message="x" * 100_000, actual_value="y" * 100_000)
    for _ in range(5):
        await any_channel.send_alert(big)
    done.set()
    await watch
    assert worst < 0.25


async def test_tls_with_a_ca_bundle(make_event: EventFactory) -> None:
    fake = FakeSlack(token="xoxb-tls")
    async with FakeHTTPServer(handler=fake, tls=True) as server:
        assert server.ca_bundle is not None
        trusted = SlackConfig.model_validate(
            {
                "mode": "web_api",
                "token": "xoxb-tls",
                "channel": "C0FAKE",
                "base_url": f"{server.url}/api/",
                "ca_bundle": server.ca_bundle,
            }
        )
        async with SlackChannel(trusted) as channel:
            receipt = await channel.send_alert(make_event())
            assert receipt.remote_id == fake.messages[0].ts
        untrusted = SlackConfig.model_validate({"webhook_url": f"{server.url}/services/T/B/x"})
        async with SlackChannel(untrusted) as channel:
            with pytest.raises(RetryableDeliveryError) as caught:
                await channel.send_alert(make_event())
        assert caught.value.reason is FailureReason.CONNECTION
        assert "ca_bundle" in str(caught.value)


@pytest.mark.parametrize("variant", SlackProfile.variants)
async def test_the_profile_drives_the_channel_like_the_kit(
    variant: str, make_event: EventFactory
) -> None:
    profile = SlackProfile()
    secret = "KITsecret0123456789"
    async with FakeHTTPServer(
        handler=lambda r: profile.success_response(r, variant=variant)
    ) as server:
        config = profile.config(Endpoint(url=server.url), secret=secret, variant=variant)
        channel = build_channel("slack", config, instance_name="kit")
        async with channel:
            event = make_event(contract_name="<!channel> orders")
            await channel.send_alert(event)
            await channel.send_alert(
                make_event(contract_name="<!channel> orders", status="resolved")
            )
            health = await channel.health_check()
            server.script(
                profile.error_response(429, variant=variant, headers={"Retry-After": "3"})
            )
            with pytest.raises(RetryableDeliveryError) as limited:
                await channel.send_alert(event)
            server.script(profile.error_response(403, variant=variant))
            with pytest.raises(PermanentDeliveryError) as denied:
                await channel.send_alert(event)
            server.script(profile.error_response(503, variant=variant))
            with pytest.raises(RetryableDeliveryError):
                await channel.send_alert(event)

    assert health.state is HealthState.HEALTHY
    assert limited.value.retry_after == 3.0
    assert denied.value.reason is FailureReason.AUTH
    deliveries = [r for r in server.requests if profile.is_delivery(r, variant=variant)]
    assert len(deliveries) == 5
    text = profile.rendered_text(deliveries[0], variant=variant)
    assert "&lt;!channel&gt; orders" in text
    assert "<!channel>" not in text
    assert profile.idempotency_key(deliveries[0], variant=variant) == str(event.event_id)
    assert profile.fake.rejections == []
    firing_key = profile.thread_key(deliveries[0], variant=variant)
    assert firing_key is not None
    assert profile.thread_key(deliveries[1], variant=variant) == firing_key
    if variant == "web_api":
        assert firing_key == profile.fake.messages[0].ts
        assert json.loads(deliveries[1].body)["thread_ts"] == firing_key
    else:
        assert firing_key == event.dedup_key
