import socket

import aiohttp
import pytest

from floe_alert_slack.errors import (
    error_code,
    map_api_answer,
    map_exception,
    map_webhook_answer,
    redact_error,
    retry_after_of,
)
from floe_monitoring import (
    DeliveryError,
    FailureReason,
    PermanentDeliveryError,
    RetryableDeliveryError,
)


def test_webhook_200_ok_is_success() -> None:
    assert map_webhook_answer(200, "ok") is None
    assert map_webhook_answer(200, "ok\n") is None


def test_webhook_200_without_ok_is_not_taken_for_success() -> None:
    error = map_webhook_answer(200, "<html>login</html>")
    assert isinstance(error, PermanentDeliveryError)
    assert "is webhook_url a Slack incoming webhook" in str(error)
    assert "<html>" not in str(error)


@pytest.mark.parametrize(
    ("status", "body", "kind", "reason", "words"),
    [
        (
            400,
            "invalid_payload",
            PermanentDeliveryError,
            FailureReason.CLIENT_ERROR,
            "could not read",
        ),
        (
            400,
            "user_not_found",
            PermanentDeliveryError,
            FailureReason.CLIENT_ERROR,
            "user no longer exists",
        ),
        (
            400,
            "no_text",
            PermanentDeliveryError,
            FailureReason.CLIENT_ERROR,
            "neither text nor blocks",
        ),
        (
            403,
            "action_prohibited",
            PermanentDeliveryError,
            FailureReason.AUTH,
            "admin has restricted",
        ),
        (403, "invalid_token", PermanentDeliveryError, FailureReason.AUTH, "create a new webhook"),
        (
            404,
            "channel_not_found",
            PermanentDeliveryError,
            FailureReason.CLIENT_ERROR,
            "does not exist",
        ),
        (
            404,
            "no_service",
            PermanentDeliveryError,
            FailureReason.CLIENT_ERROR,
            "disabled or removed",
        ),
        (
            410,
            "channel_is_archived",
            PermanentDeliveryError,
            FailureReason.GONE,
            "asks to be disabled",
        ),
        (
            400,
            "posting_to_general_channel_denied",
            PermanentDeliveryError,
            FailureReason.CLIENT_ERROR,
            "only admins",
        ),
        (
            500,
            "rollup_error",
            RetryableDeliveryError,
            FailureReason.SERVER_ERROR,
            "failed internally",
        ),
        (503, "<html>busy</html>", RetryableDeliveryError, FailureReason.SERVER_ERROR, "HTTP 503"),
    ],
)
def test_webhook_documented_errors(
    status: int, body: str, kind: type[DeliveryError], reason: FailureReason, words: str
) -> None:
    error = map_webhook_answer(status, body)
    assert type(error) is kind
    assert error is not None
    assert error.reason is reason
    assert error.status_code == status
    assert words in str(error)
    assert "<html>" not in str(error)


def test_webhook_429_reads_retry_after_header_then_body() -> None:
    body = '{"ok":false,"error":"rate_limited","retry_after":3}'
    error = map_webhook_answer(429, body, {"Retry-After": "7"})
    assert isinstance(error, RetryableDeliveryError)
    assert error.retry_after == 7.0
    assert error.reason is FailureReason.RATE_LIMITED
    from_body = map_webhook_answer(429, body, {})
    assert isinstance(from_body, RetryableDeliveryError)
    assert from_body.retry_after == 3.0


