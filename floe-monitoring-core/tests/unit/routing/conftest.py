"""Fixtures of the routing tests: events, a clock origin and a standard router."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from floe_monitoring import ChannelCapability, ContractViolationEvent

Make = Callable[..., ContractViolationEvent]

#: A winter Saturday, far from any DST change.
T0 = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)


def build_event(**overrides: Any) -> ContractViolationEvent:
    """A firing error event of contract ``orders`` (id ``urn:contract:orders``)."""
    fields: dict[str, Any] = {
        "contract_name": "orders",
        "violation_type": "freshness",
        "severity": "error",
        "message": "orders is 7h old (SLA 6h)",
        "element": "orders.updated_at",
        "timestamp": T0,
        "contract_id": "urn:contract:orders",
        "domain": "sales",
        "owner": "team-orders",
    }
    fields.update(overrides)
    return ContractViolationEvent.model_validate(fields)


@pytest.fixture
def make() -> Make:
    """Build events: ``make(severity="critical", status="resolved")``."""
    return build_event


@pytest.fixture
def capabilities() -> dict[str, frozenset[ChannelCapability]]:
    """Three configured channels; only ``slack`` takes batches."""
    return {
        "slack": frozenset({ChannelCapability.BATCH, ChannelCapability.THREADING}),
        "pagerduty": frozenset({ChannelCapability.RESOLVE}),
        "email": frozenset(),
    }
