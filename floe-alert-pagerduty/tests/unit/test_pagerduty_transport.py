import itertools
import json
import ssl
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import httpx
import pytest

from floe_alert_pagerduty.transport import (
    Answer,
    describe_error_body,
    network_error,
    response_error,
)
from floe_monitoring import FailureReason, PermanentDeliveryError, RetryableDeliveryError

SECRET = "s" * 32


def redact(text: str) -> str:
    return text.replace(SECRET, "**********")


def response(status: int, body: Any = None, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
    return httpx.Response(status, content=content, headers=headers)


def chained(*excs: BaseException) -> BaseException:
    # Build outer -> ... -> inner, the way `raise X from Y` links them.
    for outer, inner in itertools.pairwise(excs):
        outer.__cause__ = inner
    return excs[0]


def test_202_is_success_and_carries_dedup_key() -> None:
    ok = response(202, {"status": "success", "message": "Event processed", "dedup_key": "k"})
    assert response_error(ok, redact=redact) is None
    assert Answer(202, {"dedup_key": "k"}).dedup_key == "k"
    assert Answer(202, {"dedup_key": 5}).dedup_key is None
    assert Answer(202).dedup_key is None


def test_400_is_permanent_and_lists_every_error() -> None:
    body = {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["'payload.summary' is missing or blank", "'payload.source' is missing"],
    }
    error = response_error(response(400, body), redact=redact)
    assert isinstance(error, PermanentDeliveryError)
    assert error.status_code == 400
    assert error.reason is FailureReason.CLIENT_ERROR
    assert "invalid event: Event object is invalid" in str(error)
    assert "'payload.summary' is missing or blank; 'payload.source' is missing" in str(error)


def test_vendor_text_in_errors_is_redacted_and_bounded() -> None:
    body = {"status": "invalid event", "message": "x", "errors": [f"bad key {SECRET}", "y" * 5000]}
    error = response_error(response(400, body), redact=redact)
    assert error is not None
    assert SECRET not in str(error)
    assert "**********" in str(error)
    assert len(str(error)) < 1100


def test_429_with_retry_after_seconds() -> None:
    error = response_error(
        response(429, {"status": "throttle event"}, **{"Retry-After": "7"}), redact=redact
    )
    assert isinstance(error, RetryableDeliveryError)
    assert error.retry_after == 7.0
    assert error.reason is FailureReason.RATE_LIMITED


def test_429_with_retry_after_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    error = response_error(response(429, {}, **{"Retry-After": when}), redact=redact)
    assert isinstance(error, RetryableDeliveryError)
    assert error.retry_after is not None
    assert 100 < error.retry_after <= 120


def test_429_without_retry_after() -> None:
    error = response_error(response(429, {}), redact=redact)
    assert isinstance(error, RetryableDeliveryError)
    assert error.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_server_errors_are_retryable(status: int) -> None:
    error = response_error(response(status, {"status": "error", "message": "oops"}), redact=redact)
    assert isinstance(error, RetryableDeliveryError)
    assert error.status_code == status


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (501, FailureReason.CLIENT_ERROR),
        (401, FailureReason.AUTH),
        (403, FailureReason.AUTH),
        (404, FailureReason.CLIENT_ERROR),
        (410, FailureReason.GONE),
        (413, FailureReason.CLIENT_ERROR),
        (302, FailureReason.CLIENT_ERROR),
    ],
)
def test_other_statuses_are_permanent(status: int, reason: FailureReason) -> None:
    error = response_error(response(status, {}), redact=redact)
    assert isinstance(error, PermanentDeliveryError)
    assert error.reason is reason


def test_describe_error_body_handles_non_json() -> None:
    assert describe_error_body(response(502, b"<html>\n Bad   gateway</html>")) == (
        "<html> Bad gateway</html>"
    )
    assert describe_error_body(response(400, {"errors": ["a", "b"]})) == "errors: a; b"
    assert describe_error_body(response(400, b"[1, 2]")) == "[1, 2]"


@pytest.mark.parametrize(
    ("exc", "what", "reason"),
    [
        (
            chained(
                httpx.ConnectTimeout("x"),
                aiohttp.ClientConnectorError(
                    aiohttp.client_reqrep.ConnectionKey("h", 1, False, True, None, None, None),
                    ConnectionRefusedError(111, "refused"),
                ),
                ConnectionRefusedError(111, "refused"),
            ),
            "connection refused",
            FailureReason.CONNECTION,
        ),
        (
            chained(
                httpx.ConnectTimeout("reset"),
                aiohttp.ClientOSError(104, "reset"),
                ConnectionResetError(104, "Connection reset by peer"),
            ),
            "connection reset",
            FailureReason.CONNECTION,
        ),
        (
            chained(httpx.ConnectTimeout("x"), aiohttp.ServerDisconnectedError()),
            "server closed the connection",
            FailureReason.CONNECTION,
        ),
        (
            chained(httpx.ConnectTimeout("x"), ssl.SSLCertVerificationError("bad cert")),
            "TLS certificate verification failed",
            FailureReason.CONNECTION,
        ),
        (
            chained(httpx.ConnectTimeout("x"), ssl.SSLError("handshake")),
            "TLS handshake failed",
            FailureReason.CONNECTION,
        ),
        (
            chained(httpx.ReadTimeout("x"), aiohttp.SocketTimeoutError("read")),
            "timed out",
            FailureReason.TIMEOUT,
        ),
        (httpx.ReadTimeout("slow"), "timed out", FailureReason.TIMEOUT),
        (httpx.ReadError("eof"), "network error", FailureReason.CONNECTION),
    ],
)
def test_network_errors_are_retryable_and_named(
    exc: BaseException, what: str, reason: FailureReason
) -> None:
    error = network_error(exc, host="events.pagerduty.com", redact=redact)
    assert isinstance(error, RetryableDeliveryError)
    assert error.reason is reason
    assert error.retry_after is None
    assert what in str(error)
    assert "events.pagerduty.com" in str(error)


def test_network_error_text_is_redacted() -> None:
    error = network_error(OSError(f"boom {SECRET}"), host="h", redact=redact)
    assert SECRET not in str(error)
