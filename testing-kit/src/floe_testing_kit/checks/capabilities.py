"""Capabilities, verified both ways: what is declared works, what is not fails as specified."""

from __future__ import annotations

from floe_monitoring import ChannelCapability, DeliveryReceipt, UnsupportedCapabilityError
from floe_testing_kit.checks.base import check
from floe_testing_kit.events import make_event, resolved_of
from floe_testing_kit.harness import KitContext, require
from floe_testing_kit.profile import RecordedMail, Transport
from floe_testing_kit.servers.http import RecordedRequest

R = ChannelCapability


@check(
    "capabilities.resolve_undeclared",
    "without RESOLVE, a resolved event raises UnsupportedCapabilityError",
    undeclared=R.RESOLVE,
)
async def resolve_undeclared(ctx: KitContext) -> None:
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        outcome = await ctx.attempt(channel, resolved_of(make_event()))
    require(
        isinstance(outcome, UnsupportedCapabilityError),
        "the channel does not declare RESOLVE, yet a resolved event "
        + (
            "was delivered: declare ChannelCapability.RESOLVE"
            if isinstance(outcome, DeliveryReceipt)
            else f"raised {type(outcome).__name__}"
        )
        + " (undeclared: raise UnsupportedCapabilityError(self.instance_name, 'resolve'))",
    )


@check("capabilities.batch", "send_batch delivers several events in one message", declared=R.BATCH)
async def batch(ctx: KitContext) -> None:
    events = [make_event(message=f"kit-batch-{i} broke", dedup_key=f"b-{i}") for i in range(3)]
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        receipt = await channel.send_batch(events)
        arrived = await destination.wait(1)
    require(
        set(receipt.event_ids) == {e.event_id for e in events},
        "the batch receipt must list every event_id",
    )
    require(len(arrived) == 1, f"a batch of 3 arrived as {len(arrived)} messages")
    for i in range(3):
        require(f"kit-batch-{i}" in arrived[0].text, f"event {i} is missing from the batch message")


@check(
    "capabilities.batch_undeclared",
    "without BATCH, send_batch raises UnsupportedCapabilityError",
    undeclared=R.BATCH,
)
async def batch_undeclared(ctx: KitContext) -> None:
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        try:
            await channel.send_batch([make_event()])
        except UnsupportedCapabilityError:
            return
        except Exception as exc:
            raise AssertionError(
                f"send_batch raised {type(exc).__name__}, not UnsupportedCapabilityError"
            ) from exc
    raise AssertionError("send_batch succeeded but the channel does not declare BATCH: declare it")


@check(
    "capabilities.threading",
    "an incident's notifications share a thread key; another's differs",
    declared=R.THREADING,
)
async def threading(ctx: KitContext) -> None:
    first = make_event()
    second = resolved_of(first) if R.RESOLVE in ctx.channel_class.capabilities else make_event()
    other = make_event(dedup_key="another-incident")
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        for event in (first, second, other):
            await ctx.deliver(channel, event)
        arrived = await destination.wait(3)
    require(len(arrived) == 3, f"expected 3 deliveries, received {len(arrived)}")
    keys = [_thread_key(ctx, d.raw) for d in arrived]
    require(keys[0] is not None, "no thread key on the first notification (profile.thread_key)")
    require(
        keys[0] == keys[1],
        f"one incident's notifications carry thread keys {keys[0]!r} and {keys[1]!r}",
    )
    require(keys[2] != keys[0], "two incidents share one thread key")


def _thread_key(ctx: KitContext, raw: RecordedRequest | RecordedMail) -> str | None:
    if isinstance(raw, RecordedMail):
        return ctx.profile.mail_thread_key(raw, variant=ctx.variant)
    return ctx.profile.thread_key(raw, variant=ctx.variant)


@check(
    "capabilities.signing",
    "what is sent verifies with the secret; a tampered body does not",
    declared=R.SIGNING,
    transports=frozenset({Transport.HTTP}),
)
async def signing(ctx: KitContext) -> None:
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        await ctx.deliver(channel, make_event())
        arrived = await destination.wait(1)
    raw = arrived[0].raw
    assert isinstance(raw, RecordedRequest)
    verify = ctx.profile.verify_signature
    require(verify(raw, secret=ctx.secret, variant=ctx.variant), "the signature does not verify")
    tampered = RecordedRequest(
        raw.method, raw.target, raw.headers, raw.body + b" ", raw.received_at
    )
    require(
        not verify(tampered, secret=ctx.secret, variant=ctx.variant),
        "a tampered body still verifies",
    )
