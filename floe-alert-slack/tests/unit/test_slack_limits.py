from typing import Any

import pytest

from floe_alert_slack.limits import (
    MAX_BLOCKS,
    TEXT_LIMIT,
    message_problems,
)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_a_small_message_fits() -> None:
    assert message_problems({"text": "hi", "blocks": [_section("hi")]}) == []


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, "no_text"),
        ({"text": "x" * (TEXT_LIMIT + 1)}, "more than 4000"),
        ({"text": "t", "blocks": [_section("s")] * (MAX_BLOCKS + 1)}, "51 blocks"),
        ({"text": "t", "blocks": [_section("s" * 3001)]}, "cannot exceed 3000"),
        (
            {
                "text": "t",
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            },
            "cannot exceed 150",
        ),
        (
            {"text": "t", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]},
            "must be plain_text",
        ),
        (
            {
                "text": "t",
                "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            },
            "cannot exceed 10 items",
        ),
        (
            {
                "text": "t",
                "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
            },
            "exceeds 2000",
        ),
        (
            {
                "text": "t",
                "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
            },
            "cannot exceed 10 elements",
        ),
        (
            {
                "text": "t",
                "blocks": [
                    {
                        "type": "section",
                        "block_id": "b" * 256,
                        "text": {"type": "mrkdwn", "text": "x"},
                    }
                ],
            },
            "block_id",
        ),
        ({"text": "t", "blocks": [_section("")]}, "must not be empty"),
        ({"text": "t", "blocks": [{"type": "nonsense"}]}, "unsupported block type"),
        ({"text": "t", "blocks": [{"text": "no type"}]}, "no type"),
        ({"text": "t", "blocks": "not a list"}, "must be an array"),
        ({"text": "t", "blocks": [_section("s" * 2900)] * 5}, "msg_blocks_too_long"),
        ({"blocks": [_section("s")]}, "text is missing"),
    ],
)
def test_each_limit_is_checked(payload: dict[str, Any], expected: str) -> None:
    problems = message_problems(payload)
    assert any(expected in p for p in problems), problems
