"""Packaging: the public API, entry points, capabilities and construction through the core."""

from __future__ import annotations

import base64
from importlib.metadata import entry_points
from typing import Any

import pytest

import floe_alert_webhook
from floe_alert_webhook import (
    BatchingWebhookChannel,
    WebhookChannel,
    WebhookConfig,
    __version__,
)
from floe_alert_webhook.conformance import WebhookProfile
from floe_monitoring import (
    AlertChannelPlugin,
    ChannelCapability,
    ChannelConfigError,
    ChannelRegistry,
    build_channel,
)
from floe_monitoring.sdk import plugin_class_problems

WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def config(**fields: Any) -> WebhookConfig:
    return WebhookConfig.model_validate({"secret": WHSEC, **fields})


def test_package_exposes_channel() -> None:
    assert WebhookChannel.name == "webhook"
    assert __version__ == WebhookChannel.version


def test_public_api_is_exactly_all() -> None:
    assert sorted(floe_alert_webhook.__all__) == [
        "BasicAuth",
        "BatchingWebhookChannel",
        "BearerAuth",
        "WebhookChannel",
        "WebhookConfig",
        "WebhookMode",
        "WebhookVerificationError",
        "__version__",
        "read_webhook_events",
        "verify_github_signature",
        "verify_standard_webhook",
    ]
    for name in floe_alert_webhook.__all__:
        assert hasattr(floe_alert_webhook, name), name


def test_entry_points_load() -> None:
    (channel,) = [ep for ep in entry_points(group="floe.alert_channels") if ep.name == "webhook"]
    assert channel.load() is WebhookChannel
    (profile,) = [ep for ep in entry_points(group="floe.conformance") if ep.name == "webhook"]
    assert profile.load() is WebhookProfile


def test_classes_are_valid_plugins() -> None:
    assert plugin_class_problems(WebhookChannel) == []
    assert plugin_class_problems(BatchingWebhookChannel) == []
    assert issubclass(BatchingWebhookChannel, AlertChannelPlugin)
    assert ChannelRegistry().get("webhook") is WebhookChannel


def test_capabilities_per_class() -> None:
    assert WebhookChannel.capabilities == {ChannelCapability.RESOLVE, ChannelCapability.SIGNING}
    assert not WebhookChannel.supports(ChannelCapability.BATCH)
    assert BatchingWebhookChannel.supports(ChannelCapability.BATCH)
    assert BatchingWebhookChannel.capabilities > WebhookChannel.capabilities


def test_batch_config_yields_a_batching_instance() -> None:
    plain = WebhookChannel(config(url="https://h.example/x"))
    batching = WebhookChannel(config(url="https://h.example/x", batch=True))
    assert type(plain) is WebhookChannel
    assert type(batching) is BatchingWebhookChannel
    assert isinstance(batching, WebhookChannel)
    assert not plain.supports(ChannelCapability.BATCH)
    assert batching.supports(ChannelCapability.BATCH)
    assert batching.name == "webhook"


def test_wrong_config_type_is_refused() -> None:
    with pytest.raises(TypeError, match="WebhookConfig"):
        WebhookChannel(object())  # type: ignore[arg-type]


def test_build_channel_through_the_core() -> None:
    channel = build_channel(
        "webhook",
        {"type": "webhook", "url": "https://h.example/x", "secret": WHSEC, "batch": True},
        instance_name="ops-hook",
    )
    assert isinstance(channel, BatchingWebhookChannel)
    assert channel.instance_name == "ops-hook"


def test_build_channel_errors_name_the_field_not_the_value() -> None:
    with pytest.raises(ChannelConfigError) as caught:
        build_channel(
            "webhook",
            {"url": "http://h.example/T0K3N?key=S3CR3T", "secret": WHSEC},
            instance_name="ops-hook",
        )
    text = str(caught.value)
    assert "ops-hook" in text
    assert "allow_insecure_http" in text
    assert "T0K3N" not in text
    assert "S3CR3T" not in text


def test_secret_file_and_env_sources(tmp_path: pytest.TempPathFactory) -> None:
    secret_file = tmp_path / "whsec"  # type: ignore[operator]
    secret_file.write_text(WHSEC + "\n")
    channel = build_channel(
        "webhook",
        {"url": "${HOOK_URL}", "secret_file": str(secret_file)},
        env={"HOOK_URL": "https://h.example/T0K3N"},
    )
    assert isinstance(channel, WebhookChannel)
    assert channel.config.secret.get_secret_value() == WHSEC
    assert channel.config.url.get_secret_value() == "https://h.example/T0K3N"


def test_repr_holds_no_secret() -> None:
    channel = WebhookChannel(
        config(
            url="https://h.example/T0K3N?key=S3CR3T",
            auth={"type": "bearer", "token": "B34R3R"},
        )
    )
    for text in (repr(channel), str(channel)):
        assert "T0K3N" not in text
        assert "S3CR3T" not in text
        assert "B34R3R" not in text


def test_redact_covers_derived_forms() -> None:
    channel = WebhookChannel(
        config(
            url="https://h.example/hooks/T0K3N?key=S3CR3T",
            auth={"type": "basic", "username": "floe", "password": "pa55word"},
        )
    )
    basic = base64.b64encode(b"floe:pa55word").decode()
    text = (
        f"echo: MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw Basic {basic} "
        "/hooks/T0K3N?key=S3CR3T key=S3CR3T pa55word"
    )
    redacted = channel.redact(text)
    for secret in ("MfKQ9r8G", basic, "T0K3N", "S3CR3T", "pa55word"):
        assert secret not in redacted
    assert redacted.startswith("echo: **********")
