r"""Render an `AlertMessage` as a Slack Block Kit message that always fits Slack's limits.

Layout (top to bottom)::

    header    ":red_circle: ERROR · orders: freshness violation"  (plain_text, <= 150)
    section   mentions from config + the summary                   (mrkdwn, <= 3000)
    section   up to 10 fields "*Label*\nvalue" per section         (mrkdwn, <= 2000 each)
    section   links "<url|title> · …"                               (mrkdwn)
    context   an optional note (a resolution names its incident)

Every contract-supplied string is escaped with `escape_mrkdwn`, so `<!channel>`,
`<@U…>` and `<http://…|…>` arrive as text, never as markup. Only mentions from the
config become markup. Text is cut with a visible marker, never rejected: long fields
share the message's text budget fairly, and what does not fit is counted, not dropped
silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from floe_alert_slack.config import mention_markup
from floe_alert_slack.limits import (
    BLOCK_TEXT_BUDGET,
    FIELD_TEXT_LIMIT,
    FIELDS_LIMIT,
    HEADER_TEXT_LIMIT,
    MAX_BLOCKS,
    SECTION_TEXT_LIMIT,
    TEXT_LIMIT,
    message_problems,
)
from floe_monitoring import (
    AlertMessage,
    EventStatus,
    Link,
    MessageField,
    Severity,
    escape_mrkdwn,
    header_safe,
    truncate,
)

__all__ = ["SEVERITY_EMOJI", "SlackMessage", "render_message", "status_emoji"]

#: Block Kit has no colour of its own, so the colour travels as an emoji.
SEVERITY_EMOJI = {
    Severity.CRITICAL: ":red_circle:",
    Severity.ERROR: ":large_orange_circle:",
    Severity.WARNING: ":large_yellow_circle:",
    Severity.INFO: ":large_blue_circle:",
}
RESOLVED_EMOJI = ":white_check_mark:"

_LABEL_LIMIT = 100
_LINK_TITLE_LIMIT = 200
_LINKS_BUDGET = 1500
_NOTE_LIMIT = 1000
# Below this a field says nothing useful; fewer, readable fields beat many stubs.
_MIN_FIELD_CHARS = 60
# Blocks other than field sections: header, summary, links, note.
_FIXED_BLOCKS = 4
_SEPARATOR = " · "


@dataclass(frozen=True)
class SlackMessage:
    """A rendered message: the notification `text` and the Block Kit `blocks`.

    Attributes:
        text: Plain fallback for notifications and screen readers (<= 4,000 chars).
        blocks: Block Kit blocks as JSON-ready mappings.

    """

    text: str
    blocks: tuple[dict[str, Any], ...] = field(default=())

    def payload(self) -> dict[str, Any]:
        """The message body (``text`` and, when there are any, ``blocks``)."""
        body: dict[str, Any] = {"text": self.text}
        if self.blocks:
            body["blocks"] = [dict(block) for block in self.blocks]
        return body

    def problems(self) -> list[str]:
        """How this message breaks Slack's limits (empty when it fits)."""
        return message_problems(self.payload())

    def text_only(self) -> SlackMessage:
        """The same message without blocks: the fallback when blocks fail validation."""
        return SlackMessage(text=self.text)


def status_emoji(severity: Severity, status: EventStatus) -> str:
    """The emoji that carries the colour: green check for resolutions, else by severity."""
    return RESOLVED_EMOJI if status is EventStatus.RESOLVED else SEVERITY_EMOJI[severity]


def render_message(
    message: AlertMessage,
    *,
    mentions: Sequence[str] = (),
    note: str | None = None,
) -> SlackMessage:
    """Render `message` as Block Kit within every Slack limit.

    Args:
        message: The channel-neutral alert (raw, untrusted text).
        mentions: Validated mention targets from the config (user or group IDs).
        note: Raw text for a closing context line (for example which incident a
            resolution closes).

    Returns:
        The message; `SlackMessage.problems()` is empty for every input.

    """
    emoji = status_emoji(message.severity, message.status)
    ping = "".join(mention_markup(m) + " " for m in mentions)

    header_text = f"{emoji} {_one_line(message.title, HEADER_TEXT_LIMIT - len(emoji) - 1)}"
    header = {"type": "header", "text": _plain(header_text)}
    summary_text = ping + _prose(message.summary or "(no message)", SECTION_TEXT_LIMIT - len(ping))
    blocks: list[dict[str, Any]] = [header, _section(summary_text)]
    tail: list[dict[str, Any]] = []

    links = _links_text(message.links, _LINKS_BUDGET)
    if links:
        tail.append(_section(links))
    note_text = _prose(note, _NOTE_LIMIT) if note else ""
    if note_text:
        tail.append({"type": "context", "elements": [_mrkdwn(note_text)]})

    used = len(header_text) + len(summary_text) + len(links) + len(note_text)
    blocks += _field_sections(message.fields, BLOCK_TEXT_BUDGET - used)
    blocks += tail

    text = ping + _one_line(f"{emoji} {message.title}", HEADER_TEXT_LIMIT)
    if message.summary:
        text += "\n" + _prose(message.summary, TEXT_LIMIT - len(text) - 1)
    return SlackMessage(text=text, blocks=tuple(blocks))


