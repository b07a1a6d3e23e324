"""Failures: each answer or network fault is classified, in one attempt, within the deadline."""

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from floe_alert_pagerduty import PagerDutyChannel, PagerDutyConfig
from floe_alert_pagerduty.conformance import FakeEventsAPI, error_body
from floe_monitoring import (
    ContractViolationEvent,
    FailureReason,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from floe_testing_kit import FakeHTTPServer, ScriptedResponse, unused_tcp_url

EventFactory = Callable[..., ContractViolationEvent]
ConfigFactory = Callable[..., PagerDutyConfig]


def pd_error(
    status: int, errors: list[str] | None = None, *, retry_after: str | None = None
) -> ScriptedResponse:
    headers = {"Retry-After": retry_after} if retry_after else {}
    return ScriptedResponse.json(status, json.dumps(error_body(status, errors)), **headers)


async def test_400_is_permanent_and_lists_pagerdutys_errors(
    channel: PagerDutyChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.script(
        pd_error(400, ["'payload.summary' is missing or blank", "'payload.source' is missing"])
    )
    with pytest.raises(PermanentDeliveryError) as caught:
        await channel.send_alert(make_event())
    error = caught.value
    assert error.status_code == 400
    assert error.reason is FailureReason.CLIENT_ERROR
    assert "invalid event" in str(error)
    assert "'payload.summary' is missing or blank" in str(error)
    assert "'payload.source' is missing" in str(error)
    assert len(server.requests) == 1  # never retried inside the channel


async def test_429_with_retry_after_seconds(
    channel: PagerDutyChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.script(pd_error(429, retry_after="30"))
    with pytest.raises(RetryableDeliveryError) as caught:
        await channel.send_alert(make_event())
    assert caught.value.retry_after == 30.0
    assert caught.value.reason is FailureReason.RATE_LIMITED
    assert caught.value.status_code == 429
    assert len(server.requests) == 1


async def test_429_with_retry_after_http_date(
    channel: PagerDutyChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    server.script(pd_error(429, retry_after=when))
    with pytest.raises(RetryableDeliveryError) as caught:
        await channel.send_alert(make_event())
    assert caught.value.retry_after is not None
    assert 80 <= caught.value.retry_after <= 90


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_is_retryable(
    channel: PagerDutyChannel, server: FakeHTTPServer, make_event: EventFactory, status: int
) -> None:
    server.script(pd_error(status, retry_after="2"))
    with pytest.raises(RetryableDeliveryError) as caught:
        await channel.send_alert(make_event())
    assert caught.value.status_code == status
    assert caught.value.reason is FailureReason.SERVER_ERROR
    assert caught.value.retry_after == 2.0


async def test_503_then_success_with_identical_body(
    channel: PagerDutyChannel,
    server: FakeHTTPServer,
    fake_api: FakeEventsAPI,
    make_event: EventFactory,
    default_key: str,
) -> None:
    event = make_event()
    server.script(pd_error(503))
    with pytest.raises(RetryableDeliveryError):
        await channel.send_alert(event)
    receipt = await channel.send_alert(event)  # what the core's retry does
    assert receipt.status_code == 202
    assert server.requests[0].body == server.requests[1].body
    assert fake_api.alert_state(default_key, event.dedup_key) == "triggered"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (501, FailureReason.CLIENT_ERROR),
        (403, FailureReason.AUTH),
        (404, FailureReason.CLIENT_ERROR),
    ],
)
async def test_other_4xx_and_501_are_permanent(
    channel: PagerDutyChannel,
    server: FakeHTTPServer,
    make_event: EventFactory,
    status: int,
    reason: FailureReason,
) -> None:
    server.script(pd_error(status))
    with pytest.raises(PermanentDeliveryError) as caught:
        await channel.send_alert(make_event())
    assert caught.value.reason is reason


async def test_redirects_are_not_followed(
    channel: PagerDutyChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.script(ScriptedResponse(302, {"Location": "https://elsewhere.example.com/"}))
    with pytest.raises(PermanentDeliveryError, match="redirect not followed"):
        await channel.send_alert(make_event())
    assert len(server.requests) == 1


async def test_a_server_that_hangs_is_cut_off_at_the_deadline(
    make_config: ConfigFactory, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.script(ScriptedResponse(hang=True))
    async with PagerDutyChannel(make_config(timeout_seconds=0.5)) as channel:
        began = time.monotonic()
        with pytest.raises(RetryableDeliveryError) as caught:
            await channel.send_alert(make_event())
        elapsed = time.monotonic() - began
    assert caught.value.reason is FailureReason.TIMEOUT
    assert "0.5s send deadline" in str(caught.value)
    assert 0.45 <= elapsed < 2.0


async def test_the_deadline_covers_a_slow_answer_too(
    make_config: ConfigFactory, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.script(ScriptedResponse(202, body=b"{}", delay=1.5))
    async with PagerDutyChannel(make_config(timeout_seconds=0.3)) as channel:
        with pytest.raises(RetryableDeliveryError) as caught:
            await channel.send_alert(make_event())
    assert caught.value.reason is FailureReason.TIMEOUT


async def test_a_refused_connection_is_retryable(
    make_event: EventFactory, default_key: str
) -> None:
    config = PagerDutyConfig.model_validate(
        {"routing_key": default_key, "base_url": unused_tcp_url(), "allow_insecure_http": True}
    )
    async with PagerDutyChannel(config) as channel:
        with pytest.raises(RetryableDeliveryError) as caught:
            await channel.send_alert(make_event())
    assert caught.value.reason is FailureReason.CONNECTION
    assert "connection refused" in str(caught.value)
    assert caught.value.status_code is None


async def test_a_reset_after_the_request_is_retryable(
    channel: PagerDutyChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.script(ScriptedResponse(reset=True))
    with pytest.raises(RetryableDeliveryError) as caught:
        await channel.send_alert(make_event())
    assert caught.value.reason is FailureReason.CONNECTION
    assert "connection reset" in str(caught.value) or "closed the connection" in str(caught.value)
    assert len(server.requests) == 1


async def test_a_resolve_failing_on_one_route_fails_the_attempt(
    make_config: ConfigFactory,
    server: FakeHTTPServer,
    make_event: EventFactory,
    oncall_key: str,
) -> None:
    config = make_config(severity_routing={"critical": oncall_key})
    resolved = make_event(severity="critical", status="resolved")
    async with PagerDutyChannel(config) as channel:
        server.script(pd_error(503, retry_after="4"))
        with pytest.raises(RetryableDeliveryError) as retry:
            await channel.send_alert(resolved)
        server.script(pd_error(400, ["Invalid routing key"]))
        with pytest.raises(PermanentDeliveryError) as permanent:
            await channel.send_alert(resolved)
    assert retry.value.retry_after == 4.0
    assert "resolve failed on route" in str(retry.value)
    assert "Invalid routing key" in str(permanent.value)
    assert permanent.value.status_code == 400
    assert len(server.requests) == 4  # two routes, two attempts


async def test_tls_is_verified_against_the_configured_ca_bundle(
    make_event: EventFactory, default_key: str
) -> None:
    api = FakeEventsAPI()
    async with FakeHTTPServer(handler=api, tls=True) as server:
        trusted = PagerDutyConfig.model_validate(
            {"routing_key": default_key, "base_url": server.url, "ca_bundle": server.ca_bundle}
        )
        async with PagerDutyChannel(trusted) as channel:
            receipt = await channel.send_alert(make_event())
        untrusted = PagerDutyConfig.model_validate(
            {"routing_key": default_key, "base_url": server.url}
        )
        async with PagerDutyChannel(untrusted) as channel:
            with pytest.raises(RetryableDeliveryError) as caught:
                await channel.send_alert(make_event())
    assert receipt.status_code == 202
    assert "TLS certificate verification failed" in str(caught.value)
    assert len(api.accepted) == 1
