import logging
from collections.abc import Callable

import aiohttp
import pytest
from slack_sdk.webhook.async_client import AsyncWebhookClient

from floe_alert_slack import SlackChannel, SlackConfig
from floe_alert_slack.conformance import FakeSlack, api_error, webhook_error
from floe_monitoring import (
    ChannelConfigError,
    ContractViolationEvent,
    DeliveryError,
    build_channel,
)
from floe_testing_kit import FakeHTTPServer, ScriptedResponse, unused_tcp_url

EventFactory = Callable[..., ContractViolationEvent]


def _scripts() -> list[ScriptedResponse]:
    return [
        webhook_error("invalid_token", 403),
        webhook_error("rate_limited", 429, retry_after=2),
        ScriptedResponse(503, body=b"down"),
        ScriptedResponse(reset=True),
        ScriptedResponse(hang=True),
        api_error("invalid_auth"),
        api_error("invalid_blocks", errors=["bad [json-pointer:/blocks/0]"]),
    ]


async def test_planted_secrets_never_leave_the_wire(
    server: FakeHTTPServer,
    fake: FakeSlack,
    webhook_config: Callable[..., SlackConfig],
    api_config: Callable[..., SlackConfig],
    webhook_secret: str,
    bot_token: str,
    make_event: EventFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # slack-sdk logs URLs and bodies at DEBUG
    seen: list[str] = []
    configs = [webhook_config(timeout_seconds=0.3), api_config(timeout_seconds=0.3)]
    for config in configs:
        channel = SlackChannel(config)
        seen += [repr(channel), repr(config), str(config), config.model_dump_json()]
        async with channel:
            await channel.send_alert(make_event())
            await channel.send_alert(make_event(status="resolved"))
            for script in _scripts():
                server.script(script)
                with pytest.raises(DeliveryError) as caught:
                    await channel.send_alert(make_event())
                seen += [str(caught.value), repr(caught.value), repr(caught.value.args)]
            seen.append((await channel.health_check(timeout=1.0)).model_dump_json())
    down = SlackChannel(
        SlackConfig.model_validate(
            {"webhook_url": f"{unused_tcp_url()}/services/T/B/{webhook_secret}"}
        )
    )
    with pytest.raises(DeliveryError) as caught:
        await down.send_alert(make_event())
    seen.append(str(caught.value))
    seen.append((await down.health_check()).message)

    # The secrets did reach the fake (so the scan is meaningful) ...
    assert any(webhook_secret in r.target for r in server.requests)
    assert any(bot_token in r.headers.get("authorization", "") for r in server.requests)
    # ... and nowhere else.
    assert "delivered event" in caplog.text  # logging was on: the scan is meaningful
    for text in [*seen, caplog.text]:
        assert webhook_secret not in text
        assert bot_token not in text


def test_config_errors_never_echo_the_secret(webhook_secret: str) -> None:
    # A plain-http webhook URL is refused; the refusal must not repeat the URL.
    url = f"http://hooks.slack.example/services/T/B/{webhook_secret}"
    with pytest.raises(ChannelConfigError) as caught:
        build_channel("slack", {"webhook_url": url}, instance_name="alerts")
    assert caught.value.field == "webhook_url"
    assert webhook_secret not in str(caught.value)
    with pytest.raises(ValueError, match="webhook_url") as direct:
        SlackConfig.model_validate({"webhook_url": url})
    assert webhook_secret not in str(direct.value)


def test_build_channel_reads_the_token_from_the_environment(bot_token: str) -> None:
    channel = build_channel(
        "slack",
        {"mode": "web_api", "token": "${SLACK_BOT_TOKEN}", "channel": "C0FAKE"},
        env={"SLACK_BOT_TOKEN": bot_token},
    )
    assert isinstance(channel, SlackChannel)
    assert channel.config.token is not None
    assert channel.config.token.get_secret_value() == bot_token
    assert bot_token not in repr(channel)
    assert channel.redact(f"Bearer {bot_token}") == "Bearer **********"


async def test_slack_sdk_alone_would_log_the_webhook_url(
    server: FakeHTTPServer, webhook_secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Why the channel hands slack-sdk a private logger: with its module logger left at
    # the default level, the client logs the full URL (the credential) at DEBUG.
    caplog.set_level(logging.DEBUG)
    async with aiohttp.ClientSession() as session:
        client = AsyncWebhookClient(
            url=f"{server.url}/services/T/B/{webhook_secret}", session=session, retry_handlers=[]
        )
        await client.send(text="hi")
    assert webhook_secret in caplog.text
