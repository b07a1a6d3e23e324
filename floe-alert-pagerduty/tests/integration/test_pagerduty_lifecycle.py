"""Startup, shutdown and health: idempotent, bounded, honest."""

import asyncio
import time
from collections.abc import Callable

from floe_alert_pagerduty import PagerDutyChannel, PagerDutyConfig
from floe_monitoring import ContractViolationEvent, HealthState
from floe_testing_kit import FakeHTTPServer, ScriptedResponse, unused_tcp_url

EventFactory = Callable[..., ContractViolationEvent]
ConfigFactory = Callable[..., PagerDutyConfig]


async def test_startup_and_shutdown_are_idempotent(make_config: ConfigFactory) -> None:
    channel = PagerDutyChannel(make_config())
    await channel.shutdown()  # before startup: nothing to do
    await channel.startup()
    await channel.startup()
    assert channel.started
    await channel.shutdown()
    await channel.shutdown()
    assert not channel.started


async def test_one_pooled_connection_serves_sequential_sends(
    channel: PagerDutyChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    for i in range(5):
        await channel.send_alert(make_event(element=f"e{i}"))
    assert len(server.requests) == 5
    assert all(r.headers.get("connection", "").lower() != "close" for r in server.requests)


async def test_send_before_startup_starts_the_channel(
    make_config: ConfigFactory, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    channel = PagerDutyChannel(make_config())
    try:
        receipt = await channel.send_alert(make_event())
        assert channel.started
    finally:
        await channel.shutdown()
    assert receipt.status_code == 202
    assert not channel.started


async def test_health_is_healthy_when_the_endpoint_answers(
    channel: PagerDutyChannel, server: FakeHTTPServer
) -> None:
    status = await channel.health_check(timeout=2)
    assert status.state is HealthState.HEALTHY
    assert "reachable" in status.message
    assert [r.method for r in server.requests] == ["GET"]  # no event was sent


async def test_health_is_degraded_on_a_5xx(
    channel: PagerDutyChannel, server: FakeHTTPServer
) -> None:
    server.script(ScriptedResponse(503))
    status = await channel.health_check(timeout=2)
    assert status.state is HealthState.DEGRADED
    assert status.details["status_code"] == 503


async def test_health_is_unhealthy_when_the_endpoint_is_down(default_key: str) -> None:
    config = PagerDutyConfig.model_validate(
        {"routing_key": default_key, "base_url": unused_tcp_url(), "allow_insecure_http": True}
    )
    async with PagerDutyChannel(config) as channel:
        status = await channel.health_check(timeout=2)
    assert status.state is HealthState.UNHEALTHY
    assert "connection refused" in status.message


async def test_health_answers_within_its_timeout_when_the_endpoint_hangs(
    channel: PagerDutyChannel, server: FakeHTTPServer
) -> None:
    server.script(ScriptedResponse(hang=True))
    began = time.monotonic()
    status = await channel.health_check(timeout=0.3)
    assert time.monotonic() - began < 1.5
    assert status.state is HealthState.UNHEALTHY


async def test_health_before_startup_is_unhealthy(make_config: ConfigFactory) -> None:
    status = await PagerDutyChannel(make_config()).health_check()
    assert status.state is HealthState.UNHEALTHY
    assert "not started" in status.message


async def test_trimming_a_huge_event_does_not_block_the_event_loop(
    channel: PagerDutyChannel, make_event: EventFactory
) -> None:
    event = make_event(metadata={f"k{i}": "v" * 1000 for i in range(3000)})
    lags: list[float] = []

    async def ticker() -> None:
        while True:
            began = time.monotonic()
            await asyncio.sleep(0.005)
            lags.append(time.monotonic() - began - 0.005)

    task = asyncio.create_task(ticker())
    try:
        receipt = await channel.send_alert(event)
    finally:
        task.cancel()
    assert receipt.details["trimmed"] == ["metadata"]
    assert lags
    assert max(lags) < 0.25