def test_retry_after_accepts_http_dates() -> None:
    error = map_webhook_answer(
        429, "rate_limited", {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )
    assert isinstance(error, RetryableDeliveryError)
    assert error.retry_after == 0.0  # a date in the past: retry now


def test_501_is_permanent() -> None:
    assert isinstance(map_webhook_answer(501, ""), PermanentDeliveryError)


@pytest.mark.parametrize(
    ("code", "kind", "reason"),
    [
        ("channel_not_found", PermanentDeliveryError, FailureReason.CLIENT_ERROR),
        ("not_in_channel", PermanentDeliveryError, FailureReason.CLIENT_ERROR),
        ("invalid_auth", PermanentDeliveryError, FailureReason.AUTH),
        ("not_authed", PermanentDeliveryError, FailureReason.AUTH),
        ("token_revoked", PermanentDeliveryError, FailureReason.AUTH),
        ("missing_scope", PermanentDeliveryError, FailureReason.AUTH),
        ("is_archived", PermanentDeliveryError, FailureReason.GONE),
        ("invalid_blocks", PermanentDeliveryError, FailureReason.CLIENT_ERROR),
        ("msg_blocks_too_long", PermanentDeliveryError, FailureReason.CLIENT_ERROR),
        ("something_new", PermanentDeliveryError, FailureReason.CLIENT_ERROR),
        ("ratelimited", RetryableDeliveryError, FailureReason.RATE_LIMITED),
        ("internal_error", RetryableDeliveryError, FailureReason.SERVER_ERROR),
        ("fatal_error", RetryableDeliveryError, FailureReason.SERVER_ERROR),
        ("service_unavailable", RetryableDeliveryError, FailureReason.SERVER_ERROR),
        ("request_timeout", RetryableDeliveryError, FailureReason.TIMEOUT),
    ],
)
def test_api_ok_false_is_mapped_by_code(
    code: str, kind: type[DeliveryError], reason: FailureReason
) -> None:
    error = map_api_answer(200, {"ok": False, "error": code}, {}, method="chat.postMessage")
    assert type(error) is kind
    assert error is not None
    assert error.reason is reason
    assert str(error).startswith(f"chat.postMessage: Slack answered ok=false: {code}")


def test_api_ok_true_is_success() -> None:
    assert map_api_answer(200, {"ok": True, "ts": "1.2"}, {}, method="chat.postMessage") is None


def test_api_invalid_blocks_says_which() -> None:
    data = {
        "ok": False,
        "error": "invalid_blocks",
        "errors": [
            f"must be more than 0 characters [json-pointer:/blocks/{i}/text/text]" for i in range(5)
        ],
    }
    error = map_api_answer(200, data, {}, method="chat.postMessage")
    assert error is not None
    assert "[json-pointer:/blocks/0/text/text]" in str(error)
    assert "(+2 more)" in str(error)


@pytest.mark.parametrize(
    ("status", "code", "kind", "reason"),
    [
        (429, "ratelimited", RetryableDeliveryError, FailureReason.RATE_LIMITED),
        (500, "internal_error", RetryableDeliveryError, FailureReason.SERVER_ERROR),
        (502, None, RetryableDeliveryError, FailureReason.SERVER_ERROR),
        (408, None, RetryableDeliveryError, FailureReason.TIMEOUT),
        (401, "invalid_auth", PermanentDeliveryError, FailureReason.AUTH),
        (404, "channel_not_found", PermanentDeliveryError, FailureReason.CLIENT_ERROR),
        (410, "is_archived", PermanentDeliveryError, FailureReason.GONE),
        (400, "invalid_arguments", PermanentDeliveryError, FailureReason.CLIENT_ERROR),
    ],
)
def test_api_http_status_decides_retry(
    status: int, code: str | None, kind: type[DeliveryError], reason: FailureReason
) -> None:
    data = {"ok": False, "error": code} if code else {}
    error = map_api_answer(status, data, {"Retry-After": "4"}, method="chat.update")
    assert type(error) is kind
    assert error is not None
    assert error.reason is reason
    assert error.status_code == status
    assert str(error).startswith("chat.update: Slack answered HTTP")
    if isinstance(error, RetryableDeliveryError) and status == 429:
        assert error.retry_after == 4.0


def test_api_200_without_ok_is_permanent() -> None:
    error = map_api_answer(200, "ok", {}, method="chat.postMessage")
    assert isinstance(error, PermanentDeliveryError)
    assert "is base_url right?" in str(error)
    bare = map_api_answer(200, {"ok": False}, {}, method="chat.postMessage")
    assert isinstance(bare, PermanentDeliveryError)
    assert "no error code" in str(bare)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("invalid_payload", "invalid_payload"),
        (b"channel_not_found", "channel_not_found"),
        ('{"ok":false,"error":"rate_limited"}', "rate_limited"),
        ({"ok": False, "error": "not_in_channel"}, "not_in_channel"),
        ("<html>https://hooks.slack.com/services/SECRET</html>", None),
        ('{"error": "has spaces and https://x"}', None),
        ("{broken", None),
        (None, None),
    ],
)
def test_error_code_never_echoes_arbitrary_text(body: object, code: str | None) -> None:
    assert error_code(body) == code


def test_retry_after_of_ignores_booleans_and_junk() -> None:
    assert retry_after_of({}, '{"retry_after": true}') is None
    assert retry_after_of({}, "{junk") is None
    assert retry_after_of(None, {"retry_after": 2.5}) == "2"


async def test_exceptions_map_without_their_text() -> None:
    url_text = "https://hooks.slack.com/services/T/B/SECRET"
    connection_key = aiohttp.client_reqrep.ConnectionKey("h", 1, True, True, None, None, None)
    cases: list[tuple[BaseException, FailureReason, str]] = [
        (TimeoutError(url_text), FailureReason.TIMEOUT, "within 2s"),
        (aiohttp.ServerTimeoutError(), FailureReason.TIMEOUT, "within 2s"),
        (
            aiohttp.ClientConnectorError(connection_key, ConnectionRefusedError(111, url_text)),
            FailureReason.CONNECTION,
            "refused",
        ),
        (
            aiohttp.ClientConnectorDNSError(connection_key, socket.gaierror(-2, url_text)),
            FailureReason.CONNECTION,
            "resolve",
        ),
        (aiohttp.ServerDisconnectedError(url_text), FailureReason.CONNECTION, "closed or reset"),
        (aiohttp.ClientOSError(104, url_text), FailureReason.CONNECTION, "closed or reset"),
        (ConnectionResetError(url_text), FailureReason.CONNECTION, "closed or reset"),
        (aiohttp.ClientPayloadError(url_text), FailureReason.CONNECTION, "closed or reset"),
    ]
    for exc, reason, words in cases:
        error = map_exception(exc, timeout=2.0)
        assert isinstance(error, RetryableDeliveryError), exc
        assert error.reason is reason
        assert words in str(error)
        assert "SECRET" not in str(error)
    bug = map_exception(KeyError(url_text), timeout=2.0)
    assert isinstance(bug, PermanentDeliveryError)
    assert bug.reason is FailureReason.INTERNAL
    assert "SECRET" not in str(bug)


def test_redact_error_keeps_type_and_fields() -> None:
    error = RetryableDeliveryError("token xoxb-1 failed", retry_after=3, status_code=429)
    clean = redact_error(error, lambda text: text.replace("xoxb-1", "***"))
    assert isinstance(clean, RetryableDeliveryError)
    assert str(clean) == "token *** failed"
    assert (clean.retry_after, clean.status_code, clean.reason) == (3, 429, error.reason)
    assert redact_error(error, lambda text: text) is error
    permanent = redact_error(PermanentDeliveryError("xoxb-1"), lambda text: "***")
    assert isinstance(permanent, PermanentDeliveryError)
