"""Fixtures shared by the pagerduty channel's unit and integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from floe_alert_pagerduty import PagerDutyChannel, PagerDutyConfig
from floe_alert_pagerduty.conformance import FakeEventsAPI
from floe_monitoring import ContractViolationEvent
from floe_testing_kit import FakeHTTPServer

#: Routing keys used across the tests (32 characters, like PagerDuty's).
DEFAULT_KEY = "d" * 32
ONCALL_KEY = "c" * 32

EventFactory = Callable[..., ContractViolationEvent]
ConfigFactory = Callable[..., PagerDutyConfig]


@pytest.fixture
def default_key() -> str:
    return DEFAULT_KEY


@pytest.fixture
def oncall_key() -> str:
    return ONCALL_KEY


@pytest.fixture
def make_event() -> EventFactory:
    def factory(**overrides: Any) -> ContractViolationEvent:
        fields: dict[str, Any] = {
            "contract_name": "orders",
            "contract_version": "1.2.0",
            "violation_type": "freshness",
            "severity": "error",
            "message": "orders is 7h old (SLA 6h)",
            "element": "orders.updated_at",
            "expected_value": "6h",
            "actual_value": "7h",
            "timestamp": "2026-01-31T09:30:00Z",
            "affected_consumers": ("finance-dashboard", "ml-features"),
            "domain": "sales",
            "owner": "data-platform",
            "occurrences": 3,
            "links": ({"title": "Runbook", "url": "https://runbooks.example.com/orders"},),
        }
        fields.update(overrides)
        return ContractViolationEvent.model_validate(fields)

    return factory


@pytest.fixture
def fake_api() -> FakeEventsAPI:
    return FakeEventsAPI()


@pytest.fixture
async def server(fake_api: FakeEventsAPI) -> AsyncIterator[FakeHTTPServer]:
    async with FakeHTTPServer(handler=fake_api) as running:
        yield running


@pytest.fixture
def make_config(server: FakeHTTPServer) -> ConfigFactory:
    def factory(**overrides: Any) -> PagerDutyConfig:
        fields: dict[str, Any] = {
            "routing_key": DEFAULT_KEY,
            "base_url": server.url,
            "allow_insecure_http": True,
            "timeout_seconds": 5.0,
        }
        fields.update(overrides)
        return PagerDutyConfig.model_validate(fields)

    return factory


@pytest.fixture
async def channel(make_config: ConfigFactory) -> AsyncIterator[PagerDutyChannel]:
    async with PagerDutyChannel(make_config()) as started:
        yield started
