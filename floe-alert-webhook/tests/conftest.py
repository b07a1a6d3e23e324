"""Fixtures shared by the webhook channel's unit and integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from floe_alert_webhook import WebhookChannel, WebhookConfig
from floe_testing_kit import FakeHTTPServer

#: The Standard Webhooks test vector's secret (valid: 24 bytes).
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

ConfigFactory = Callable[..., WebhookConfig]


@pytest.fixture
def whsec() -> str:
    return WHSEC


@pytest.fixture
async def server() -> AsyncIterator[FakeHTTPServer]:
    async with FakeHTTPServer() as fake:
        yield fake


@pytest.fixture
async def tls_server() -> AsyncIterator[FakeHTTPServer]:
    async with FakeHTTPServer(tls=True) as fake:
        yield fake


@pytest.fixture
def config_for() -> ConfigFactory:
    """Build a config pointing at `url` (plain http allowed), with overrides."""

    def factory(url: str, **overrides: Any) -> WebhookConfig:
        fields: dict[str, Any] = {
            "url": url,
            "secret": WHSEC,
            "allow_insecure_http": url.startswith("http://"),
            "timeout_seconds": 5.0,
        }
        fields.update(overrides)
        return WebhookConfig.model_validate(fields)

    return factory


@pytest.fixture
def channel_for(config_for: ConfigFactory) -> Callable[..., WebhookChannel]:
    """Build a (not yet started) channel for `url`; use it with ``async with``."""

    def factory(url: str, **overrides: Any) -> WebhookChannel:
        return WebhookChannel(config_for(url, **overrides))

    return factory
