import time
from collections.abc import Callable

import pytest

from floe_alert_slack import SlackChannel, SlackConfig, SlackMode
from floe_alert_slack.conformance import FakeSlack, api_error, webhook_error
from floe_monitoring import (
    ContractViolationEvent,
    DeliveryError,
    FailureReason,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from floe_testing_kit import FakeHTTPServer, ScriptedResponse, unused_tcp_url

EventFactory = Callable[..., ContractViolationEvent]


def _rate_limited(channel: SlackChannel, retry_after: str) -> ScriptedResponse:
    if channel.config.mode is SlackMode.WEBHOOK:
        body = '{"ok":false,"error":"rate_limited","retry_after":1}'
    else:
        body = '{"ok":false,"error":"ratelimited"}'
    return ScriptedResponse.json(429, body, **{"Retry-After": retry_after})


def _assert_clean(error: DeliveryError) -> None:
    # Raised outside the except block: no vendor exception rides along.
    assert error.__cause__ is None
    assert error.__context__ is None


async def test_429_is_retryable_with_retry_after_and_no_wait(
    any_channel: SlackChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.script(_rate_limited(any_channel, "30"))
    began = time.monotonic()
    with pytest.raises(RetryableDeliveryError) as caught:
        await any_channel.send_alert(make_event())
    assert time.monotonic() - began < 2.0  # the core waits, never the channel
    assert caught.value.retry_after == 30.0
    assert caught.value.reason is FailureReason.RATE_LIMITED
    assert caught.value.status_code == 429
    assert len(server.requests) == 1  # slack-sdk's retry handlers are off
    _assert_clean(caught.value)


async def test_429_with_an_http_date(
    any_channel: SlackChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.script(_rate_limited(any_channel, "Wed, 21 Oct 2099 07:28:00 GMT"))
    with pytest.raises(RetryableDeliveryError) as caught:
        await any_channel.send_alert(make_event())
    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 3600


async def test_webhook_429_body_retry_after_when_no_header(
    webhook_channel: SlackChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.script(ScriptedResponse.json(429, '{"ok":false,"error":"rate_limited","retry_after":4}'))
    with pytest.raises(RetryableDeliveryError) as caught:
        await webhook_channel.send_alert(make_event())
    assert caught.value.retry_after == 4.0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_is_retryable_after_one_attempt(
    any_channel: SlackChannel, server: FakeHTTPServer, make_event: EventFactory, status: int
) -> None:
    server.script(ScriptedResponse(status, {"Content-Type": "text/html"}, b"<html>oops</html>"))
    with pytest.raises(RetryableDeliveryError) as caught:
        await any_channel.send_alert(make_event())
    assert caught.value.reason is FailureReason.SERVER_ERROR
    assert caught.value.status_code == status
    assert len(server.requests) == 1
    _assert_clean(caught.value)


async def test_a_hanging_server_times_out_at_the_deadline(
    server: FakeHTTPServer,
    webhook_config: Callable[..., SlackConfig],
    api_config: Callable[..., SlackConfig],
    make_event: EventFactory,
) -> None:
    for config in (webhook_config(timeout_seconds=0.3), api_config(timeout_seconds=0.3)):
        server.script(ScriptedResponse(hang=True))
        async with SlackChannel(config) as channel:
            began = time.monotonic()
            with pytest.raises(RetryableDeliveryError) as caught:
                await channel.send_alert(make_event())
            elapsed = time.monotonic() - began
        assert 0.25 <= elapsed < 2.0
        assert caught.value.reason is FailureReason.TIMEOUT
        assert "within 0.3s" in str(caught.value)
        _assert_clean(caught.value)


async def test_a_refused_connection_is_retryable(make_event: EventFactory) -> None:
    base = unused_tcp_url()
    configs = [
        SlackConfig.model_validate({"webhook_url": f"{base}/services/T/B/x"}),
        SlackConfig.model_validate(
            {"mode": "web_api", "token": "xoxb-1", "channel": "C1", "base_url": f"{base}/api/"}
        ),
    ]
    for config in configs:
        async with SlackChannel(config) as channel:
            with pytest.raises(RetryableDeliveryError) as caught:
                await channel.send_alert(make_event())
        assert caught.value.reason is FailureReason.CONNECTION
        assert "connection refused" in str(caught.value)
        _assert_clean(caught.value)


async def test_a_reset_after_the_request_is_retryable(
    any_channel: SlackChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.script(ScriptedResponse(reset=True))
    with pytest.raises(RetryableDeliveryError) as caught:
        await any_channel.send_alert(make_event())
    assert caught.value.reason is FailureReason.CONNECTION
    assert len(server.requests) == 1  # never resent, not even by aiohttp
    _assert_clean(caught.value)


@pytest.mark.parametrize(
    ("status", "code", "reason", "words"),
    [
        (400, "invalid_payload", FailureReason.CLIENT_ERROR, "could not read"),
        (400, "user_not_found", FailureReason.CLIENT_ERROR, "user no longer exists"),
        (403, "action_prohibited", FailureReason.AUTH, "admin has restricted"),
        (403, "invalid_token", FailureReason.AUTH, "create a new webhook"),
        (404, "channel_not_found", FailureReason.CLIENT_ERROR, "does not exist"),
        (410, "channel_is_archived", FailureReason.GONE, "asks to be disabled"),
        (400, "invalid_blocks", FailureReason.CLIENT_ERROR, "rejected the blocks"),
    ],
)
async def test_webhook_documented_errors_are_permanent(
    webhook_channel: SlackChannel,
    server: FakeHTTPServer,
    make_event: EventFactory,
    status: int,
    code: str,
    reason: FailureReason,
    words: str,
) -> None:
    server.script(webhook_error(code, status))
    with pytest.raises(PermanentDeliveryError) as caught:
        await webhook_channel.send_alert(make_event())
    assert caught.value.reason is reason
    assert caught.value.status_code == status
    assert code in str(caught.value)
    assert words in str(caught.value)
    assert len(server.requests) == 1
    _assert_clean(caught.value)


async def test_webhook_rollup_error_is_retryable(
    webhook_channel: SlackChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.script(webhook_error("rollup_error", 500))
    with pytest.raises(RetryableDeliveryError, match="rollup_error"):
        await webhook_channel.send_alert(make_event())


@pytest.mark.parametrize(
    ("code", "reason", "words"),
    [
        ("channel_not_found", FailureReason.CLIENT_ERROR, "check `channel`"),
        ("not_in_channel", FailureReason.CLIENT_ERROR, "/invite"),
        ("invalid_auth", FailureReason.AUTH, "check `token`"),
        ("is_archived", FailureReason.GONE, "archived"),
        ("action_prohibited", FailureReason.CLIENT_ERROR, "admin has restricted"),
        ("msg_blocks_too_long", FailureReason.CLIENT_ERROR, "message size"),
    ],
)
async def test_web_api_documented_errors_are_permanent(
    api_channel: SlackChannel,
    server: FakeHTTPServer,
    make_event: EventFactory,
    code: str,
    reason: FailureReason,
    words: str,
) -> None:
    server.script(api_error(code))
    with pytest.raises(PermanentDeliveryError) as caught:
        await api_channel.send_alert(make_event())
    assert caught.value.reason is reason
    assert caught.value.status_code == 200
    assert f"Slack answered ok=false: {code}" in str(caught.value)
    assert words in str(caught.value)
    _assert_clean(caught.value)


async def test_web_api_invalid_blocks_carries_slacks_reasons(
    api_channel: SlackChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.script(
        api_error(
            "invalid_blocks", errors=["must be more than 0 characters [json-pointer:/blocks/1]"]
        )
    )
    with pytest.raises(PermanentDeliveryError, match=r"json-pointer:/blocks/1"):
        await api_channel.send_alert(make_event())


async def test_web_api_ok_false_ratelimited_is_retryable(
    api_channel: SlackChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.script(api_error("ratelimited", retry_after=3))
    with pytest.raises(RetryableDeliveryError) as caught:
        await api_channel.send_alert(make_event())
    assert caught.value.retry_after == 3.0
    assert caught.value.reason is FailureReason.RATE_LIMITED


async def test_wrong_token_is_an_auth_failure(
    server: FakeHTTPServer,
    fake: FakeSlack,
    api_config: Callable[..., SlackConfig],
    make_event: EventFactory,
) -> None:
    async with SlackChannel(api_config(token="xoxb-wrong")) as channel:
        with pytest.raises(PermanentDeliveryError) as caught:
            await channel.send_alert(make_event())
    assert caught.value.reason is FailureReason.AUTH
    assert [r.code for r in fake.rejections] == ["invalid_auth"]


async def test_webhook_200_that_is_not_ok_is_not_success(
    webhook_channel: SlackChannel, server: FakeHTTPServer, make_event: EventFactory
) -> None:
    server.script(ScriptedResponse(200, {"Content-Type": "text/html"}, b"<html>sign in</html>"))
    with pytest.raises(PermanentDeliveryError, match="is webhook_url a Slack incoming webhook"):
        await webhook_channel.send_alert(make_event())
