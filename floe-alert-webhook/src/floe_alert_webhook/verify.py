"""Receiver-side checks: is this request really from our monitor, and fresh?

For the service that receives floe's webhooks. Verify before parsing::

    from floe_alert_webhook import read_webhook_events, verify_standard_webhook

    def handle(headers: dict[str, str], body: bytes) -> None:
        verify_standard_webhook(headers, body, os.environ["FLOE_WEBHOOK_SECRET"])
        for event in read_webhook_events(headers, body):
            ...

Use the raw body bytes exactly as received: re-serialised JSON does not verify.
A timestamp more than `tolerance` seconds (5 minutes) from the receiver's clock is
refused, so a captured request cannot be replayed later; to drop replays inside that
window and retried duplicates, remember the `webhook-id` values seen in the last
10 minutes.
"""

from __future__ import annotations

import binascii
import hmac
import time
from collections.abc import Mapping

from floe_alert_webhook.signing import (
    GITHUB_SIGNATURE_HEADER,
    decode_signing_secret,
    github_signature,
    standard_webhook_signature,
)

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "WebhookVerificationError",
    "verify_github_signature",
    "verify_standard_webhook",
]

#: The Standard Webhooks recommendation: accept timestamps within ±5 minutes.
DEFAULT_TOLERANCE_SECONDS = 300


class WebhookVerificationError(ValueError):
    """The request is not signed with the shared secret, or is too old or too new."""


def verify_standard_webhook(
    headers: Mapping[str, str],
    body: bytes | str,
    secret: str,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> None:
    """Check a request's Standard Webhooks signature and timestamp.

    Args:
        headers: The request headers (any case).
        body: The raw request body.
        secret: The shared ``whsec_`` secret.
        tolerance: Largest accepted difference between `webhook-timestamp` and now,
            in seconds, either way.
        now: The current unix time (defaults to the clock; for tests).

    Raises:
        WebhookVerificationError: A header is missing or malformed, the timestamp is
            outside the tolerance (a replay or a skewed clock), or no signature matches.

    """
    lowered = _lower(headers)
    message_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not message_id or not stamp or not signatures:
        raise WebhookVerificationError(
            "missing webhook-id, webhook-timestamp or webhook-signature header"
        )
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not unix seconds") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is {current - timestamp:+.0f}s off the receiver's clock "
            f"(tolerance ±{tolerance:g}s): refused as a possible replay"
        )
    try:
        key = decode_signing_secret(secret)
    except (ValueError, binascii.Error):
        raise WebhookVerificationError("the verification secret is not valid base64") from None
    raw = body.encode("utf-8") if isinstance(body, str) else body
    expected = standard_webhook_signature(key, message_id, timestamp, raw)
    # Several space-separated signatures may be present (during key rotation).
    for candidate in signatures.split():
        if hmac.compare_digest(candidate.encode("ascii", "replace"), expected.encode("ascii")):
            return
    raise WebhookVerificationError("no webhook-signature matches the body")


def verify_github_signature(headers: Mapping[str, str], body: bytes | str, secret: str) -> None:
    """Check the ``X-Hub-Signature-256`` header (``sha256=<hex HMAC of the body>``).

    This signature has no timestamp, so it proves the sender but not freshness; prefer
    `verify_standard_webhook`.

    Raises:
        WebhookVerificationError: The header is missing or does not match.

    """
    given = _lower(headers).get(GITHUB_SIGNATURE_HEADER.lower())
    if not given:
        raise WebhookVerificationError(f"missing {GITHUB_SIGNATURE_HEADER} header")
    raw = body.encode("utf-8") if isinstance(body, str) else body
    expected = github_signature(secret, raw)
    if not hmac.compare_digest(given.encode("ascii", "replace"), expected.encode("ascii")):
        raise WebhookVerificationError(f"{GITHUB_SIGNATURE_HEADER} does not match the body")


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
