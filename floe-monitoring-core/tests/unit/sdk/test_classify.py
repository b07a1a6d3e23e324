from __future__ import annotations

from datetime import UTC, datetime

import pytest

from floe_monitoring import (
    FailureReason,
    PermanentDeliveryError,
    RetryableDeliveryError,
    classify_http_status,
    parse_retry_after,
)

NOW = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)


def _expected_kind(status: int) -> str:
    if 200 <= status < 300:
        return "ok"
    if status in (408, 429) or (500 <= status < 600 and status != 501):
        return "retry"
    return "permanent"


@pytest.mark.parametrize("status", range(200, 600))
def test_every_status_is_classified_by_the_one_rule(status: int) -> None:
    error = classify_http_status(status)
    kind = _expected_kind(status)
    if kind == "ok":
        assert error is None
    elif kind == "retry":
        assert isinstance(error, RetryableDeliveryError)
        assert error.retryable
        assert error.status_code == status
    else:
        assert isinstance(error, PermanentDeliveryError)
        assert not error.retryable
        assert error.status_code == status
        assert str(status) in str(error)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (429, FailureReason.RATE_LIMITED),
        (408, FailureReason.TIMEOUT),
        (503, FailureReason.SERVER_ERROR),
        (401, FailureReason.AUTH),
        (403, FailureReason.AUTH),
        (410, FailureReason.GONE),
        (400, FailureReason.CLIENT_ERROR),
        (501, FailureReason.CLIENT_ERROR),
        (302, FailureReason.CLIENT_ERROR),
    ],
)
def test_reasons_are_bounded_categories(status: int, reason: FailureReason) -> None:
    error = classify_http_status(status)
    assert error is not None
    assert error.reason is reason


def test_410_says_the_endpoint_asks_to_be_disabled() -> None:
    assert "asks to be disabled" in str(classify_http_status(410))


def test_429_carries_retry_after_in_seconds() -> None:
    error = classify_http_status(429, "17")
    assert isinstance(error, RetryableDeliveryError)
    assert error.retry_after == 17.0


def test_429_carries_retry_after_as_http_date() -> None:
    error = classify_http_status(429, "Sat, 31 Jan 2026 09:31:30 GMT", now=NOW)
    assert isinstance(error, RetryableDeliveryError)
    assert error.retry_after == 90.0


def test_503_honours_retry_after_too() -> None:
    error = classify_http_status(503, "5")
    assert isinstance(error, RetryableDeliveryError)
    assert error.retry_after == 5.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("0", 0.0),
        ("120", 120.0),
        ("999999999", 86_400.0),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("Sat, 31 Jan 2026 09:29:00 GMT", 0.0),
        ("Sat, 31 Jan 2026 09:30:10 GMT", 10.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_detail_is_appended_to_the_message() -> None:
    assert str(classify_http_status(404, detail="channel_not_found")).endswith(
        ": channel_not_found"
    )


def test_negative_retry_after_is_clamped() -> None:
    assert RetryableDeliveryError("x", retry_after=-3).retry_after == 0.0
