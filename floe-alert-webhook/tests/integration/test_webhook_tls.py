"""HTTPS: verification on by default, a CA bundle to trust a private CA, plain HTTP opt-in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from floe_alert_webhook import WebhookChannel, WebhookConfig, read_webhook_events
from floe_monitoring import (
    ChannelConfigError,
    FailureReason,
    HealthState,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from floe_testing_kit import FakeHTTPServer
from floe_testing_kit.events import make_event

ChannelFactory = Callable[..., WebhookChannel]


async def test_https_with_the_test_ca(
    tls_server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    assert tls_server.url.startswith("https://")
    event = make_event()
    async with channel_for(tls_server.url + "/hook", ca_bundle=tls_server.ca_bundle) as channel:
        receipt = await channel.send_alert(event)
        health = await channel.health_check()
    assert receipt.status_code == 200
    (request,) = tls_server.requests
    assert read_webhook_events(request.headers, request.body) == [event]
    assert health.state is HealthState.HEALTHY
    assert "TLS" in health.message


async def test_unknown_ca_is_refused(
    tls_server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    async with channel_for(tls_server.url + "/hook?token=S3CR3T") as channel:
        with pytest.raises(PermanentDeliveryError) as caught:
            await channel.send_alert(make_event())
        health = await channel.health_check()
    error = caught.value
    assert error.reason is FailureReason.CONNECTION
    assert "certificate" in str(error)
    assert "ca_bundle" in str(error)
    assert "S3CR3T" not in str(error)
    assert tls_server.requests == []  # nothing was sent to the unverified peer
    assert health.state is HealthState.UNHEALTHY
    assert "certificate" in health.message


async def test_a_different_ca_is_refused(
    tls_server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    async with (
        FakeHTTPServer(tls=True) as other,
        channel_for(tls_server.url, ca_bundle=other.ca_bundle) as channel,
    ):
        with pytest.raises(PermanentDeliveryError, match="certificate"):
            await channel.send_alert(make_event())
    assert tls_server.requests == []


async def test_https_url_against_a_plain_server_is_retryable(
    server: FakeHTTPServer, channel_for: ChannelFactory
) -> None:
    # The plain server waits for a request line that a TLS ClientHello never completes.
    url = f"https://127.0.0.1:{server.port}/hook"
    async with channel_for(url, timeout_seconds=0.5) as channel:
        with pytest.raises(RetryableDeliveryError) as caught:
            await channel.send_alert(make_event())
    assert caught.value.reason in (FailureReason.TIMEOUT, FailureReason.CONNECTION)


def test_plain_http_needs_the_flag(whsec: str) -> None:
    fields = {"url": "http://127.0.0.1:9/hook", "secret": whsec}
    with pytest.raises(ValidationError, match="allow_insecure_http"):
        WebhookConfig.model_validate(fields)
    allowed = WebhookConfig.model_validate({**fields, "allow_insecure_http": True})
    assert allowed.target.scheme == "http"


async def test_unreadable_ca_bundle_is_a_config_error(
    tls_server: FakeHTTPServer, channel_for: ChannelFactory, tmp_path: Path
) -> None:
    bogus = tmp_path / "not-a-ca.pem"
    bogus.write_text("not a certificate")
    for path in (bogus, tmp_path / "missing.pem"):
        channel = channel_for(tls_server.url, ca_bundle=path)
        with pytest.raises(ChannelConfigError, match="ca_bundle"):
            await channel.startup()
        assert not channel.started
        health = await channel.health_check()
        assert health.state is HealthState.UNHEALTHY
        assert "ca_bundle" in health.message
        # A send without startup reports it as a delivery error the core understands.
        with pytest.raises(PermanentDeliveryError, match="ca_bundle"):
            await channel.send_alert(make_event())
        assert not channel.started
