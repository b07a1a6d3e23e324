"""The health probe: a TCP (and TLS) connect, never a request."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from floe_alert_webhook import WebhookChannel
from floe_monitoring import HealthState
from floe_testing_kit import FakeHTTPServer, ScriptedResponse, unused_tcp_url

ChannelFactory = Callable[..., WebhookChannel]


async def test_healthy_when_the_receiver_listens(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    async with channel_for(server.url + "/hook?token=S3CR3T") as channel:
        health = await channel.health_check()
    assert health.state is HealthState.HEALTHY
    assert health.healthy
    assert health.latency_seconds is not None
    assert "S3CR3T" not in health.model_dump_json()
    await asyncio.sleep(0.05)
    assert server.requests == []  # a probe is not a delivery


async def test_health_without_startup(server: FakeHTTPServer, channel_for: ChannelFactory) -> None:
    channel = channel_for(server.url)
    health = await channel.health_check()
    assert health.state is HealthState.HEALTHY
    assert not channel.started


async def test_unhealthy_when_the_endpoint_is_down(channel_for: ChannelFactory) -> None:
    async with channel_for(unused_tcp_url() + "/hook?token=S3CR3T") as channel:
        began = time.monotonic()
        health = await channel.health_check(timeout=2.0)
    assert health.state is HealthState.UNHEALTHY
    assert "cannot connect" in health.message
    assert "S3CR3T" not in health.message
    assert "/hook" not in health.message
    assert time.monotonic() - began < 2.0


async def test_probe_is_not_fooled_by_a_hanging_request_handler(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    server.script(ScriptedResponse(hang=True))
    async with channel_for(server.url) as channel:
        health = await channel.health_check(timeout=2.0)
    assert health.state is HealthState.HEALTHY


async def test_unhealthy_when_the_name_resolves_to_metadata(
    server: FakeHTTPServer, channel_for: ChannelFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.get_running_loop()

    async def metadata_answer(host: str, port: int, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    async with channel_for(f"http://localhost:{server.port}/hook") as channel:
        monkeypatch.setattr(loop, "getaddrinfo", metadata_answer)
        health = await channel.health_check(timeout=2.0)
    assert health.state is HealthState.UNHEALTHY
    assert "metadata" in health.message
