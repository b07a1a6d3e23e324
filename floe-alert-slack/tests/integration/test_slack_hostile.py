import json
from collections.abc import Callable
from typing import Any

import aiohttp

from floe_alert_slack import SlackChannel
from floe_alert_slack.conformance import FakeSlack, rendered_text
from floe_alert_slack.limits import (
    FIELD_TEXT_LIMIT,
    HEADER_TEXT_LIMIT,
    MAX_BLOCKS,
    SECTION_TEXT_LIMIT,
    TEXT_LIMIT,
    message_problems,
)
from floe_monitoring import TRUNCATION_MARKER, ContractViolationEvent
from floe_testing_kit import FakeHTTPServer

EventFactory = Callable[..., ContractViolationEvent]

INJECTIONS = ("<!channel>", "<!here>", "<@U123>", "<!subteam^S123>", "<http://evil.example|click>")
HOSTILE = " ".join(INJECTIONS) + " <script>alert(1)</script> a & b\r\nX-Injected: yes 🚨 Grüße"


def _hostile_event(make_event: EventFactory, **changes: Any) -> ContractViolationEvent:
    return make_event(
        contract_name=HOSTILE,
        message=HOSTILE + " " + "m" * 100_000,
        element=HOSTILE,
        expected_value=HOSTILE,
        actual_value="a" * 100_000,
        owner=HOSTILE,
        domain=HOSTILE,
        affected_consumers=(HOSTILE, "bi"),
        links=({"title": HOSTILE, "url": "https://example.com/<!channel>|x"},),
        metadata={"note": HOSTILE},
        **changes,
    )


def _delivered(fake: FakeSlack) -> list[dict[str, Any]]:
    assert fake.rejections == []  # the fake's Block Kit validation passed
    return [m.payload for m in fake.messages]


async def test_hostile_content_is_escaped_and_truncated_in_both_modes(
    any_channel: SlackChannel, fake: FakeSlack, make_event: EventFactory
) -> None:
    await any_channel.send_alert(_hostile_event(make_event))
    await any_channel.send_alert(_hostile_event(make_event, status="resolved"))

    for payload in _delivered(fake):
        assert message_problems(payload) == []
        text = rendered_text(payload)
        for raw in (*INJECTIONS, "<script>"):
            assert raw not in text
        assert "&lt;!channel&gt;" in text
        assert "&lt;@U123&gt;" in text
        assert "&lt;http://evil.example|click&gt;" in text
        assert "&lt;script&gt;" in text
        assert "a &amp; b" in text
        assert "\r" not in json.dumps(payload)
        assert "🚨 Grüße" in text
        header = payload["blocks"][0]["text"]["text"]
        assert "\n" not in header
        assert len(header) <= HEADER_TEXT_LIMIT
        assert len(payload["text"]) <= TEXT_LIMIT
        assert payload["text"].endswith(TRUNCATION_MARKER)
        assert len(payload["blocks"]) <= MAX_BLOCKS
        summary = payload["blocks"][1]["text"]["text"]
        assert len(summary) <= SECTION_TEXT_LIMIT
        assert summary.endswith(TRUNCATION_MARKER)
        for block in payload["blocks"]:
            for field in block.get("fields", []):
                assert len(field["text"]) <= FIELD_TEXT_LIMIT
        links = payload["blocks"][-2 if payload["blocks"][-1]["type"] == "context" else -1]
        assert links["text"]["text"].startswith("<https://example.com/&lt;!channel&gt;%7Cx|")


async def test_the_fake_refuses_an_unbounded_rendering(
    server: FakeHTTPServer, fake: FakeSlack
) -> None:
    # The same content sent without the renderer's limits is what Slack refuses: the
    # fake catches it, or the test above would prove nothing.
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "m" * 5000}}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.url}/services/T/B/x", json={"text": HOSTILE, "blocks": [section]}
        ) as answer,
    ):
        assert answer.status == 400
        assert await answer.text() == "invalid_blocks"
    assert [r.code for r in fake.rejections] == ["invalid_blocks"]
