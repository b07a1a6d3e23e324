"""The receiver-side helpers: accept the genuine, refuse the forged and the stale."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from floe_alert_webhook import (
    WebhookVerificationError,
    verify_github_signature,
    verify_standard_webhook,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
HEADERS = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": str(TIMESTAMP),
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}


def accepted(headers: Mapping[str, str], body: bytes | str, secret: str, **kw: Any) -> bool:
    try:
        verify_standard_webhook(headers, body, secret, **kw)
    except WebhookVerificationError:
        return False
    return True


def test_accepts_the_test_vector() -> None:
    assert accepted(HEADERS, BODY, SECRET, now=TIMESTAMP)
    # Header names are case-insensitive and a str body is the same bytes.
    upper = {k.title(): v for k, v in HEADERS.items()}
    assert accepted(upper, BODY.decode(), SECRET, now=TIMESTAMP + 299)


def test_rejects_a_tampered_body() -> None:
    with pytest.raises(WebhookVerificationError, match="no webhook-signature matches"):
        verify_standard_webhook(HEADERS, b'{"test": 2432232315}', SECRET, now=TIMESTAMP)


def test_rejects_a_tampered_id() -> None:
    forged = {**HEADERS, "webhook-id": "msg_other"}
    with pytest.raises(WebhookVerificationError):
        verify_standard_webhook(forged, BODY, SECRET, now=TIMESTAMP)


def test_rejects_the_wrong_secret() -> None:
    with pytest.raises(WebhookVerificationError):
        verify_standard_webhook(HEADERS, BODY, "whsec_" + "A" * 32, now=TIMESTAMP)


@pytest.mark.parametrize("offset", [301, -301, 3600, -86_400])
def test_rejects_timestamps_outside_five_minutes(offset: int) -> None:
    with pytest.raises(WebhookVerificationError, match="replay"):
        verify_standard_webhook(HEADERS, BODY, SECRET, now=TIMESTAMP + offset)


def test_tolerance_is_configurable() -> None:
    assert accepted(HEADERS, BODY, SECRET, tolerance=3600, now=TIMESTAMP + 3000)
    with pytest.raises(WebhookVerificationError):
        verify_standard_webhook(HEADERS, BODY, SECRET, tolerance=10, now=TIMESTAMP + 11)


def test_stale_check_uses_the_real_clock_by_default() -> None:
    # The vector is from 2021: far outside the window today.
    with pytest.raises(WebhookVerificationError, match="replay"):
        verify_standard_webhook(HEADERS, BODY, SECRET)


def test_accepts_any_of_several_signatures() -> None:
    rotated = {**HEADERS, "webhook-signature": "v1,bm90LXRoaXM= " + HEADERS["webhook-signature"]}
    assert accepted(rotated, BODY, SECRET, now=TIMESTAMP)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_rejects_missing_headers(missing: str) -> None:
    headers = {k: v for k, v in HEADERS.items() if k != missing}
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify_standard_webhook(headers, BODY, SECRET, now=TIMESTAMP)


def test_rejects_a_malformed_timestamp_and_secret() -> None:
    with pytest.raises(WebhookVerificationError, match="unix seconds"):
        verify_standard_webhook({**HEADERS, "webhook-timestamp": "yesterday"}, BODY, SECRET)
    with pytest.raises(WebhookVerificationError, match="base64") as caught:
        verify_standard_webhook(HEADERS, BODY, "whsec_!!!", now=TIMESTAMP)
    assert "!!!" not in str(caught.value)


def test_github_signature_helper() -> None:
    secret = "It's a Secret to Everybody"
    good = {
        "X-Hub-Signature-256": (
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        )
    }
    verify_github_signature(good, b"Hello, World!", secret)  # raises if it does not match
    verify_github_signature({k.lower(): v for k, v in good.items()}, "Hello, World!", secret)
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_github_signature(good, b"Hello, World?", secret)
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify_github_signature({}, b"Hello, World!", secret)
