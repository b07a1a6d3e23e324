"""Spans: one per check with its outcome, one per delivery attempt as the check's child."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from floe_monitoring import ContractViolationEvent, RetryableDeliveryError
from floe_monitoring.checks.base import CheckResult, CheckType
from floe_monitoring.contracts import Contract
from floe_monitoring.errors import FailureReason
from floe_monitoring.telemetry import Telemetry, trace_metadata_from
from floe_monitoring.telemetry.tracing import error_type_of

from .conftest import Recorded

Results = Callable[..., CheckResult]
Events = Callable[..., ContractViolationEvent]


def test_a_check_span_carries_the_contract_and_the_outcome(
    recorded: Recorded, contract: Contract, result_factory: Results
) -> None:
    with recorded.telemetry.check_span(contract, CheckType.FRESHNESS, "orders.updated_at") as span:
        span.set_result(result_factory())

    [finished] = recorded.spans()
    assert finished.name == "check freshness"
    assert finished.kind is SpanKind.INTERNAL
    assert dict(finished.attributes or {}) == {
        "floe.contract.id": "urn:contract:orders",
        "floe.contract.name": "orders",
        "floe.contract.version": "1.2.0",
        "floe.check.type": "freshness",
        "floe.check.element": "orders.updated_at",
        "floe.check.status": "fail",
        "floe.violation.type": "freshness",
        "floe.violation.severity": "error",
        "floe.check.table": "lake:shop.orders",
    }
    # A violation is a finding, not a failure of the check itself.
    assert finished.status.status_code is StatusCode.UNSET


def test_the_trace_id_is_32_hex_digits_and_goes_into_event_metadata(
    recorded: Recorded, contract: Contract
) -> None:
    with recorded.telemetry.check_span(contract, "quality") as span:
        trace_id = span.trace_id
        traceparent = span.traceparent
        metadata = span.trace_metadata

    [finished] = recorded.spans()
    context = finished.get_span_context()
    assert context is not None
    assert trace_id == f"{context.trace_id:032x}"
    flags = int(context.trace_flags)
    assert flags & 0x01  # sampled
    assert traceparent == f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags:02x}"
    assert metadata == {"trace_id": trace_id, "traceparent": traceparent}


def test_trace_metadata_can_travel_as_one_traceparent_string(
    recorded: Recorded, contract: Contract
) -> None:
    with recorded.telemetry.check_span(contract, "quality") as span:
        carried = span.traceparent
        expected = span.trace_metadata
    assert trace_metadata_from(carried) == expected
    assert trace_metadata_from(None) == {}
    assert trace_metadata_from("00-not-a-valid-header") == {}


def test_an_error_result_marks_the_span_with_its_error_type(
    recorded: Recorded, contract: Contract, result_factory: Results
) -> None:
    error = result_factory(
        status="error",
        severity=None,
        reason="catalog_unavailable",
        details={"error_type": "CatalogUnavailableError"},
    )
    with recorded.telemetry.check_span(contract, "freshness") as span:
        span.set_result(error)

    [finished] = recorded.spans()
    assert finished.attributes is not None
    assert finished.attributes["error.type"] == "CatalogUnavailableError"
    assert finished.status.status_code is StatusCode.ERROR
    assert "floe.violation.severity" not in finished.attributes


def test_error_type_falls_back_to_the_reason_and_marks_timeouts(result_factory: Results) -> None:
    assert error_type_of(result_factory(status="error", severity=None, reason="x")) == "x"
    assert error_type_of(result_factory(status="error", severity=None)) == "_OTHER"
    assert error_type_of(result_factory(reason="timeout")) == "timeout"
    assert error_type_of(result_factory()) is None
    assert error_type_of(result_factory(status="pass", severity=None)) is None


async def test_a_cancelled_check_still_ends_its_span_marked(
    recorded: Recorded, contract: Contract
) -> None:
    async def run() -> None:
        with recorded.telemetry.check_span(contract, "availability"):
            await asyncio.sleep(10)

    task = asyncio.create_task(run())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    [finished] = recorded.spans()
    assert finished.attributes is not None
    assert finished.attributes["error.type"] == "CancelledError"
    assert finished.status.status_code is StatusCode.ERROR
    assert finished.events == ()  # exceptions are never recorded (messages may hold secrets)


def test_a_delivery_span_is_a_child_of_the_check_that_raised_the_event(
    recorded: Recorded, contract: Contract, event_factory: Events
) -> None:
    with recorded.telemetry.check_span(contract, "freshness") as check:
        metadata = check.trace_metadata
    event = event_factory(metadata=metadata)

    with recorded.telemetry.delivery_span("slack", [event], delivery_id="d1", attempt=2):
        pass

    check_span, delivery = recorded.spans()
    assert delivery.name == "deliver slack"
    assert delivery.kind is SpanKind.CLIENT
    assert delivery.parent is not None
    check_context = check_span.get_span_context()
    assert check_context is not None
    assert delivery.parent.span_id == check_context.span_id
    assert delivery.parent.trace_id == check_context.trace_id
    assert dict(delivery.attributes or {}) == {
        "floe.channel.name": "slack",
        "floe.delivery.id": "d1",
        "floe.delivery.attempt": 2,
        "floe.delivery.event_count": 1,
        "floe.contract.name": "orders",
    }


def test_a_batch_links_the_other_checks(
    recorded: Recorded, contract: Contract, event_factory: Events
) -> None:
    metadatas = []
    for kind in ("freshness", "quality"):
        with recorded.telemetry.check_span(contract, kind) as check:
            metadatas.append(check.trace_metadata)
    events = [event_factory(metadata=m) for m in metadatas]

    with recorded.telemetry.delivery_span("email", events):
        pass

    first, second, delivery = recorded.spans()
    assert delivery.parent is not None
    assert first.context is not None
    assert second.context is not None
    assert delivery.parent.span_id == first.context.span_id
    assert [link.context.span_id for link in delivery.links] == [second.context.span_id]


def test_an_event_without_trace_starts_a_new_trace(
    recorded: Recorded, event_factory: Events
) -> None:
    event = event_factory(metadata={"traceparent": "junk"})
    with recorded.telemetry.delivery_span("slack", [event]):
        pass
    [delivery] = recorded.spans()
    assert delivery.parent is None


def test_a_delivery_error_marks_the_span_with_its_reason(
    recorded: Recorded, event_factory: Events
) -> None:
    with (
        pytest.raises(RetryableDeliveryError),
        recorded.telemetry.delivery_span("slack", [event_factory()]),
    ):
        raise RetryableDeliveryError("429 from Slack", reason=FailureReason.RATE_LIMITED)

    [delivery] = recorded.spans()
    assert delivery.attributes is not None
    assert delivery.attributes["error.type"] == "rate_limited"
    assert delivery.status.status_code is StatusCode.ERROR
    assert delivery.status.description == "rate_limited"
    assert delivery.events == ()


def test_a_channel_bug_marks_the_span_with_the_exception_type(
    recorded: Recorded, event_factory: Events
) -> None:
    with (
        pytest.raises(KeyError),
        recorded.telemetry.delivery_span("slack", [event_factory()]),
    ):
        raise KeyError("token")

    [delivery] = recorded.spans()
    assert delivery.attributes is not None
    assert delivery.attributes["error.type"] == "KeyError"


def test_without_the_sdk_spans_are_free_and_untraced(
    contract: Contract, result_factory: Results, event_factory: Events
) -> None:
    telemetry = Telemetry.disabled()
    with telemetry.check_span(contract, "freshness") as span:
        span.set_result(result_factory())
        assert span.trace_id is None
        assert span.traceparent is None
        assert span.trace_metadata == {}
    with telemetry.delivery_span("slack", [event_factory()]) as delivery:
        assert not delivery.span.is_recording()
