"""A planted secret never shows: logs at DEBUG, errors, tracebacks, repr, config JSON, health."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from floe_alert_webhook import WebhookChannel
from floe_alert_webhook.conformance import signing_secret_for
from floe_monitoring import DeliveryError
from floe_testing_kit import FakeHTTPServer, ScriptedResponse, unused_tcp_url
from floe_testing_kit.events import make_event

PLANTED = "pl4nted-S3CR3T-d0d0"
ChannelFactory = Callable[..., WebhookChannel]


def everywhere() -> dict[str, Any]:
    """Config fields with the planted secret in every secret-bearing place."""
    return {
        "secret": signing_secret_for(PLANTED),
        "github_secret": PLANTED,
        "headers": {"X-Api-Key": PLANTED},
        "auth": {"type": "bearer", "token": PLANTED},
        "timeout_seconds": 0.5,
    }


def leaks(text: str, channel: WebhookChannel) -> list[str]:
    """Every secret value (planted or derived) found in `text`."""
    return [s for s in {PLANTED, *channel.secret_values()} if s in text]


async def test_planted_secret_absent_everywhere(
    server: FakeHTTPServer, channel_for: ChannelFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"{server.url}/hooks/{PLANTED}?token={PLANTED}"
    channel = channel_for(url, **everywhere())
    # Every kind of outcome: success, echoed secret in an error body, 429, hang, reset.
    server.script(
        ScriptedResponse(202),
        ScriptedResponse.json(401, f'{{"error": "bad token {PLANTED}"}}'),
        ScriptedResponse(429, headers={"Retry-After": "1"}),
        ScriptedResponse(hang=True),
        ScriptedResponse(reset=True),
        ScriptedResponse(302, headers={"Location": f"{server.url}/{PLANTED}"}),
    )
    errors: list[BaseException] = []
    async with channel:
        await channel.send_alert(make_event())
        for _ in range(5):
            with pytest.raises(DeliveryError) as caught:
                await channel.send_alert(make_event())
            errors.append(caught.value)
        health = await channel.health_check()
    async with channel_for(unused_tcp_url() + f"/{PLANTED}", **everywhere()) as down:
        with pytest.raises(DeliveryError) as caught:
            await down.send_alert(make_event())
        errors.append(caught.value)
        down_health = await down.health_check()

    assert len(server.requests) == 6
    texts = [caplog.text, repr(channel), str(channel), health.model_dump_json()]
    texts += [down_health.model_dump_json(), repr(channel.config), str(channel.config)]
    texts += [channel.config.model_dump_json()]
    for error in errors:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    for record in caplog.records:
        texts.append(record.getMessage())
        if record.exc_info:
            texts.append("".join(traceback.format_exception(*record.exc_info)))
    for text in texts:
        assert leaks(text, channel) == [], text
    # The secret did reach the receiver where it belongs.
    assert server.requests[0].headers["x-api-key"] == PLANTED
    assert caplog.records, "the channel logs its deliveries at DEBUG"


async def test_no_library_log_line_holds_the_secret_url(
    server: FakeHTTPServer, channel_for: ChannelFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # The secret path and query reach the receiver; no logger (ours, httpx, aiohttp)
    # prints them, even at DEBUG, on success or on a failed answer.
    caplog.set_level(logging.DEBUG)
    server.script(ScriptedResponse(500, body=b"down"), ScriptedResponse(200))
    async with channel_for(f"{server.url}/hooks/{PLANTED}?token={PLANTED}") as channel:
        with pytest.raises(DeliveryError):
            await channel.send_alert(make_event())
        await channel.send_alert(make_event())
    assert caplog.records
    assert not [r.name for r in caplog.records if PLANTED in r.getMessage()]
    assert server.requests[1].target == f"/hooks/{PLANTED}?token={PLANTED}"
    assert server.requests[0].query == {"token": PLANTED}
