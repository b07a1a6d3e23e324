"""Shared fixtures of the core's tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from floe_monitoring import ContractViolationEvent

EventFactory = Callable[..., ContractViolationEvent]


def make_event(**overrides: Any) -> ContractViolationEvent:
    """A valid firing event; keyword arguments replace fields."""
    fields: dict[str, Any] = {
        "contract_name": "orders",
        "contract_version": "1.2.0",
        "violation_type": "freshness",
        "severity": "error",
        "message": "orders is 7h old (SLA 6h)",
        "element": "orders.updated_at",
        "expected_value": "PT6H",
        "actual_value": "PT7H",
        "timestamp": "2026-01-31T09:30:00Z",
        "affected_consumers": ["finance-dashboard"],
        "check_duration_seconds": 0.25,
        "contract_id": "urn:contract:orders",
        "domain": "sales",
        "owner": "team-orders",
    }
    fields.update(overrides)
    return ContractViolationEvent.model_validate(fields)


@pytest.fixture
def event_factory() -> EventFactory:
    """Build events with overrides: ``event_factory(severity="critical")``."""
    return make_event
