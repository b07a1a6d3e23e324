"""Fixtures of the slack channel's tests: events, a fake Slack on loopback, channels."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from floe_alert_slack import SlackChannel, SlackConfig
from floe_alert_slack.conformance import FakeSlack
from floe_monitoring import ContractViolationEvent, InMemoryChannelState
from floe_testing_kit import FakeHTTPServer

#: Planted secrets: a test fails if either shows up anywhere but the wire.
WEBHOOK_SECRET = "PLANTEDwebhookSECRET7f3a9c"
TOKEN = "xoxb-PLANTED-token-5e1d8b"

EventFactory = Callable[..., ContractViolationEvent]


def _event(**changes: Any) -> ContractViolationEvent:
    data: dict[str, Any] = {
        "contract_name": "orders",
        "contract_version": "1.2.0",
        "violation_type": "freshness",
        "severity": "error",
        "message": "orders is 7h old (SLA 6h)",
        "element": "updated_at",
        "expected_value": "6h",
        "actual_value": "7h",
        "owner": "data-platform",
        "affected_consumers": ("finance-dashboard", "ml-features"),
        "timestamp": "2026-01-31T09:30:00Z",
        "links": ({"title": "Runbook", "url": "https://runbooks.example.com/orders"},),
    }
    data.update(changes)
    return ContractViolationEvent.model_validate(data)


@pytest.fixture
def make_event() -> EventFactory:
    """Build a valid event; keyword arguments replace fields."""
    return _event


@pytest.fixture
def fake() -> FakeSlack:
    """The fake Slack (accepts only the planted bot token)."""
    return FakeSlack(token=TOKEN)


@pytest.fixture
async def server(fake: FakeSlack) -> AsyncIterator[FakeHTTPServer]:
    """A real HTTP server on 127.0.0.1 answering with the fake Slack."""
    async with FakeHTTPServer(handler=fake) as running:
        yield running


@pytest.fixture
def state() -> InMemoryChannelState:
    """The Web API channel's state store (thread mapping)."""
    return InMemoryChannelState()


def _webhook_config(server: FakeHTTPServer, **changes: Any) -> SlackConfig:
    data: dict[str, Any] = {
        "mode": "webhook",
        "webhook_url": f"{server.url}/services/T0FAKE/B0FAKE/{WEBHOOK_SECRET}",
        "timeout_seconds": 2.0,
    }
    return SlackConfig.model_validate({**data, **changes})


def _api_config(server: FakeHTTPServer, **changes: Any) -> SlackConfig:
    data: dict[str, Any] = {
        "mode": "web_api",
        "token": TOKEN,
        "channel": "C0FAKE",
        "base_url": f"{server.url}/api/",
        "timeout_seconds": 2.0,
    }
    return SlackConfig.model_validate({**data, **changes})


@pytest.fixture
def webhook_secret() -> str:
    """The secret planted in the webhook URL's path."""
    return WEBHOOK_SECRET


@pytest.fixture
def bot_token() -> str:
    """The planted bot token."""
    return TOKEN


@pytest.fixture
def webhook_config(server: FakeHTTPServer) -> Callable[..., SlackConfig]:
    """Build a webhook-mode config pointing at `server`; keywords replace fields."""
    return lambda **changes: _webhook_config(server, **changes)


@pytest.fixture
def api_config(server: FakeHTTPServer) -> Callable[..., SlackConfig]:
    """Build a Web API-mode config pointing at `server`; keywords replace fields."""
    return lambda **changes: _api_config(server, **changes)


@pytest.fixture
async def webhook_channel(server: FakeHTTPServer) -> AsyncIterator[SlackChannel]:
    """A started webhook-mode channel; the server outlives it."""
    config = _webhook_config(server)
    async with SlackChannel(config, instance_name="alerts-webhook") as channel:
        yield channel


@pytest.fixture
async def api_channel(
    server: FakeHTTPServer, state: InMemoryChannelState
) -> AsyncIterator[SlackChannel]:
    """A started Web API-mode channel using `state`; the server outlives it."""
    config = _api_config(server)
    async with SlackChannel(config, instance_name="alerts-api", state=state) as channel:
        yield channel


@pytest.fixture(params=["webhook", "web_api"])
async def any_channel(
    request: pytest.FixtureRequest, server: FakeHTTPServer, state: InMemoryChannelState
) -> AsyncIterator[SlackChannel]:
    """A started channel in each mode."""
    mode = request.param
    config = _webhook_config(server) if mode == "webhook" else _api_config(server)
    async with SlackChannel(config, state=state) as channel:
        yield channel
