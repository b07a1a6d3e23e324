"""Slack's message limits, and one check of a payload against them.

The renderer checks what it built before sending, and the fake Slack in
`floe_alert_slack.conformance` rejects what breaks a limit, both with `message_problems`,
so a rendering bug fails a test instead of an alert in production.

slack-sdk's block models know some limits (header text 150, section text 3000, fields 10,
context elements 10, block_id 255); the rest (50 blocks, 2000 per field, message text,
the message-wide block text budget) are Slack's documented limits checked here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

__all__ = [
    "BLOCK_ID_LIMIT",
    "BLOCK_TEXT_BUDGET",
    "CONTEXT_ELEMENTS_LIMIT",
    "FIELDS_LIMIT",
    "FIELD_TEXT_LIMIT",
    "HEADER_TEXT_LIMIT",
    "MAX_BLOCKS",
    "MESSAGE_BLOCKS_CHAR_LIMIT",
    "SECTION_TEXT_LIMIT",
    "TEXT_LIMIT",
    "block_texts",
    "message_problems",
]

MAX_BLOCKS = 50
HEADER_TEXT_LIMIT = 150
SECTION_TEXT_LIMIT = 3000
FIELDS_LIMIT = 10
FIELD_TEXT_LIMIT = 2000
CONTEXT_ELEMENTS_LIMIT = 10
BLOCK_ID_LIMIT = 255
#: Message `text` Slack delivers whole (it truncates beyond 40,000).
TEXT_LIMIT = 4000
#: Near where Slack answers `msg_blocks_too_long`, counting the text of all blocks.
MESSAGE_BLOCKS_CHAR_LIMIT = 13_200
#: What the renderer allows itself: a margin under the limit Slack only approximates.
BLOCK_TEXT_BUDGET = 12_000


def block_texts(block: Mapping[str, Any]) -> Iterator[str]:
    """Yield every text a person reads in one block (header, section, fields, context)."""
    text = block.get("text")
    if isinstance(text, Mapping) and isinstance(text.get("text"), str):
        yield text["text"]
    for key in ("fields", "elements"):
        items = block.get(key)
        if isinstance(items, list):
            for item in items:
                if isinstance(item, Mapping) and isinstance(item.get("text"), str):
                    yield item["text"]


def message_problems(payload: Mapping[str, Any]) -> list[str]:
    """List how `payload` breaks Slack's message limits (empty when it fits).

    Args:
        payload: A message body as sent (``text``, ``blocks``, …).

    Returns:
        One line per problem, in the words of Slack's `invalid_blocks` errors.

    """
    problems: list[str] = []
    text = payload.get("text")
    blocks = payload.get("blocks")
    if not isinstance(text, str) or not text.strip():
        if not blocks:
            return ["no_text: neither text nor blocks"]
        problems.append("text is missing: notifications and screen readers need it")
    elif len(text) > TEXT_LIMIT:
        problems.append(f"text is {len(text)} characters, more than {TEXT_LIMIT}")
    if blocks is None:
        return problems
    if not isinstance(blocks, Sequence) or isinstance(blocks, str):
        return [*problems, "blocks must be an array"]
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks, more than {MAX_BLOCKS}")
    total = 0
    for index, block in enumerate(blocks):
        where = f"[json-pointer:/blocks/{index}]"
        if not isinstance(block, Mapping):
            problems.append(f"block must be an object {where}")
            continue
        problems += [f"{p} {where}" for p in _block_problems(block)]
        total += sum(len(t) for t in block_texts(block))
    if total > MESSAGE_BLOCKS_CHAR_LIMIT:
        problems.append(
            f"msg_blocks_too_long: {total} characters of block text, "
            f"more than {MESSAGE_BLOCKS_CHAR_LIMIT}"
        )
    return problems


def _block_problems(block: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    kind = block.get("type")
    if not isinstance(kind, str):
        return ["block has no type"]
    try:
        model = Block.parse(dict(block))
        if model is None:
            return [f"unsupported block type {kind!r}"]
        model.validate_json()
    except SlackObjectFormationError as exc:
        problems.append(f"{kind}: {exc}")
    except (TypeError, ValueError, AttributeError) as exc:
        problems.append(f"{kind}: malformed block ({type(exc).__name__})")
    text = block.get("text")
    if kind == "header" and isinstance(text, Mapping) and text.get("type") != "plain_text":
        problems.append("header: text must be plain_text")
    for field in block.get("fields") or ():
        if isinstance(field, Mapping) and len(str(field.get("text", ""))) > FIELD_TEXT_LIMIT:
            problems.append(f"section: a field's text exceeds {FIELD_TEXT_LIMIT} characters")
    for item in [text, *(block.get("fields") or ()), *(block.get("elements") or ())]:
        if isinstance(item, Mapping) and "text" in item and not str(item["text"]).strip():
            problems.append(f"{kind}: text must not be empty")
    return problems
