"""`WebhookConfig` validation: secure defaults, refusals, and secrets that never show."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from pydantic import ValidationError

from floe_alert_webhook import BasicAuth, BearerAuth, WebhookConfig, WebhookMode
from floe_alert_webhook.targets import TargetURL

WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
URL = "https://hooks.example.com/floe/T0K3N-PATH?token=Q-S3CR3T"


def build(**fields: Any) -> WebhookConfig:
    return WebhookConfig.model_validate({"url": URL, "secret": WHSEC, **fields})


def error_text(**fields: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        build(**fields)
    return str(caught.value)


def test_defaults_are_secure() -> None:
    config = build()
    assert config.mode is WebhookMode.STRUCTURED
    assert config.allow_insecure_http is False
    assert config.allow_link_local_targets is False
    assert config.batch is False
    assert config.ca_bundle is None
    assert config.timeout_seconds == 10.0
    assert config.target.origin == "https://hooks.example.com:443"
    assert config.target.path_and_query == "/floe/T0K3N-PATH?token=Q-S3CR3T"


def test_modes() -> None:
    assert [build(mode=m).mode.value for m in ("structured", "binary", "json")] == [
        "structured",
        "binary",
        "json",
    ]
    assert "mode" in error_text(mode="xml")


def test_plain_http_is_refused_unless_allowed() -> None:
    text = error_text(url="http://hooks.example.com/x")
    assert "allow_insecure_http" in text
    assert build(url="http://127.0.0.1:8080/x", allow_insecure_http=True).target.scheme == "http"


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://169.254.10.20/hook",
        "https://[fe80::1]/hook",
        "https://[fd00:ec2::254]/hook",
        "https://[::ffff:169.254.169.254]/hook",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://METADATA.GOOGLE.INTERNAL./x",
        "https://100.100.100.200/latest/meta-data/",
        "https://2852039166/latest/meta-data/",
    ],
)
def test_link_local_and_metadata_targets_are_refused(url: str) -> None:
    text = error_text(url=url)
    assert "allow_link_local_targets" in text
    assert "meta-data" not in text
    assert "computeMetadata" not in text


def test_link_local_targets_allowed_with_the_flag() -> None:
    config = build(url="https://169.254.169.254/x", allow_link_local_targets=True)
    assert config.target.host == "169.254.169.254"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://hooks.example.com/x", "https://"),
        ("https:///no-host", "no host"),
        ("https://user:pw@hooks.example.com/x", "user info"),
        ("https://hooks.example.com:99999/x", "not a valid URL"),
        ("https://hooks.example.com/a b", "spaces"),
        ("https://hooks.example.com/a\r\nX: y", "control"),
        ("", "absolute"),
    ],
)
def test_unusable_urls_are_refused_without_echoing_them(url: str, expected: str) -> None:
    text = error_text(url=url)
    assert expected in text
    if url:
        assert url not in text
    assert "pw@" not in text


def test_signing_secret_is_required_and_validated() -> None:
    with pytest.raises(ValidationError):
        WebhookConfig.model_validate({"url": URL})
    assert "whsec_" in error_text(secret="MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert "base64" in error_text(secret="whsec_***not-base64***")
    short = "whsec_" + base64.b64encode(b"x" * 16).decode()
    long = "whsec_" + base64.b64encode(b"x" * 65).decode()
    assert "24 to 64" in error_text(secret=short)
    assert "24 to 64" in error_text(secret=long)
    for size in (24, 32, 64):
        secret = "whsec_" + base64.b64encode(bytes(range(size))).decode()
        assert len(build(secret=secret).signing_key()) == size


def test_custom_headers_with_secret_values() -> None:
    config = build(headers={"X-Api-Key": "k3y-value", "X-Team": "data"})
    assert config.headers["X-Api-Key"].get_secret_value() == "k3y-value"
    assert "k3y-value" not in repr(config)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Evil": "a\r\nX-Injected: 1"}, "control characters"),
        ({"X-Evil": "a\nb"}, "control characters"),
        ({"Bad Name": "v"}, "not a valid HTTP token"),
        ({"Content-Type": "text/plain"}, "set by the channel"),
        ({"webhook-signature": "v1,forged"}, "set by the channel"),
        ({"X-Hub-Signature-256": "sha256=0"}, "set by the channel"),
        ({"ce-type": "other"}, "set by the channel"),
        ({"traceparent": "00-x"}, "set by the channel"),
        ({"X-A": "1", "x-a": "2"}, "twice"),
    ],
)
def test_bad_headers_are_refused(headers: dict[str, str], expected: str) -> None:
    text = error_text(headers=headers)
    assert expected in text
    assert "X-Injected" not in text


def test_auth_bearer_and_basic() -> None:
    bearer = build(auth={"type": "bearer", "token": "t0k3n"})
    assert isinstance(bearer.auth, BearerAuth)
    assert bearer.basic_credentials() is None
    basic = build(auth={"type": "basic", "username": "floe", "password": "pa55"})
    assert isinstance(basic.auth, BasicAuth)
    assert basic.basic_credentials() == base64.b64encode(b"floe:pa55").decode()


@pytest.mark.parametrize(
    "auth",
    [
        {"type": "bearer", "token": "a\r\nb"},
        {"type": "basic", "username": "a:b", "password": "p"},
        {"type": "basic", "username": "a\nb", "password": "p"},
        {"type": "basic", "username": "a", "password": "p\r\n"},
        {"type": "digest", "token": "x"},
    ],
)
def test_bad_auth_is_refused(auth: dict[str, str]) -> None:
    assert "auth" in error_text(auth=auth)


def test_authorization_given_twice_is_refused() -> None:
    text = error_text(auth={"type": "bearer", "token": "t"}, headers={"Authorization": "Token x"})
    assert "either" in text
    # Without `auth`, a custom Authorization scheme is allowed.
    assert "Authorization" in build(headers={"Authorization": "Token x"}).headers


def test_timeout_bounds() -> None:
    assert build(timeout_seconds=0.5).timeout_seconds == 0.5
    assert "timeout_seconds" in error_text(timeout_seconds=0)
    assert "timeout_seconds" in error_text(timeout_seconds=301)


def test_ca_bundle_only_for_https() -> None:
    assert "https" in error_text(
        url="http://127.0.0.1/x", allow_insecure_http=True, ca_bundle="/etc/floe/ca.pem"
    )
    assert str(build(ca_bundle="/etc/floe/ca.pem").ca_bundle) == "/etc/floe/ca.pem"


def test_extra_keys_are_forbidden_and_config_is_frozen() -> None:
    assert "extra" in error_text(retries=3).lower()
    config = build()
    with pytest.raises(ValidationError):
        config.mode = WebhookMode.JSON


def test_secrets_never_show_in_repr_str_or_json() -> None:
    config = build(
        github_secret="gh-S3CR3T",
        headers={"X-Api-Key": "hdr-S3CR3T"},
        auth={"type": "basic", "username": "floe", "password": "pw-S3CR3T"},
    )
    dumped = config.model_dump_json()
    for text in (repr(config), str(config), dumped, json.dumps(config.model_dump(mode="json"))):
        for secret in ("T0K3N-PATH", "Q-S3CR3T", "gh-S3CR3T", "hdr-S3CR3T", "pw-S3CR3T", WHSEC):
            assert secret not in text
    assert json.loads(dumped)["url"] == "**********"


def test_validation_errors_never_echo_secret_input() -> None:
    text = error_text(url="http://hooks.example.com/T0K3N-PATH?token=Q-S3CR3T", secret="nope")
    assert "T0K3N-PATH" not in text
    assert "Q-S3CR3T" not in text
    assert "nope" not in text


def test_target_url_parts() -> None:
    target = TargetURL.parse(
        "https://[2001:db8::1]:8443/p?q=1", allow_insecure_http=False, allow_link_local=False
    )
    assert target.origin == "https://[2001:db8::1]:8443"
    assert target.url == "https://[2001:db8::1]:8443/p?q=1"
    bare = TargetURL.parse("http://example.com", allow_insecure_http=True, allow_link_local=False)
    assert (bare.port, bare.path_and_query, bare.is_https) == (80, "/", False)
