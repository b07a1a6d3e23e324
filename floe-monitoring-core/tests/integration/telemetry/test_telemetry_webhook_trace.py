"""A check's trace reaches the webhook receiver through the event and the delivery span."""

from __future__ import annotations

import re

import pytest

from floe_alert_webhook import WebhookChannel, WebhookConfig
from floe_monitoring import ContractViolationEvent, RetryableDeliveryError
from floe_monitoring.contracts import Contract
from floe_testing_kit import FakeHTTPServer, ScriptedResponse
from floe_testing_kit.events import make_event

from .conftest import Recorded

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def _channel(url: str) -> WebhookChannel:
    return WebhookChannel(
        WebhookConfig.model_validate(
            {
                "url": f"{url}/hooks/floe",
                "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "allow_insecure_http": True,
                "timeout_seconds": 5.0,
            }
        )
    )


def _traced_event(recorded: Recorded, contract: Contract) -> tuple[ContractViolationEvent, str]:
    with recorded.telemetry.check_span(contract, "freshness", "orders.updated_at") as span:
        metadata = span.trace_metadata
    assert metadata
    event = make_event().with_changes(metadata={**make_event().metadata, **metadata})
    return event, metadata["trace_id"]


async def test_the_receiver_gets_the_delivery_span_of_the_checks_trace(
    recorded: Recorded, contract: Contract, receiver: FakeHTTPServer
) -> None:
    event, trace_id = _traced_event(recorded, contract)
    assert event.metadata["trace_id"] == trace_id  # stored with the result, carried along

    async with _channel(receiver.url) as channel:
        with recorded.telemetry.delivery_span("webhook", [event], delivery_id="d1", attempt=1):
            await channel.send_alert(event)

    check, delivery = recorded.spans()
    match = TRACEPARENT.fullmatch(receiver.requests[0].headers["traceparent"])
    assert match is not None
    assert match.group(1) == trace_id
    assert delivery.context is not None
    assert match.group(2) == f"{delivery.context.span_id:016x}"
    assert delivery.parent is not None
    assert check.context is not None
    assert delivery.parent.span_id == check.context.span_id


async def test_a_refused_delivery_is_marked_on_its_span(
    recorded: Recorded, contract: Contract, receiver: FakeHTTPServer
) -> None:
    event, _ = _traced_event(recorded, contract)
    receiver.script(ScriptedResponse(503, headers={"Retry-After": "1"}))
    async with _channel(receiver.url) as channel:
        with (
            pytest.raises(RetryableDeliveryError),
            recorded.telemetry.delivery_span("webhook", [event]),
        ):
            await channel.send_alert(event)

    delivery = recorded.spans()[-1]
    assert delivery.attributes is not None
    assert delivery.attributes["error.type"] == "server_error"
    assert "traceparent" in receiver.requests[0].headers
