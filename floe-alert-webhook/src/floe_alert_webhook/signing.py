"""Request signatures: Standard Webhooks (always) and GitHub's `X-Hub-Signature-256` (opt-in).

Standard Webhooks (https://www.standardwebhooks.com/) signs ``"{id}.{timestamp}.{body}"``
with HMAC-SHA256 under the base64-decoded part of a ``whsec_`` secret and sends::

    webhook-id: <event id, the same on every retry>
    webhook-timestamp: <unix seconds of this attempt>
    webhook-signature: v1,<base64 signature>

Both signatures cover the exact body bytes sent; the body is serialised from the event
only, so every retry of a notification carries the same bytes under a fresh timestamp.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = [
    "GITHUB_SIGNATURE_HEADER",
    "WHSEC_PREFIX",
    "decode_signing_secret",
    "github_signature",
    "signature_headers",
    "standard_webhook_signature",
]

WHSEC_PREFIX = "whsec_"
GITHUB_SIGNATURE_HEADER = "X-Hub-Signature-256"


def decode_signing_secret(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: base64-decode what follows `whsec_`.

    A secret without the prefix is decoded whole, as the reference libraries do.

    Raises:
        binascii.Error: The secret is not valid base64 (the message holds no secret).

    """
    encoded = secret.removeprefix(WHSEC_PREFIX)
    return base64.b64decode(encoded.encode("ascii", "replace"), validate=True)


def standard_webhook_signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value ``v1,<base64 HMAC-SHA256>`` of one request.

    Args:
        key: The decoded signing key (`decode_signing_secret`).
        message_id: The `webhook-id` header value.
        timestamp: The `webhook-timestamp` header value (unix seconds).
        body: The exact request body.

    """
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def github_signature(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value ``sha256=<hex HMAC-SHA256 of the body>``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_headers(
    *,
    key: bytes,
    message_id: str,
    timestamp: int,
    body: bytes,
    github_secret: str | None = None,
) -> dict[str, str]:
    """Every signature header for one attempt: Standard Webhooks, and GitHub's if keyed."""
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_webhook_signature(key, message_id, timestamp, body),
    }
    if github_secret is not None:
        headers[GITHUB_SIGNATURE_HEADER] = github_signature(github_secret, body)
    return headers
