"""`WebhookProfile` drives the channel against the kit's fake server, as the kit will."""

from __future__ import annotations

import dataclasses

import pytest

from floe_alert_webhook import WebhookChannel, WebhookConfig
from floe_alert_webhook.conformance import WebhookProfile, signing_secret_for
from floe_monitoring import ChannelCapability, build_channel
from floe_testing_kit import Endpoint, FakeHTTPServer, RecordedRequest, TextFormat
from floe_testing_kit.events import HOSTILE_MESSAGE, hostile_event, make_event

PLANTED = "kit-planted-7f3a9c"


def endpoint_of(server: FakeHTTPServer) -> Endpoint:
    return Endpoint(url=server.url, port=server.port, ca_bundle=server.ca_bundle)


def test_profile_metadata() -> None:
    profile = WebhookProfile()
    assert profile.channel == WebhookChannel.name
    assert profile.text_format is TextFormat.JSON
    assert profile.variants == ("structured", "binary", "json")
    assert profile.timeout_field in WebhookConfig.model_fields
    assert not WebhookChannel.supports(ChannelCapability.THREADING)


def test_signing_secret_is_valid_and_deterministic() -> None:
    derived = signing_secret_for(PLANTED)
    assert derived == signing_secret_for(PLANTED) != signing_secret_for(PLANTED + "x")
    config = WebhookConfig.model_validate({"url": "https://h.example/x", "secret": derived})
    assert len(config.signing_key()) == 32


@pytest.mark.parametrize("variant", WebhookProfile.variants)
async def test_profile_end_to_end(server: FakeHTTPServer, variant: str) -> None:
    profile = WebhookProfile()
    config = profile.config(endpoint_of(server), secret=PLANTED, variant=variant)
    assert config["allow_insecure_http"] is True
    assert PLANTED in str(config["headers"])
    assert config["auth"]["token"] == PLANTED
    event = make_event()
    channel = build_channel("webhook", config)
    async with channel:
        server.handler = lambda request: profile.success_response(request, variant=variant)
        receipt = await channel.send_alert(event)
    assert receipt.status_code == 202
    (request,) = server.requests
    assert profile.is_delivery(request, variant=variant)
    assert profile.idempotency_key(request, variant=variant) == str(event.event_id)
    assert profile.verify_signature(request, secret=PLANTED, variant=variant)
    tampered = dataclasses.replace(request, body=request.body.replace(b"orders", b"0rders", 1))
    assert not profile.verify_signature(tampered, secret=PLANTED, variant=variant)
    assert not profile.verify_signature(request, secret=PLANTED + "x", variant=variant)
    assert event.message in profile.rendered_text(request, variant=variant)


@pytest.mark.parametrize("variant", WebhookProfile.variants)
async def test_hostile_text_round_trips_exactly(server: FakeHTTPServer, variant: str) -> None:
    profile = WebhookProfile()
    channel = build_channel(
        "webhook", profile.config(endpoint_of(server), secret=PLANTED, variant=variant)
    )
    async with channel:
        await channel.send_alert(hostile_event())
    text = profile.rendered_text(server.requests[0], variant=variant)
    assert HOSTILE_MESSAGE in text
    assert "orders<!channel>\r\nBcc: attacker@evil.example" in text


async def test_profile_with_tls(tls_server: FakeHTTPServer) -> None:
    profile = WebhookProfile()
    config = profile.config(endpoint_of(tls_server), secret=PLANTED, variant="structured")
    assert "allow_insecure_http" not in config
    assert config["ca_bundle"] == tls_server.ca_bundle
    async with build_channel("webhook", config) as channel:
        await channel.send_alert(make_event())
    assert profile.verify_signature(tls_server.requests[0], secret=PLANTED, variant="structured")


def test_rendered_text_of_a_foreign_body_is_the_raw_text() -> None:
    request = RecordedRequest("POST", "/", {"content-type": "text/plain"}, b"hello", 0.0)
    assert WebhookProfile().rendered_text(request, variant="json") == "hello"
