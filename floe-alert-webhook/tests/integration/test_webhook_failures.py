"""Failure classification: statuses, Retry-After, deadlines, refused and reset connections."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from floe_alert_webhook import WebhookChannel
from floe_monitoring import (
    DeliveryError,
    FailureReason,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from floe_testing_kit import FakeHTTPServer, ScriptedResponse, unused_tcp_url
from floe_testing_kit.events import make_event

ChannelFactory = Callable[..., WebhookChannel]


async def failure_of(channel: WebhookChannel) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        await channel.send_alert(make_event())
    return caught.value


@pytest.mark.parametrize(
    ("status", "kind", "reason"),
    [
        (400, PermanentDeliveryError, FailureReason.CLIENT_ERROR),
        (401, PermanentDeliveryError, FailureReason.AUTH),
        (403, PermanentDeliveryError, FailureReason.AUTH),
        (404, PermanentDeliveryError, FailureReason.CLIENT_ERROR),
        (413, PermanentDeliveryError, FailureReason.CLIENT_ERROR),
        (408, RetryableDeliveryError, FailureReason.TIMEOUT),
        (500, RetryableDeliveryError, FailureReason.SERVER_ERROR),
        (501, PermanentDeliveryError, FailureReason.CLIENT_ERROR),
        (502, RetryableDeliveryError, FailureReason.SERVER_ERROR),
        (503, RetryableDeliveryError, FailureReason.SERVER_ERROR),
        (504, RetryableDeliveryError, FailureReason.SERVER_ERROR),
    ],
)
async def test_status_table(
    server: FakeHTTPServer,
    channel_for: ChannelFactory,
    status: int,
    kind: type[DeliveryError],
    reason: FailureReason,
) -> None:
    server.script(ScriptedResponse(status))
    async with channel_for(server.url) as channel:
        error = await failure_of(channel)
    assert type(error) is kind
    assert error.reason is reason
    assert error.status_code == status
    assert str(status) in str(error)
    assert len(server.requests) == 1  # one attempt, never a retry


async def test_410_gone_asks_to_be_disabled(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    server.script(ScriptedResponse(410))
    async with channel_for(server.url) as channel:
        error = await failure_of(channel)
    assert isinstance(error, PermanentDeliveryError)
    assert error.reason is FailureReason.GONE
    assert "disabled" in str(error)


async def test_429_with_retry_after_seconds(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    server.script(ScriptedResponse(429, headers={"Retry-After": "7"}))
    async with channel_for(server.url) as channel:
        error = await failure_of(channel)
    assert isinstance(error, RetryableDeliveryError)
    assert error.reason is FailureReason.RATE_LIMITED
    assert error.retry_after == 7.0
    assert len(server.requests) == 1


async def test_429_with_retry_after_http_date(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    when = datetime.now(UTC) + timedelta(seconds=120)
    server.script(ScriptedResponse(429, headers={"Retry-After": format_datetime(when, True)}))
    async with channel_for(server.url) as channel:
        error = await failure_of(channel)
    assert isinstance(error, RetryableDeliveryError)
    assert error.retry_after is not None
    assert 100 <= error.retry_after <= 121


async def test_503_with_retry_after(server: FakeHTTPServer, channel_for: ChannelFactory) -> None:
    server.script(ScriptedResponse(503, headers={"Retry-After": "30"}))
    async with channel_for(server.url) as channel:
        error = await failure_of(channel)
    assert isinstance(error, RetryableDeliveryError)
    assert error.retry_after == 30.0


async def test_429_without_retry_after(server: FakeHTTPServer, channel_for: ChannelFactory) -> None:
    server.script(ScriptedResponse(429))
    async with channel_for(server.url) as channel:
        error = await failure_of(channel)
    assert isinstance(error, RetryableDeliveryError)
    assert error.retry_after is None


async def test_redirects_are_not_followed(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    server.script(ScriptedResponse(302, headers={"Location": server.url + "/elsewhere"}))
    async with channel_for(server.url + "/hook") as channel:
        error = await failure_of(channel)
    assert isinstance(error, PermanentDeliveryError)
    assert "redirect" in str(error)
    assert [r.path for r in server.requests] == ["/hook"]


async def test_error_detail_is_quoted_short_and_redacted(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    body = '{"error": "invalid token B34R3R", "hint": "' + "x" * 1000 + '"}'
    server.script(ScriptedResponse.json(400, body))
    async with channel_for(server.url, auth={"type": "bearer", "token": "B34R3R"}) as channel:
        error = await failure_of(channel)
    text = str(error)
    assert "invalid token" in text
    assert "B34R3R" not in text
    assert len(text) < 300


async def test_empty_json_error_body_is_not_quoted(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    server.script(ScriptedResponse.json(400, "{}"))
    async with channel_for(server.url) as channel:
        error = await failure_of(channel)
    assert str(error) == "HTTP 400 rejected"


async def test_hang_past_the_deadline_is_a_timeout(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    server.script(ScriptedResponse(hang=True))
    async with channel_for(server.url, timeout_seconds=0.3) as channel:
        began = time.monotonic()
        error = await failure_of(channel)
        elapsed = time.monotonic() - began
    assert isinstance(error, RetryableDeliveryError)
    assert error.reason is FailureReason.TIMEOUT
    assert "0.3s" in str(error)
    assert 0.25 <= elapsed < 2.0
    assert error.__cause__ is None
    assert error.__suppress_context__


async def test_slow_answer_within_the_deadline_succeeds(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    server.script(ScriptedResponse(200, delay=0.1))
    async with channel_for(server.url, timeout_seconds=2) as channel:
        receipt = await channel.send_alert(make_event())
    assert receipt.status_code == 200


async def test_connection_refused(channel_for: ChannelFactory) -> None:
    url = unused_tcp_url() + "/hook?token=S3CR3T"
    async with channel_for(url) as channel:
        began = time.monotonic()
        error = await failure_of(channel)
    assert isinstance(error, RetryableDeliveryError)
    assert error.reason is FailureReason.CONNECTION
    assert "refused" in str(error)
    assert "S3CR3T" not in str(error)
    assert "/hook" not in str(error)
    assert error.__cause__ is None
    assert time.monotonic() - began < 2.0


async def test_connection_reset_after_the_request(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    server.script(ScriptedResponse(reset=True))
    async with channel_for(server.url) as channel:
        error = await failure_of(channel)
    assert isinstance(error, RetryableDeliveryError)
    assert error.reason is FailureReason.CONNECTION
    assert "reset" in str(error)
    assert len(server.requests) == 1


async def test_recovers_after_a_reset(server: FakeHTTPServer, channel_for: ChannelFactory) -> None:
    server.script(ScriptedResponse(reset=True), ScriptedResponse(200))
    async with channel_for(server.url) as channel:
        await failure_of(channel)
        receipt = await channel.send_alert(make_event())
    assert receipt.status_code == 200


async def test_name_resolving_to_metadata_is_refused_at_connect(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    # A name (not a literal) passes validation; the resolver guard refuses its answer.
    channel = channel_for(f"http://localhost:{server.port}/hook")
    async with channel:
        client = channel._client
        assert client is not None
        assert client._resolver is not None

        async def metadata_answer(host: str, port: int = 0, family: object = None) -> object:
            return [
                {
                    "hostname": host,
                    "host": "169.254.169.254",
                    "port": port,
                    "family": 2,
                    "proto": 0,
                    "flags": 0,
                }
            ]

        client._resolver._inner.resolve = metadata_answer  # type: ignore[method-assign,assignment]
        error = await failure_of(channel)
    assert isinstance(error, PermanentDeliveryError)
    assert error.reason is FailureReason.CONNECTION
    assert "metadata" in str(error)
    assert server.requests == []


async def test_localhost_name_is_allowed(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    async with channel_for(f"http://localhost:{server.port}/hook") as channel:
        receipt = await channel.send_alert(make_event())
    assert receipt.status_code == 200
