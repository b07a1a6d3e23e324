"""Signatures against the published test vectors (CHANNEL-FACTS.md)."""

from __future__ import annotations

import base64
import binascii

import pytest

from floe_alert_webhook.signing import (
    decode_signing_secret,
    github_signature,
    signature_headers,
    standard_webhook_signature,
)

SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SW_TIMESTAMP = 1614265330
SW_BODY = b'{"test": 2432232314}'
SW_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

GH_SECRET = "It's a Secret to Everybody"
GH_BODY = b"Hello, World!"
GH_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_standard_webhooks_vector() -> None:
    key = decode_signing_secret(SW_SECRET)
    assert standard_webhook_signature(key, SW_ID, SW_TIMESTAMP, SW_BODY) == SW_SIGNATURE


def test_github_vector() -> None:
    assert github_signature(GH_SECRET, GH_BODY) == GH_SIGNATURE


def test_signing_key_is_the_base64_part_after_the_prefix() -> None:
    key = decode_signing_secret(SW_SECRET)
    assert key == base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert len(key) == 24
    # Without the prefix the whole string is the base64 key, as in the reference libraries.
    assert decode_signing_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == key


def test_invalid_base64_secret_is_an_error() -> None:
    with pytest.raises(binascii.Error):
        decode_signing_secret("whsec_not*base64!")


def test_signature_headers_with_and_without_github() -> None:
    key = decode_signing_secret(SW_SECRET)
    headers = signature_headers(key=key, message_id=SW_ID, timestamp=SW_TIMESTAMP, body=SW_BODY)
    assert headers == {
        "webhook-id": SW_ID,
        "webhook-timestamp": str(SW_TIMESTAMP),
        "webhook-signature": SW_SIGNATURE,
    }
    both = signature_headers(
        key=key, message_id=SW_ID, timestamp=SW_TIMESTAMP, body=GH_BODY, github_secret=GH_SECRET
    )
    assert both["X-Hub-Signature-256"] == GH_SIGNATURE


def test_signature_depends_on_every_part() -> None:
    key = decode_signing_secret(SW_SECRET)
    base = standard_webhook_signature(key, SW_ID, SW_TIMESTAMP, SW_BODY)
    assert standard_webhook_signature(key, SW_ID + "x", SW_TIMESTAMP, SW_BODY) != base
    assert standard_webhook_signature(key, SW_ID, SW_TIMESTAMP + 1, SW_BODY) != base
    assert standard_webhook_signature(key, SW_ID, SW_TIMESTAMP, SW_BODY + b" ") != base
