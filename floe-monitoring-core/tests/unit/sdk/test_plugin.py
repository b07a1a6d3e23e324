from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import ClassVar

import pytest
from pydantic import BaseModel, SecretStr

from floe_monitoring import (
    AlertChannelPlugin,
    ChannelCapability,
    ContractViolationEvent,
    DeliveryReceipt,
    HealthState,
    HealthStatus,
    InMemoryChannelState,
    RateLimit,
    UnsupportedCapabilityError,
)
from floe_monitoring.sdk import plugin_class_problems

EventFactory = Callable[..., ContractViolationEvent]
SECRET = "s3cr3t-token-value-4711"


class _Config(BaseModel):
    url: str
    token: SecretStr
    headers: dict[str, SecretStr] = {}


class _Channel(AlertChannelPlugin[_Config]):
    name: ClassVar[str] = "probe"
    version: ClassVar[str] = "1.0.0"
    floe_api_version: ClassVar[str] = "1.0"
    config_model = _Config

    def __init__(self, config: _Config, **kwargs: object) -> None:
        super().__init__(config, **kwargs)  # type: ignore[arg-type]
        self.opened = 0
        self.closed = 0
        self.health: Callable[[], HealthStatus] | None = None
        self.hang = False

    async def on_startup(self) -> None:
        self.opened += 1

    async def on_shutdown(self) -> None:
        self.closed += 1

    async def check_health(self) -> HealthStatus:
        if self.hang:
            await asyncio.sleep(3600)
        if self.health is not None:
            return self.health()
        return await super().check_health()

    async def send_alert(self, event: ContractViolationEvent) -> DeliveryReceipt:
        return self.receipt(event, status_code=200, remote_id="r-1")


def _channel() -> _Channel:
    config = _Config(
        url="https://x.example",
        token=SecretStr(SECRET),
        headers={"X-Key": SecretStr("hdr-secret-99")},
    )
    return _Channel(config, instance_name="ops")


async def test_startup_and_shutdown_are_idempotent() -> None:
    channel = _channel()
    await channel.shutdown()  # before startup: nothing to do
    await asyncio.gather(channel.startup(), channel.startup(), channel.startup())
    assert channel.started
    await channel.shutdown()
    await channel.shutdown()
    assert (channel.opened, channel.closed) == (1, 1)
    assert not channel.started


async def test_async_context_manager_runs_the_lifecycle() -> None:
    channel = _channel()
    async with channel as entered:
        assert entered is channel
        assert channel.started
    assert channel.closed == 1


async def test_health_check_answers_within_its_timeout() -> None:
    channel = _channel()
    channel.hang = True
    status = await channel.health_check(timeout=0.05)
    assert status.state is HealthState.UNHEALTHY
    assert "did not answer within 0.05s" in status.message
    assert not status.healthy


async def test_health_check_failure_is_reported_without_the_secret() -> None:
    channel = _channel()

    def boom() -> HealthStatus:
        raise ConnectionError(f"could not reach https://x.example/?token={SECRET}")

    channel.health = boom
    status = await channel.health_check()
    assert status.state is HealthState.UNHEALTHY
    assert SECRET not in status.message
    assert "ConnectionError" in status.message


async def test_default_health_is_healthy_with_latency() -> None:
    status = await _channel().health_check()
    assert status.healthy
    assert status.latency_seconds is not None


async def test_send_batch_is_refused_unless_declared(event_factory: EventFactory) -> None:
    channel = _channel()
    assert not channel.supports(ChannelCapability.BATCH)
    with pytest.raises(UnsupportedCapabilityError) as info:
        await channel.send_batch([event_factory()])
    assert info.value.capability == "batch"
    assert not info.value.retryable


async def test_receipt_carries_the_event_ids(event_factory: EventFactory) -> None:
    event = event_factory()
    receipt = await _channel().send_alert(event)
    assert receipt.event_id == event.event_id
    assert receipt.channel == "ops"
    assert receipt.remote_id == "r-1"
    many = _channel().receipt([event_factory(), event_factory()])
    assert len(many.event_ids) == 2


def test_secrets_never_show_in_repr_str_or_json(caplog: pytest.LogCaptureFixture) -> None:
    channel = _channel()
    logging.getLogger("test").warning("channel %r config %s", channel, channel.config)
    shown = [repr(channel), str(channel), repr(channel.config), str(channel.config)]
    shown.append(channel.config.model_dump_json())
    shown.append(caplog.text)
    for text in shown:
        assert SECRET not in text
        assert "hdr-secret-99" not in text


def test_redact_masks_every_configured_secret() -> None:
    channel = _channel()
    text = channel.redact(f"failed: token={SECRET} header=hdr-secret-99")
    assert SECRET not in text
    assert "hdr-secret-99" not in text
    assert text.count("**********") == 2


def test_constructor_rejects_the_wrong_config_type() -> None:
    class Other(BaseModel):
        x: int = 1

    with pytest.raises(TypeError, match="needs a _Config"):
        _Channel(Other())  # type: ignore[arg-type]


async def test_in_memory_state_store_expires_keys() -> None:
    state = InMemoryChannelState()
    await state.set("k", "v")
    await state.set("gone", "v", ttl_seconds=0)
    assert await state.get("k") == "v"
    assert await state.get("gone") is None
    await state.delete("k")
    assert await state.get("k") is None


def test_rate_limit_declaration() -> None:
    limit = RateLimit(events=120, per_seconds=60)
    assert limit.per_second == 2.0


def test_plugin_class_problems_accepts_a_good_plugin() -> None:
    assert plugin_class_problems(_Channel) == []


def test_plugin_class_problems_lists_what_is_wrong() -> None:
    class Broken(AlertChannelPlugin[_Config]):
        name: ClassVar[str] = ""
        version: ClassVar[str] = "1"
        floe_api_version: ClassVar[str] = "1.0"
        config_model = _Config
        capabilities = frozenset({"resolve"})  # type: ignore[arg-type]

    problems = plugin_class_problems(Broken)
    assert any("abstract" in p for p in problems)
    assert any("'name'" in p for p in problems)
    assert any("capabilities" in p for p in problems)
    assert plugin_class_problems(object) == [
        "<class 'object'> is not an AlertChannelPlugin subclass"
    ]