# -- text helpers ------------------------------------------------------------------------


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _one_line(raw: str, limit: int) -> str:
    """Untrusted text folded to one line, escaped, cut to `limit` escaped characters."""
    return truncate(header_safe(raw), max(limit, 0), escape=escape_mrkdwn)


def _prose(raw: str, limit: int) -> str:
    """Untrusted multi-line text, escaped, line breaks normalised, cut to `limit`."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return truncate(text, max(limit, 0), escape=escape_mrkdwn)


# -- fields ------------------------------------------------------------------------------


def _field_sections(fields: Sequence[MessageField], budget: int) -> list[dict[str, Any]]:
    """Fields as sections of at most 10, sharing `budget` characters fairly."""
    if not fields:
        return []
    room = min((MAX_BLOCKS - _FIXED_BLOCKS) * FIELDS_LIMIT, max(budget, 0) // _MIN_FIELD_CHARS)
    room = max(room, 1)
    shown = list(fields)
    if len(shown) > room:
        hidden = len(fields) - (room - 1)
        shown = [*fields[: room - 1], MessageField(label="…", value=f"{hidden} more not shown")]
    labels = [f"*{_one_line(f.label, _LABEL_LIMIT)}*\n" for f in shown]
    wanted = [len(escape_mrkdwn(_lines(f.value))) or 1 for f in shown]
    caps = [FIELD_TEXT_LIMIT - len(label) for label in labels]
    shares = _fair_shares(wanted, caps, max(budget, 0) - sum(len(x) for x in labels))
    texts = [
        label + (_prose(f.value, share) or "-")
        for label, f, share in zip(labels, shown, shares, strict=True)
    ]
    return [
        {"type": "section", "fields": [_mrkdwn(t) for t in texts[i : i + FIELDS_LIMIT]]}
        for i in range(0, len(texts), FIELDS_LIMIT)
    ]


def _lines(raw: str) -> str:
    return raw.replace("\r\n", "\n").replace("\r", "\n")


def _fair_shares(wanted: Sequence[int], caps: Sequence[int], budget: int) -> list[int]:
    """Max-min fair split: short values get all they need, long ones share the rest."""
    shares = [0] * len(wanted)
    remaining = max(budget, 0)
    order = sorted(range(len(wanted)), key=lambda i: min(wanted[i], caps[i]))
    for position, index in enumerate(order):
        fair = remaining // (len(order) - position)
        shares[index] = max(min(wanted[index], caps[index], fair), 0)
        remaining -= shares[index]
    return shares


# -- links -------------------------------------------------------------------------------


def _link_markup(link: Link) -> str:
    # The URL is contract-supplied too: `|` or `>` would end the link early and let the
    # rest of the string become markup, so both are neutralised.
    url = escape_mrkdwn(link.url.replace("|", "%7C"))
    return f"<{url}|{_one_line(link.title, _LINK_TITLE_LIMIT)}>"


def _links_text(links: Sequence[Link], budget: int) -> str:
    """Links joined on one line; those that do not fit are counted, never cut in half."""
    budget = min(budget, SECTION_TEXT_LIMIT)
    parts: list[str] = []
    used = 0
    for index, link in enumerate(links):
        markup = _link_markup(link)
        extra = len(markup) + (len(_SEPARATOR) if parts else 0)
        # Leave room for the "N more" note whenever links remain after this one.
        reserve = 32 if index < len(links) - 1 else 0
        if used + extra + reserve > budget:
            parts.append(f"… {len(links) - index} more link(s) not shown")
            break
        parts.append(markup)
        used += extra
    return _SEPARATOR.join(parts)
