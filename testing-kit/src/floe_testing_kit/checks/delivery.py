"""Delivery checks: what arrives says what happened, intact, escaped and within limits."""

from __future__ import annotations

from email.message import EmailMessage

from floe_monitoring import ChannelCapability
from floe_testing_kit.checks.base import check
from floe_testing_kit.events import (
    HOSTILE_MESSAGE,
    UNICODE_TEXT,
    hostile_event,
    large_event,
    make_event,
    resolved_of,
)
from floe_testing_kit.harness import Delivered, KitContext, require
from floe_testing_kit.profile import RecordedMail, TextFormat
from floe_testing_kit.servers.http import RecordedRequest

_MENTIONS = ("<!channel>", "<!here>", "<@U024BE7LH>", "<http://evil.example|")


async def _send_one(ctx: KitContext, event_overrides: dict[str, object] | None = None) -> Delivered:
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        await ctx.deliver(channel, make_event(**(event_overrides or {})))
        arrived = await destination.wait(1)
    require(len(arrived) == 1, f"expected 1 delivery, the destination received {len(arrived)}")
    return arrived[0]


@check("delivery.firing", "a firing event arrives with contract, severity and message")
async def firing(ctx: KitContext) -> None:
    delivered = await _send_one(ctx)
    text = delivered.text.lower()
    for what, value in (
        ("contract name", "orders"),
        ("severity", "error"),
        ("message", "orders is 7h12m old; the contract promises 6h"),
    ):
        require(value.lower() in text, f"the delivered alert does not show the {what} ({value!r})")


@check(
    "delivery.resolved",
    "a resolved event arrives as a recovery of the same contract",
    declared=ChannelCapability.RESOLVE,
)
async def resolved(ctx: KitContext) -> None:
    event = make_event()
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        await ctx.deliver(channel, event)
        await ctx.deliver(channel, resolved_of(event))
        arrived = await destination.wait(2)
    require(len(arrived) >= 2, f"expected 2 deliveries, received {len(arrived)}")
    text = arrived[-1].text.lower()
    # "resolve" also matches protocols whose recovery is an action (PagerDuty's resolve).
    require("resolve" in text, "the resolution does not say it resolves the incident")
    require("orders" in text, "the resolution does not name the contract")


@check("delivery.unicode", "non-ASCII text arrives intact")
async def unicode(ctx: KitContext) -> None:
    delivered = await _send_one(ctx, {"message": UNICODE_TEXT, "owner": "équipe-données"})
    require(UNICODE_TEXT in delivered.text, "the unicode message did not arrive intact")


@check("delivery.large_message", "a 100 kB message is delivered (truncated visibly), not rejected")
async def large_message(ctx: KitContext) -> None:
    event = large_event()
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        await ctx.deliver(channel, event)
        arrived = await destination.wait(1)
    require(len(arrived) == 1, "the large message did not arrive")
    text = arrived[0].text
    if event.message not in text:
        require(
            "truncated" in text.lower(),
            "the message was cut without a visible marker (use floe_monitoring.truncate)",
        )


@check("delivery.hostile_text", "markup and header injection in contract text are neutralised")
async def hostile_text(ctx: KitContext) -> None:
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        await ctx.deliver(channel, hostile_event())
        arrived = await destination.wait(1)
    require(len(arrived) == 1, "the event with hostile text was not delivered")
    delivered = arrived[0]
    if isinstance(delivered.raw, RecordedRequest):
        _headers_clean(delivered.raw.headers)
    else:
        _mail_headers_clean(delivered.raw)
    fmt = ctx.profile.text_format
    if fmt is TextFormat.SLACK_MRKDWN:
        for mention in _MENTIONS:
            require(
                mention not in delivered.text,
                f"{mention!r} arrived unescaped: it would ping or link",
            )
        require(
            "&lt;!channel&gt;" in delivered.text, "the hostile text was dropped instead of escaped"
        )
    elif fmt is TextFormat.HTML:
        html = _html_of(delivered)
        for tag in ("<script>", "<img src=x"):
            require(tag not in html, f"{tag!r} arrived unescaped in HTML")
        require("&lt;script&gt;" in html, "the hostile text was dropped instead of escaped")
    elif fmt is TextFormat.JSON:
        require(
            HOSTILE_MESSAGE in delivered.text, "JSON strings must carry the exact text, encoded"
        )
    else:
        require(
            not any(ord(ch) < 32 and ch not in "\n\t" for ch in delivered.text),
            "control characters arrived",
        )


def _headers_clean(headers: dict[str, str]) -> None:
    # Encoded text in a value (ce-subject percent-encodes it) is fine; a new header is not.
    for name, value in headers.items():
        require(name not in ("bcc", "x-injected"), f"a {name!r} header was injected")
        require("\r" not in value and "\n" not in value, f"a line break reached header {name!r}")


def _mail_headers_clean(mail: RecordedMail) -> None:
    message = mail.message()
    require(message["Bcc"] is None, "a Bcc header was injected through the contract name")
    require(message["X-Injected"] is None, "a header was injected through a value")
    require("attacker@" not in " ".join(mail.rcpt_tos), "an injected recipient received the alert")


def _html_of(delivered: Delivered) -> str:
    if isinstance(delivered.raw, RecordedMail):
        message: EmailMessage = delivered.raw.message()
        parts = [p for p in message.walk() if p.get_content_type() == "text/html"]
        require(parts, "the e-mail has no text/html part")
        return "\n".join(str(p.get_content()) for p in parts)
    return delivered.text
