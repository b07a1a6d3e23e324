"""A planted routing key never shows in logs, errors, reprs or the config's JSON."""

import json
import logging
import uuid
from collections.abc import Callable

import pytest

from floe_alert_pagerduty import PagerDutyChannel, PagerDutyConfig
from floe_monitoring import ChannelConfigError, ContractViolationEvent, DeliveryError, build_channel
from floe_testing_kit import FakeHTTPServer, ScriptedResponse, unused_tcp_url

EventFactory = Callable[..., ContractViolationEvent]


@pytest.fixture
def planted() -> str:
    return ("PLANTED" + uuid.uuid4().hex)[:32]


async def test_planted_routing_key_never_leaks(
    server: FakeHTTPServer,
    make_event: EventFactory,
    planted: str,
    oncall_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    config = PagerDutyConfig.model_validate(
        {
            "routing_key": planted,
            "severity_routing": {"critical": oncall_key},
            "base_url": server.url,
            "allow_insecure_http": True,
            "timeout_seconds": 0.5,
        }
    )
    texts: list[str] = [
        repr(config),
        str(config),
        config.model_dump_json(),
        str(config.model_dump()),
    ]
    errors: list[DeliveryError] = []
    channel = PagerDutyChannel(config)
    texts.append(repr(channel))
    async with channel:
        event = make_event(severity="warning")
        await channel.send_alert(event)  # success (the key is in the body, as it must be)
        await channel.send_alert(make_event(metadata={"big": "x" * 600_000}))  # trimmed
        # A server that echoes the key back in its error body.
        echo = {"status": "invalid event", "message": planted, "errors": [f"bad key {planted}"]}
        for response in (
            ScriptedResponse.json(400, json.dumps(echo)),
            ScriptedResponse.json(503, json.dumps(echo)),
            ScriptedResponse(502, body=f"<html>{planted}</html>".encode()),
            ScriptedResponse(hang=True),
            ScriptedResponse(reset=True),
        ):
            server.script(response)
            with pytest.raises(DeliveryError) as caught:
                await channel.send_alert(event)
            errors.append(caught.value)
        server.script(ScriptedResponse.json(503, json.dumps(echo)), ScriptedResponse(202))
        with pytest.raises(DeliveryError) as fan_out:
            await channel.send_alert(event.with_changes(status="resolved"))
        errors.append(fan_out.value)
        texts.append(str(await channel.health_check()))
    assert planted in server.requests[0].text()  # the check below is not vacuous
    refused = PagerDutyConfig.model_validate(
        {"routing_key": planted, "base_url": unused_tcp_url(), "allow_insecure_http": True}
    )
    async with PagerDutyChannel(refused) as down:
        with pytest.raises(DeliveryError) as caught:
            await down.send_alert(make_event())
        errors.append(caught.value)
        texts.append(str(await down.health_check()))

    for error in errors:
        chain: BaseException | None = error
        while chain is not None:  # the causes too: they end up in tracebacks
            texts += [str(chain), repr(chain)]
            chain = chain.__cause__
    texts.append(caplog.text)
    texts += [repr(r.args) for r in caplog.records]
    leaks = [t for t in texts if planted in t]
    assert leaks == []
    assert any("**********" in str(e) for e in errors)  # redacted, not dropped


def test_build_channel_config_errors_never_show_the_key(planted: str) -> None:
    with pytest.raises(ChannelConfigError) as caught:
        build_channel("pagerduty", {"routing_key": planted + "x"})
    assert planted not in str(caught.value)
    assert planted not in repr(caught.value)
