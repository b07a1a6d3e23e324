"""One rule for classifying an HTTP answer, shared by every HTTP channel.

Retryable: 408, 429 (honouring `Retry-After`), and 5xx except 501. Permanent: every other
non-2xx, with 401/403 reported as authentication failures and 410 as the endpoint asking
to be disabled. Redirects are not followed by channels, so a 3xx is a misconfiguration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from floe_monitoring.errors import (
    DeliveryError,
    FailureReason,
    PermanentDeliveryError,
    RetryableDeliveryError,
)

__all__ = ["classify_http_status", "parse_retry_after"]

# The longest wait we accept from a server: beyond it we would rather retry on our own
# schedule (the dispatcher's deadline still bounds the whole notification).
MAX_RETRY_AFTER_SECONDS = 86_400.0


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Read a `Retry-After` header: delay-seconds or an HTTP-date.

    Args:
        value: The header value, or None when absent.
        now: The current time, for HTTP-dates (defaults to the real clock).

    Returns:
        Seconds to wait (0 for a date in the past, capped at one day), or None when the
        header is absent or unreadable.

    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER_SECONDS)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delay = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(delay, 0.0), MAX_RETRY_AFTER_SECONDS)


def classify_http_status(
    status: int,
    retry_after: str | None = None,
    *,
    detail: str | None = None,
    now: datetime | None = None,
) -> DeliveryError | None:
    """Turn an HTTP status into the delivery error to raise, or None on success (2xx).

    Args:
        status: The response status code.
        retry_after: The `Retry-After` header value, if any.
        detail: A short, secret-free description from the response (an error code).
        now: The current time, for HTTP-date `Retry-After` values.

    Returns:
        None for 2xx; otherwise a `RetryableDeliveryError` or `PermanentDeliveryError`
        carrying `status_code`, `reason` and (when retryable) `retry_after`.

    """
    if 200 <= status < 300:
        return None
    suffix = f": {detail}" if detail else ""
    if status == 429:
        return RetryableDeliveryError(
            f"HTTP 429 rate limited{suffix}",
            retry_after=parse_retry_after(retry_after, now=now),
            reason=FailureReason.RATE_LIMITED,
            status_code=status,
        )
    if status == 408:
        return RetryableDeliveryError(
            f"HTTP 408 request timeout{suffix}",
            retry_after=parse_retry_after(retry_after, now=now),
            reason=FailureReason.TIMEOUT,
            status_code=status,
        )
    if 500 <= status < 600 and status != 501:
        return RetryableDeliveryError(
            f"HTTP {status} server error{suffix}",
            retry_after=parse_retry_after(retry_after, now=now),
            reason=FailureReason.SERVER_ERROR,
            status_code=status,
        )
    if status in (401, 403):
        return PermanentDeliveryError(
            f"HTTP {status} authentication or authorisation failed{suffix}",
            reason=FailureReason.AUTH,
            status_code=status,
        )
    if status == 410:
        return PermanentDeliveryError(
            f"HTTP 410 gone: the endpoint asks to be disabled{suffix}",
            reason=FailureReason.GONE,
            status_code=status,
        )
    if 300 <= status < 400:
        return PermanentDeliveryError(
            f"HTTP {status} redirect not followed: point the channel at the final URL{suffix}",
            reason=FailureReason.CLIENT_ERROR,
            status_code=status,
        )
    return PermanentDeliveryError(
        f"HTTP {status} rejected{suffix}",
        reason=FailureReason.CLIENT_ERROR,
        status_code=status,
    )
