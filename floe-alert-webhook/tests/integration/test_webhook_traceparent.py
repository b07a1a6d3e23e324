"""W3C trace context on outgoing requests when an OpenTelemetry span is active.

OpenTelemetry is optional for the package but part of the workspace's dev group; if it
is missing these tests fail (never skip), naming what to install.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType

import pytest

from floe_alert_webhook import WebhookChannel
from floe_alert_webhook.tracing import inject_trace_context, tracing_available
from floe_testing_kit import FakeHTTPServer
from floe_testing_kit.events import make_event

ChannelFactory = Callable[..., WebhookChannel]
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def opentelemetry() -> tuple[ModuleType, ModuleType]:
    """The OpenTelemetry API's trace module and the SDK's trace module."""
    try:
        # Ignored for mypy only while the dev group lacks OpenTelemetry (then this fails).
        from opentelemetry import trace  # type: ignore[import-not-found,unused-ignore]
        from opentelemetry.sdk import trace as sdk_trace  # type: ignore[import-not-found,unused-ignore]
    except ModuleNotFoundError as exc:
        pytest.fail(
            f"{exc}: add opentelemetry-api and opentelemetry-sdk to the workspace dev group "
            "to test traceparent propagation",
            pytrace=False,
        )
    return trace, sdk_trace


async def test_traceparent_of_the_active_span(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    trace, sdk_trace = opentelemetry()
    assert tracing_available()
    tracer = sdk_trace.TracerProvider().get_tracer("floe-alert-webhook-tests")
    async with channel_for(server.url) as channel:
        with tracer.start_as_current_span("deliver") as span:
            await channel.send_alert(make_event())
            context = span.get_span_context()
    match = TRACEPARENT.fullmatch(server.requests[0].headers["traceparent"])
    assert match is not None
    assert match.group(1) == trace.format_trace_id(context.trace_id)
    assert match.group(2) == trace.format_span_id(context.span_id)


async def test_no_traceparent_without_an_active_span(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    async with channel_for(server.url) as channel:
        await channel.send_alert(make_event())
    assert "traceparent" not in server.requests[0].headers


def test_inject_adds_nothing_without_a_span() -> None:
    headers = {"content-type": "application/json"}
    inject_trace_context(headers)
    assert headers == {"content-type": "application/json"}
